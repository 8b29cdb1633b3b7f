/**
 * What the anomaly detector says about a CloudWatch alarm's metric, for the alert message: the
 * metric's recent history (GetMetricData) scored point by point by the streaming detector
 * (src/ml/anomaly.ts, in the activity), then summarised here. Pure: the scored points and the
 * detector's threshold and warm-up come in as data.
 */

export interface ScoredPoint {
  t: number;
  v: number;
  /** the detector's score; NaN/0 during warm-up */
  score: number;
}

export type AlarmContextVerdict = 'anomalous' | 'normal' | 'insufficient' | 'no-data';

export interface AlarmContext {
  verdict: AlarmContextVerdict;
  /** points read (history + recent) */
  points: number;
  historyHours: number;
  /** highest score among the recent points */
  score?: number;
  /** first recent point at or above the threshold */
  sinceMs?: number;
  /** the last value */
  value?: number;
  /** p5–p95 of the history before the recent points */
  usual?: { low: number; high: number };
  text: string;
}

function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2));
const iso = (ms: number) => new Date(ms).toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');

/**
 * The verdict on the last `recentPoints` (the alarm's own evaluation span) against the history
 * before them: anomalous when one of them scores at or above `threshold`.
 */
export function alarmContext(
  scored: readonly ScoredPoint[],
  opts: { recentPoints: number; threshold: number; warmupPoints: number; historyHours: number },
): AlarmContext {
  const points = scored.length;
  const base = { points, historyHours: opts.historyHours };
  if (points === 0) return { ...base, verdict: 'no-data', text: `no datapoints in the last ${opts.historyHours} h` };
  const value = scored[points - 1]!.v;
  if (points <= opts.warmupPoints)
    return {
      ...base,
      verdict: 'insufficient',
      value,
      text: `${points} datapoints in the last ${opts.historyHours} h, too few to judge (the detector needs ${opts.warmupPoints + 1})`,
    };
  const split = Math.max(opts.warmupPoints, points - opts.recentPoints);
  const history = scored
    .slice(0, split)
    .map((p) => p.v)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const usual = history.length ? { low: nearestRank(history, 5), high: nearestRank(history, 95) } : undefined;
  const recent = scored.slice(split);
  const scores = recent.map((p) => (Number.isFinite(p.score) ? p.score : 0));
  const score = Math.max(...scores);
  const first = recent.find((p) => Number.isFinite(p.score) && p.score >= opts.threshold);
  const usualText = usual ? `usual ${fmt(usual.low)}–${fmt(usual.high)}` : 'no usual range';
  if (first)
    return {
      ...base,
      verdict: 'anomalous',
      score,
      sinceMs: first.t,
      value,
      ...(usual ? { usual } : {}),
      text: `anomalous against its last ${opts.historyHours} h: score ${score.toFixed(2)} since ${iso(first.t)} (value ${fmt(value)}, ${usualText})`,
    };
  return {
    ...base,
    verdict: 'normal',
    score,
    value,
    ...(usual ? { usual } : {}),
    text: `not anomalous against its last ${opts.historyHours} h: score ${score.toFixed(2)} (value ${fmt(value)}, ${usualText})`,
  };
}
