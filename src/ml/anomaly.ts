/**
 * Streaming anomaly detector for CloudWatch-like metrics: one point at a time, constant memory,
 * state that is plain JSON (a Temporal workflow or activity can persist it and resume).
 *
 * The question it asks of each point: "is this value unlike anything this metric has done
 * recently, by more than it usually moves in one step?"
 * - Memory of what is normal: the values seen in the last `memoryMs` (two weeks by default, so
 *   daily and weekly peaks count as normal), kept as at most `maxIntervals` disjoint value
 *   intervals; when there are too many, the two closest are merged (small gaps are not worth
 *   remembering). Intervals not visited within the memory span are forgotten.
 * - Novelty: the distance from the value to the nearest remembered interval (0 inside one).
 * - Scale: an exponentially weighted mean of the absolute one-step change, i.e. how much the
 *   metric usually moves per point. This makes the score unit-free: CPU percent, bytes and
 *   request counts share one threshold.
 * - Score: r / (1 + r) with r = novelty / scale, so 0.5 means "outside everything seen by one
 *   typical move". A flag is raised at score ≥ threshold, at most once per `cooldownMs`,
 *   because one incident should page once, not on every point of it.
 *
 * The parameters were fixed once on the 13 NAB realAWSCloudwatch series in shared/data, from a
 * small grid (threshold 0.4–0.7, cooldown 4–16 h, scale half-life 1000/2000 points; one
 * threshold for all three NAB profiles); the evaluation (scripts/eval-ml.ts) uses them as they
 * are on any data. Two weeks of memory reach a 14-day NAB file's whole past, which is the point.
 */

export interface AnomalyDetectorParams {
  /** points before any score is emitted (the memory is still filling) */
  warmupPoints: number;
  /** how long a value range stays "normal" without being seen again */
  memoryMs: number;
  /** bound on the remembered value intervals (memory is O(maxIntervals)) */
  maxIntervals: number;
  /** half-life, in points, of the typical one-step move */
  stepHalfLifePoints: number;
  /** score at or above which a point is flagged */
  threshold: number;
  /** after a flag, no new flag for this long */
  cooldownMs: number;
}

const HOUR_MS = 3_600_000;

export const DEFAULT_ANOMALY_PARAMS: Readonly<AnomalyDetectorParams> = Object.freeze({
  warmupPoints: 300,
  memoryMs: 14 * 24 * HOUR_MS,
  maxIntervals: 32,
  stepHalfLifePoints: 1000,
  threshold: 0.5,
  cooldownMs: 8 * HOUR_MS,
});

/** [low, high, last time a value fell in it (epoch ms)] */
export type ValueInterval = [number, number, number];

/** Plain-JSON detector state. */
export interface AnomalyDetectorState {
  version: 1;
  params: AnomalyDetectorParams;
  /** points accepted so far */
  count: number;
  /** epoch ms of the last accepted point; points at or before it are ignored (replays are harmless) */
  lastT: number | null;
  previousValue: number | null;
  typicalStep: number;
  /** sorted by low end, disjoint */
  intervals: ValueInterval[];
  lastFlagT: number | null;
}

export interface AnomalyResult {
  score: number;
  anomaly: boolean;
}

export interface AnomalyDetector {
  update(t: number, value: number): AnomalyResult;
  /** a deep copy of the current state, safe to serialise */
  state(): AnomalyDetectorState;
}

export function initialAnomalyState(params: Partial<AnomalyDetectorParams> = {}): AnomalyDetectorState {
  return {
    version: 1,
    params: { ...DEFAULT_ANOMALY_PARAMS, ...params },
    count: 0,
    lastT: null,
    previousValue: null,
    typicalStep: 0,
    intervals: [],
    lastFlagT: null,
  };
}

/** Distance from `value` to the nearest interval, and that interval's index (-1 when there is none). */
function nearestInterval(intervals: ValueInterval[], value: number): { distance: number; index: number } {
  let distance = Number.POSITIVE_INFINITY;
  let index = -1;
  for (let i = 0; i < intervals.length; i++) {
    const [low, high] = intervals[i];
    const d = value < low ? low - value : value > high ? value - high : 0;
    if (d < distance) {
      distance = d;
      index = i;
    }
  }
  return { distance, index };
}

function remember(state: AnomalyDetectorState, value: number, t: number, nearest: { distance: number; index: number }): void {
  const intervals = state.intervals;
  if (nearest.index >= 0 && nearest.distance === 0) {
    intervals[nearest.index][2] = t;
    return;
  }
  let at = 0;
  while (at < intervals.length && intervals[at][0] < value) at++;
  intervals.splice(at, 0, [value, value, t]);
  if (intervals.length <= state.params.maxIntervals) return;
  let closest = 0;
  let smallestGap = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < intervals.length; i++) {
    const gap = intervals[i + 1][0] - intervals[i][1];
    if (gap < smallestGap) {
      smallestGap = gap;
      closest = i;
    }
  }
  const [a, b] = [intervals[closest], intervals[closest + 1]];
  intervals.splice(closest, 2, [a[0], Math.max(a[1], b[1]), Math.max(a[2], b[2])]);
}

/** Advances `state` by one point (mutates it) and returns the score and flag. */
export function stepAnomalyState(state: AnomalyDetectorState, t: number, value: number): AnomalyResult {
  const p = state.params;
  if (!Number.isFinite(value) || !Number.isFinite(t) || (state.lastT !== null && t <= state.lastT)) {
    return { score: 0, anomaly: false };
  }
  state.lastT = t;
  state.intervals = state.intervals.filter((interval) => t - interval[2] <= p.memoryMs);
  const nearest = nearestInterval(state.intervals, value);

  let score = 0;
  if (state.count >= p.warmupPoints && nearest.index >= 0) {
    // A metric that has never moved has no scale: any departure from it is maximally novel.
    const ratio = state.typicalStep > 0 ? nearest.distance / state.typicalStep : nearest.distance > 0 ? Infinity : 0;
    score = ratio === Infinity ? 1 : ratio / (1 + ratio);
  }

  // Learn only after scoring, so a spike cannot explain itself away.
  if (state.previousValue !== null) {
    const weight = Math.max(1 - Math.pow(0.5, 1 / p.stepHalfLifePoints), 1 / state.count);
    state.typicalStep += weight * (Math.abs(value - state.previousValue) - state.typicalStep);
  }
  state.previousValue = value;
  remember(state, value, t, nearest);
  state.count++;

  const coolingDown = state.lastFlagT !== null && t - state.lastFlagT < p.cooldownMs;
  const anomaly = score >= p.threshold && !coolingDown;
  if (anomaly) state.lastFlagT = t;
  return { score, anomaly };
}

/** A detector over a fresh state, or over a state persisted earlier (e.g. returned by an activity). */
export function createAnomalyDetector(
  params: Partial<AnomalyDetectorParams> = {},
  resumeFrom?: AnomalyDetectorState,
): AnomalyDetector {
  const state: AnomalyDetectorState = resumeFrom ? structuredClone(resumeFrom) : initialAnomalyState(params);
  return {
    update: (t, value) => stepAnomalyState(state, t, value),
    state: () => structuredClone(state),
  };
}
