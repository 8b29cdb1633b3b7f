/**
 * Streaming anomaly detector for CloudWatch-like metrics: one point at a time, constant memory,
 * state that is plain JSON (a Temporal workflow or activity can persist and resume it).
 *
 * How it scores a point:
 * 1. Surprise: the distance of the value from an exponentially weighted mean, in units of an
 *    exponentially weighted mean absolute deviation (robust to the heavy tails of CPU and
 *    network metrics). A small floor relative to the level keeps a flat series from turning
 *    rounding noise into huge z-scores.
 * 2. Likelihood (the idea behind Numenta's anomaly likelihood): the short average of recent
 *    surprises is compared with the long-run distribution of that average; the tail probability
 *    is mapped to a score in [0, 1] on a log scale (0.5 ≈ one in 10^5, 1 ≈ one in 10^10).
 *    This turns "a lot more surprising than usual for this metric" into a score, so one
 *    threshold works across metrics with very different noise.
 * 3. Flag: score ≥ threshold, and not within `cooldownPoints` of the previous flag, because one
 *    incident should page once, not on every point of it.
 */

export interface AnomalyDetectorParams {
  /** points before any score is emitted; statistics still learn from them */
  warmupPoints: number;
  /** smoothing of the level (per point) */
  levelAlpha: number;
  /** smoothing of the mean absolute deviation (per point) */
  deviationAlpha: number;
  /** points in the short average of surprises */
  shortWindow: number;
  /** smoothing of the long-run mean/variance of the short average */
  likelihoodAlpha: number;
  /** deviations (in mean absolute deviations) at which the surprise reaches 1 − 1/e */
  surpriseScale: number;
  /** floor on the deviation, as a fraction of the level's magnitude */
  relativeDeviationFloor: number;
  /** score at or above which a point is flagged */
  threshold: number;
  /** points after a flag during which no new flag is raised */
  cooldownPoints: number;
}

export const DEFAULT_ANOMALY_PARAMS: AnomalyDetectorParams = {
  warmupPoints: 150,
  levelAlpha: 0.05,
  deviationAlpha: 0.02,
  shortWindow: 6,
  likelihoodAlpha: 0.002,
  relativeDeviationFloor: 0.01,
  surpriseScale: 4,
  threshold: 0.5,
  cooldownPoints: 0,
};

/** Plain-JSON detector state. */
export interface AnomalyDetectorState {
  version: 1;
  params: AnomalyDetectorParams;
  count: number;
  /** epoch ms of the last point seen (points at or before it are ignored) */
  lastT: number | null;
  level: number;
  deviation: number;
  /** ring buffer of the last `shortWindow` surprises */
  recentSurprises: number[];
  recentIndex: number;
  averageMean: number;
  averageVariance: number;
  pointsSinceFlag: number | null;
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
  const merged = { ...DEFAULT_ANOMALY_PARAMS, ...params };
  return {
    version: 1,
    params: merged,
    count: 0,
    lastT: null,
    level: 0,
    deviation: 0,
    recentSurprises: [],
    recentIndex: 0,
    averageMean: 0,
    averageVariance: 0,
    pointsSinceFlag: null,
  };
}

// Standard normal upper tail, via the complementary error function (Numerical Recipes erfc approximation, |error| < 1.2e-7).
function normalTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return 0.5 * (x >= 0 ? erfc : 2 - erfc);
}

// Maps a tail probability to [0, 1] on a log scale, as NAB's HTM does (1e-10 → 1).
function logScore(tail: number): number {
  return Math.min(1, Math.max(0, Math.log(tail + 1e-10) / Math.log(1e-10)));
}

/** Advances `state` by one point (mutates it) and returns the score and flag. */
export function stepAnomalyState(state: AnomalyDetectorState, t: number, value: number): AnomalyResult {
  const p = state.params;
  if (!Number.isFinite(value) || (state.lastT !== null && t <= state.lastT)) return { score: 0, anomaly: false };
  state.lastT = t;
  if (state.count === 0) {
    state.level = value;
    state.deviation = 0;
  }
  const floor = Math.max(p.relativeDeviationFloor * Math.abs(state.level), 1e-12);
  const z = Math.abs(value - state.level) / Math.max(state.deviation, floor);
  // Bounded, like a prediction error in [0, 1]: the likelihood step needs a tail it can fit with a Gaussian.
  const surprise = 1 - Math.exp(-z / p.surpriseScale);
  // The surprise is measured before learning from the point, so a spike cannot explain itself away.
  state.level += p.levelAlpha * (value - state.level);
  state.deviation += p.deviationAlpha * (Math.abs(value - state.level) - state.deviation);

  if (state.recentSurprises.length < p.shortWindow) state.recentSurprises.push(surprise);
  else state.recentSurprises[state.recentIndex] = surprise;
  state.recentIndex = (state.recentIndex + 1) % p.shortWindow;
  const average = state.recentSurprises.reduce((s, x) => s + x, 0) / state.recentSurprises.length;

  state.count++;
  let score = 0;
  if (state.count > p.warmupPoints) {
    const sd = Math.sqrt(Math.max(state.averageVariance, 1e-4));
    const tail = average > state.averageMean ? normalTail((average - state.averageMean) / sd) : 0.5;
    score = logScore(tail);
  }
  // Long-run statistics of the short average learn after scoring, for the same reason as above.
  const a = state.count <= p.warmupPoints ? 1 / state.count : p.likelihoodAlpha;
  const delta = average - state.averageMean;
  state.averageMean += a * delta;
  state.averageVariance = (1 - a) * (state.averageVariance + a * delta * delta);

  const cooling = state.pointsSinceFlag !== null && state.pointsSinceFlag < p.cooldownPoints;
  const anomaly = score >= p.threshold && !cooling;
  if (anomaly) state.pointsSinceFlag = 0;
  else if (state.pointsSinceFlag !== null) state.pointsSinceFlag++;
  return { score, anomaly };
}

/** A detector over a fresh state, or over a state persisted earlier (e.g. in workflow history). */
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
