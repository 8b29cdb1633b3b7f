/**
 * Streaming anomaly detector for CloudWatch-like metrics: one point at a time, constant memory,
 * state that is plain JSON (a Temporal workflow or activity can persist it and resume).
 *
 * Two questions are asked of each point, each answered by a unit-free ratio:
 * 1. Novelty r — "is this value unlike anything this metric has done recently, by more than it
 *    usually moves in one step?" The values of the last `memoryMs` (two weeks: daily and weekly
 *    peaks count as normal) are kept as at most `maxIntervals` disjoint value intervals (the two
 *    closest merge when there are too many; intervals not visited within the memory span are
 *    forgotten). r = distance to the nearest interval ÷ the typical one-step move (an EW mean of
 *    |Δvalue|). Catches spikes and jumps to new ranges.
 * 2. Level z — "has the metric's level moved?" The median of the last `levelWindowPoints`
 *    (2 h at 5 min, robust to single spikes) against an exponentially weighted mean of that median
 *    and its mean absolute deviation (half-life `levelHalfLifePoints`). Catches sustained shifts
 *    and changes of rhythm that stay inside the range already seen (a server whose CPU now sits
 *    at 2.0 instead of 1.8, a burst pattern that starts to repeat).
 * Score: q/(1+q) with q = max(r, z/levelWeight), in [0, 1); one threshold covers both, because
 * z is put on r's scale by `levelWeight`.
 *
 * A point is flagged when, for either ratio, it is at or above its threshold (θ for r, θ·levelWeight
 * for z, with θ = threshold/(1−threshold)) AND at least `recordFraction` of the largest value that
 * ratio reached recently (a decaying maximum with half-life `recordHalfLifeMs`; for novelty the
 * comparison is on the score r/(1+r)) — an incident
 * that has already been reported, or a pattern that recurs every few hours, is not news — and
 * not within `cooldownMs` of the previous flag (one incident pages once), unless, from
 * `cooldownBreakAfterMs` (half the cooldown) on, its novelty passes the bar raised `cooldownBreak`-fold
 * (a second, clearly larger incident; `thresholdAfterFlag`, `breaksCooldownOnlyByNovelty`).
 *
 * The whole design (features, cooldown, record rule) was developed on the 13 NAB realAWSCloudwatch
 * series in shared/data. `npm run eval:ml` re-chooses every flag parameter (threshold, level weight,
 * cooldown and its break — every break timing the design considered, the earlier 2 h one included —
 * record rule) without looking at the scored file (leave-one-file-out over a rule grid, near-ties
 * going to the more sensitive rule). Defaults are the single rule that is best on all 13 files
 * (in-sample).
 *
 * State format (version 2) is stable: `anomalyDetectorStateSchema` below validates it; a version-1
 * state (novelty only) is upgraded on resume. Scores keep their meaning across versions for r. The
 * params are part of the state, so a state keeps the rule it was created with (e.g. a state saved
 * when `cooldownBreakAfterMs` defaulted to 2 h resumes with 2 h).
 */
import { z } from 'zod';

export interface AnomalyDetectorParams {
  /** points before any score is emitted (the memory is still filling) */
  warmupPoints: number;
  /** how long a value range stays "normal" without being seen again */
  memoryMs: number;
  /** bound on the remembered value intervals (memory is O(maxIntervals)) */
  maxIntervals: number;
  /** half-life, in points, of the typical one-step move */
  stepHalfLifePoints: number;
  /** score at or above which a point can be flagged, in (0, 1) */
  threshold: number;
  /** after a flag, no new flag for this long */
  cooldownMs: number;
  /** points in the level median (0 disables the level ratio) */
  levelWindowPoints: number;
  /** half-life, in points, of the level baseline and its typical deviation */
  levelHalfLifePoints: number;
  /** level medians before the level ratio is scored */
  levelWarmupPoints: number;
  /** level z that counts as much as novelty r = 1 */
  levelWeight: number;
  /** half-life of the decaying maximum of each ratio (the "already reported" memory) */
  recordHalfLifeMs: number;
  /** a ratio must reach this share of its decaying maximum to flag */
  recordFraction: number;
  /**
   * During the cooldown a point still flags when its novelty passes the bar raised by this factor
   * (a second, clearly larger incident is news even within the cooldown; the level ratio does not
   * break it); 0 = never.
   */
  cooldownBreak: number;
  /**
   * the cooldown cannot be broken this soon after a flag (the same incident still unfolding); the
   * default is half the cooldown: only a second incident in the cooldown's second half breaks it
   */
  cooldownBreakAfterMs: number;
  /**
   * whether the level ratio may break the cooldown too (false, the default: only novelty — values
   * far from everything seen, the first incident included — make a second incident)
   */
  cooldownBreakByLevel: boolean;
}

