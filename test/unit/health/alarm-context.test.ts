import { alarmContext, type ScoredPoint } from '../../../src/domain/health/alarm-context';

const T0 = Date.UTC(2026, 10, 30, 0, 0);
const STEP = 300_000;
const opts = { recentPoints: 3, threshold: 0.5, warmupPoints: 4, historyHours: 50 };
/** Points at T0, T0+5 min, …: values 10..19 and the given scores. */
const series = (scores: number[], values?: number[]): ScoredPoint[] =>
  scores.map((score, i) => ({ t: T0 + i * STEP, v: values?.[i] ?? 10 + i, score }));

describe('alarmContext', () => {
  it('no data / too few points to judge', () => {
    expect(alarmContext([], opts)).toEqual({
      verdict: 'no-data',
      points: 0,
      historyHours: 50,
      text: 'no datapoints in the last 50 h',
    });
    expect(alarmContext(series([0, 0, 0, 0]), opts)).toEqual({
      verdict: 'insufficient',
      points: 4,
      historyHours: 50,
      value: 13,
      text: '4 datapoints in the last 50 h, too few to judge (the detector needs 5)',
    });
  });

  it('anomalous: the highest recent score and the first recent point at or above the threshold', () => {
    const c = alarmContext(
      series([0, 0, 0, 0, 0, 0, 0.2, 0.5, 0.9, 0.3], [10, 11, 12, 13, 14, 15, 16, 95, 99, 97]),
      opts,
    );
    expect(c).toEqual({
      verdict: 'anomalous',
      points: 10,
      historyHours: 50,
      score: 0.9,
      sinceMs: T0 + 7 * STEP,
      value: 97,
      usual: { low: 10, high: 16 },
      text: 'anomalous against its last 50 h: score 0.90 since 2026-11-30T00:35Z (value 97.0, usual 10.0–16.0)',
    });
  });

  it('not anomalous: recent scores below the threshold; warm-up scores (NaN) count as 0', () => {
    const c = alarmContext(series([NaN, NaN, NaN, NaN, 0.9, 0, 0, 0.1, 0.49, 0.2]), opts);
    expect(c.verdict).toBe('normal');
    expect(c.score).toBe(0.49);
    expect(c.sinceMs).toBeUndefined();
    expect(c.text).toBe('not anomalous against its last 50 h: score 0.49 (value 19.0, usual 10.0–16.0)');
  });

  it('the recent span never reaches into the warm-up', () => {
    const c = alarmContext(series([NaN, NaN, NaN, NaN, 0.7, 0.1]), { ...opts, recentPoints: 5 });
    // Only the points after the 4 warm-up points are judged; the history is the warm-up itself.
    expect(c).toMatchObject({ verdict: 'anomalous', score: 0.7, sinceMs: T0 + 4 * STEP, usual: { low: 10, high: 13 } });
  });

  it('formats small and large values readably', () => {
    const small = alarmContext(series([0, 0, 0, 0, 0, 0], [0.01, 0.02, 0.01, 0.02, 0.0123, 0.0456]), opts);
    expect(small.text).toBe('not anomalous against its last 50 h: score 0.00 (value 0.046, usual 0.010–0.020)');
    const big = alarmContext(series([0, 0, 0, 0, 0, 0.8], [1000, 1200, 1100, 1000, 1100, 25000.4]), opts);
    expect(big.text).toBe(
      'anomalous against its last 50 h: score 0.80 since 2026-11-30T00:25Z (value 25000, usual 1000–1200)',
    );
  });
});