const HOUR_MS = 3_600_000;

export const DEFAULT_ANOMALY_PARAMS: Readonly<AnomalyDetectorParams> = Object.freeze({
  warmupPoints: 300,
  memoryMs: 14 * 24 * HOUR_MS,
  maxIntervals: 32,
  stepHalfLifePoints: 1000,
  threshold: 0.5,
  cooldownMs: 24 * HOUR_MS,
  levelWindowPoints: 24,
  levelHalfLifePoints: 1000,
  levelWarmupPoints: 150,
  levelWeight: 5,
  recordHalfLifeMs: 72 * HOUR_MS,
  recordFraction: 0.8,
  cooldownBreak: 3,
  cooldownBreakAfterMs: 12 * HOUR_MS,
  cooldownBreakByLevel: false,
});

/** What a state persisted before the cooldown break existed resumes with: the rule it had (no break). */
/**
 * Params a persisted state may lack, at the rule it had: before the cooldown break existed there was
 * no break (its wait is then irrelevant); before `cooldownBreakByLevel` existed the level ratio could
 * break the cooldown too.
 */
const LEGACY_PARAMS = { cooldownBreak: 0, cooldownBreakAfterMs: 2 * HOUR_MS, cooldownBreakByLevel: true } as const;

/** [low, high, last time a value fell in it (epoch ms)] */
export type ValueInterval = [number, number, number];

/** Plain-JSON detector state (version 2). */
export interface AnomalyDetectorState {
  version: 2;
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
  /** the last levelWindowPoints values, oldest first */
  recent: number[];
  levelMean: number;
  levelDeviation: number;
  /** level medians seen so far */
  levelCount: number;
  /** decaying maxima of the novelty score r/(1+r) and of z */
  recordNovelty: number;
  recordLevel: number;
}

/** The detector's view of one point: both ratios and what the flag rule needs. */
export interface AnomalyComponents {
  /** novelty ratio (0 inside remembered values or before warm-up) */
  r: number;
  /** level ratio (0 before the level warm-up) */
  z: number;
  /** decaying maxima of the novelty score r/(1+r) and of z, before this point */
  recordNovelty: number;
  recordLevel: number;
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

export const anomalyDetectorParamsSchema = z.object({
  warmupPoints: z.number().int().min(0),
  memoryMs: z.number().positive(),
  maxIntervals: z.number().int().min(2).max(1024),
  stepHalfLifePoints: z.number().positive(),
  threshold: z.number().gt(0).lt(1),
  cooldownMs: z.number().min(0),
  levelWindowPoints: z.number().int().min(0).max(1024),
  levelHalfLifePoints: z.number().positive(),
  levelWarmupPoints: z.number().int().min(0),
  levelWeight: z.number().positive(),
  recordHalfLifeMs: z.number().min(0),
  recordFraction: z.number().min(0),
  cooldownBreak: z.number().min(0),
  cooldownBreakAfterMs: z.number().min(0),
  cooldownBreakByLevel: z.boolean(),
});

/** Params as persisted: a state saved before the cooldown break existed lacks its two fields (resumed as off). */
const persistedParamsSchema = anomalyDetectorParamsSchema.extend({
  cooldownBreak: z.number().min(0).optional(),
  cooldownBreakAfterMs: z.number().min(0).optional(),
  cooldownBreakByLevel: z.boolean().optional(),
});

const stateCore = {
  count: z.number().int().min(0),
  lastT: z.number().nullable(),
  previousValue: z.number().nullable(),
  typicalStep: z.number().min(0),
  intervals: z.array(z.tuple([z.number(), z.number(), z.number()])).max(1024),
  lastFlagT: z.number().nullable(),
};

/** Validates a persisted state; version 1 (before the level ratio) is accepted and upgraded on resume. */
export const anomalyDetectorStateSchema = z.union([
  z.object({
    version: z.literal(2),
    params: persistedParamsSchema,
    ...stateCore,
    recent: z.array(z.number()).max(1024),
    levelMean: z.number(),
    levelDeviation: z.number().min(0),
    levelCount: z.number().int().min(0),
    recordNovelty: z.number().min(0),
    recordLevel: z.number().min(0),
  }),
  z.object({
    version: z.literal(1),
    params: persistedParamsSchema.partial().extend({ threshold: z.number().gt(0).lt(1) }),
    ...stateCore,
  }),
]);
export type PersistedAnomalyState = z.infer<typeof anomalyDetectorStateSchema>;

export function initialAnomalyState(params: Partial<AnomalyDetectorParams> = {}): AnomalyDetectorState {
  return {
    version: 2,
    params: { ...DEFAULT_ANOMALY_PARAMS, ...params },
    count: 0,
    lastT: null,
    previousValue: null,
    typicalStep: 0,
    intervals: [],
    lastFlagT: null,
    recent: [],
    levelMean: 0,
    levelDeviation: 0,
    levelCount: 0,
    recordNovelty: 0,
    recordLevel: 0,
  };
}

/** A version-1 state continues with the level ratio starting cold (its novelty memory is kept). */
export function upgradeAnomalyState(state: PersistedAnomalyState | AnomalyDetectorState): AnomalyDetectorState {
  if (state.version === 2) {
    const copy = structuredClone(state);
    return { ...copy, params: { ...LEGACY_PARAMS, ...copy.params } };
  }
  const fresh = initialAnomalyState({ ...DEFAULT_ANOMALY_PARAMS, ...LEGACY_PARAMS, ...state.params });
  return {
    ...fresh,
    count: state.count,
    lastT: state.lastT,
    previousValue: state.previousValue,
    typicalStep: state.typicalStep,
    intervals: structuredClone(state.intervals),
    lastFlagT: state.lastFlagT,
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

function remember(
  state: AnomalyDetectorState,
  value: number,
  t: number,
  nearest: { distance: number; index: number },
): void {
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

/** Ratio → score in [0, 1): 0.5 at ratio 1, approaching 1 for large ratios. */
export function ratioToScore(ratio: number): number {
  return ratio === Infinity ? 1 : ratio / (1 + ratio);
}

/**
 * The flag rule, separate from the state update so the evaluation can re-apply it at other
 * thresholds to the same components (every other input is a fixed parameter). `levelMayFlag`
 * false: only novelty can flag (a point breaking the cooldown, see `breaksCooldownOnlyByNovelty`).
 */
export function isAnomalous(
  c: AnomalyComponents,
  threshold: number,
  levelWeight: number,
  recordFraction: number,
  levelMayFlag = true,
): boolean {
  const theta = threshold / (1 - threshold);
  const novel = c.r >= theta && ratioToScore(c.r) >= recordFraction * c.recordNovelty;
  const shifted = levelMayFlag && c.z >= theta * levelWeight && c.z >= recordFraction * c.recordLevel;
  return novel || shifted;
}

/**
 * Whether a point this long after the last flag may flag by novelty only: within the cooldown
 * (where only the break can flag), unless `cooldownBreakByLevel`. A second incident brings values
 * far from every value seen so far, the first incident's included, which is what novelty measures;
 * the level ratio only says the 2 h median left its baseline, which it may do within the range
 * already seen (an incident's aftermath), so it does not break the cooldown.
 */
export function breaksCooldownOnlyByNovelty(
  sinceLastFlagMs: number,
  rule: Pick<AnomalyDetectorParams, 'cooldownMs' | 'cooldownBreakByLevel'>,
): boolean {
  return !rule.cooldownBreakByLevel && sinceLastFlagMs < rule.cooldownMs;
}

/** The cooldown part of the flag rule: its flag-time parameters. */
export interface CooldownRule {
  cooldownMs: number;
  cooldownBreak: number;
  cooldownBreakAfterMs: number;
}

/**
 * The threshold a point must pass given the time since the last flag: `threshold` outside the
 * cooldown; within it, the threshold whose ratio bar is `cooldownBreak` times higher (θ·b in
 * score space, θ = s/(1−s)) once `cooldownBreakAfterMs` have passed; null when nothing may flag.
 */
export function thresholdAfterFlag(threshold: number, sinceLastFlagMs: number, rule: CooldownRule): number | null {
  if (sinceLastFlagMs >= rule.cooldownMs) return threshold;
  if (rule.cooldownBreak <= 0 || sinceLastFlagMs < rule.cooldownBreakAfterMs) return null;
  const raised = (threshold / (1 - threshold)) * rule.cooldownBreak;
  return raised / (1 + raised);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  // The upper median for an even count: one of the values, never a blend of two regimes.
  return sorted[Math.floor(sorted.length / 2)];
}

/** Level ratio of the current window, then the baseline learns it (after scoring, like novelty). */
function levelStep(state: AnomalyDetectorState, value: number): number {
  const p = state.params;
  if (p.levelWindowPoints <= 0) return 0;
  state.recent.push(value);
  if (state.recent.length > p.levelWindowPoints) state.recent.shift();
  if (state.recent.length < p.levelWindowPoints) return 0;
  const m = median(state.recent);
  const distance = Math.abs(m - state.levelMean);
  let z = 0;
  if (state.levelCount >= p.levelWarmupPoints) {
    z = state.levelDeviation > 0 ? distance / state.levelDeviation : distance > 0 ? Infinity : 0;
  }
  state.levelCount++;
  const weight = Math.max(1 - Math.pow(0.5, 1 / p.levelHalfLifePoints), 1 / state.levelCount);
  state.levelMean += weight * (m - state.levelMean);
  state.levelDeviation += weight * (Math.abs(m - state.levelMean) - state.levelDeviation);
  return z;
}

/**
 * Advances `state` by one point (mutates it) and returns both ratios with the decaying maxima
 * they are compared against; null for a point that is ignored (not finite, or not after the last one).
 */
export function stepAnomalyComponents(state: AnomalyDetectorState, t: number, value: number): AnomalyComponents | null {
  const p = state.params;
  if (!Number.isFinite(value) || !Number.isFinite(t) || (state.lastT !== null && t <= state.lastT)) return null;
  const elapsed = state.lastT === null ? 0 : t - state.lastT;
  state.lastT = t;
  state.intervals = state.intervals.filter((interval) => t - interval[2] <= p.memoryMs);
  const nearest = nearestInterval(state.intervals, value);

  let r = 0;
  if (state.count >= p.warmupPoints && nearest.index >= 0) {
    // A metric that has never moved has no scale: any departure from it is maximally novel.
    r = state.typicalStep > 0 ? nearest.distance / state.typicalStep : nearest.distance > 0 ? Infinity : 0;
  }
  // Learn only after scoring, so a spike cannot explain itself away.
  if (state.previousValue !== null) {
    const weight = Math.max(1 - Math.pow(0.5, 1 / p.stepHalfLifePoints), 1 / state.count);
    state.typicalStep += weight * (Math.abs(value - state.previousValue) - state.typicalStep);
  }
  state.previousValue = value;
  remember(state, value, t, nearest);
  state.count++;
  const z = levelStep(state, value);

  // The maxima decay with time (not points), so a gap in the data also ages what was reported.
  const decay = p.recordHalfLifeMs > 0 ? Math.pow(0.5, elapsed / p.recordHalfLifeMs) : 0;
  const components: AnomalyComponents = {
    r,
    z,
    recordNovelty: state.recordNovelty * decay,
    recordLevel: state.recordLevel * decay,
  };
  // An infinite ratio is recorded as a large finite number so the state stays valid JSON.
  state.recordNovelty = Math.max(components.recordNovelty, ratioToScore(r));
  state.recordLevel = Math.max(components.recordLevel, Math.min(z, 1e12));
  return components;
}

/** Advances `state` by one point (mutates it) and returns the score and flag. */
export function stepAnomalyState(state: AnomalyDetectorState, t: number, value: number): AnomalyResult {
  const p = state.params;
  const c = stepAnomalyComponents(state, t, value);
  if (c === null) return { score: 0, anomaly: false };
  const score = ratioToScore(Math.max(c.r, c.z / p.levelWeight));
  const since = state.lastFlagT === null ? Infinity : t - state.lastFlagT;
  const bar = thresholdAfterFlag(p.threshold, since, p);
  const anomaly =
    bar !== null && isAnomalous(c, bar, p.levelWeight, p.recordFraction, !breaksCooldownOnlyByNovelty(since, p));
  if (anomaly) state.lastFlagT = t;
  return { score, anomaly };
}

/** A detector over a fresh state, or over a state persisted earlier (e.g. returned by an activity). */
export function createAnomalyDetector(
  params: Partial<AnomalyDetectorParams> = {},
  resumeFrom?: PersistedAnomalyState | AnomalyDetectorState,
): AnomalyDetector {
  const state: AnomalyDetectorState = resumeFrom ? upgradeAnomalyState(resumeFrom) : initialAnomalyState(params);
  return {
    update: (t, value) => stepAnomalyState(state, t, value),
    state: () => structuredClone(state),
  };
}
