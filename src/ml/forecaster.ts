/**
 * Demand forecaster for a node group's load (CPU utilisation, request rate, …) at a regular step.
 *
 * Two kinds of candidate, each backtested on the recent part of the history itself (rolling
 * origins, the same multi-step horizon as asked):
 * - Robust level: the median of the medians of the last 1 h, 2 h and 4 h, held flat. CloudWatch
 *   metrics are spiky and shift level; for absolute error over a few hours the best flat forecast
 *   is a median, and a median of three window lengths follows a level shift within the hour
 *   without being dragged by a burst. On the NAB CloudWatch series this beats every smoothing
 *   model, the last-hour mean and statsforecast's AutoETS/AutoTheta/MSTL (see `npm run eval:ml`).
 * - Holt-Winters (damped trend; daily season, weekly season when two weeks exist, or none), each
 *   fitted over a small grid by the same backtest. It wins only when its backtest error is below
 *   `seasonalAdvantage` × the robust level's — a real daily rhythm (business hours), not noise.
 *
 * Prediction intervals (80% and 95%) are empirical: quantiles of the chosen candidate's own signed
 * backtest errors, per step ahead, pooled over neighbouring steps so that each quantile rests on
 * a few hundred errors. `npm run eval:ml` measures their coverage on data the model has not seen.
 */
import { fitHoltWinters, type HoltWintersRun } from './holt-winters';
import { mean, median } from './metrics';

export interface DemandForecastInput {
  /** load at a regular step, oldest first (gaps filled beforehand, see regularise in series.ts) */
  history: readonly number[];
  /** minutes between consecutive points (e.g. 5 for a 300 s CloudWatch period) */
  stepMinutes: number;
  /** how many steps to forecast */
  horizonSteps: number;
  /** quantile of the upper forecast, default 0.9 (the upper bound of the 80% interval) */
  upperQuantile?: number;
  /**
   * The scale-up window inside the horizon, as 0-based step indices (inclusive); the whole
   * horizon by default.
   */
  window?: { fromStep: number; toStep: number };
  /** the recent observed load that the increase is measured against: mean of the last N steps, default one hour */
  baselineSteps?: number;
}

export interface PredictionInterval {
  lower: number[];
  upper: number[];
}

export interface DemandForecast {
  point: number[];
  /** point + the upperQuantile of the backtest errors (never below point) */
  upper: number[];
  /** central prediction intervals per step */
  intervals: { p80: PredictionInterval; p95: PredictionInterval };
  /**
   * Relative increase of the forecast peak in the window over the recent observed load:
   * 0.25 means the window's peak is expected 25% above the last hour's mean. Negative when load
   * is expected to fall; 0 when the baseline is not positive (no meaningful ratio).
   */
  predictedLoadIncrease: number;
  /** the same increase measured on the upper bound of the 80% interval (what a cautious scale-up sizes for) */
  predictedLoadIncreaseUpper80: number;
  /** which candidate won, e.g. "robust-level" or "holt-winters/daily" */
  model: string;
  /** the winner's mean absolute backtest error (NaN when the history was too short to backtest) */
  backtestMae: number;
}

/** The choices the evaluation's leave-one-series-out model selection ranges over. */
export interface ForecasterConfig {
  name: string;
  /** robust level: median of the medians over these windows (minutes) */
  levelWindowsMinutes: number[];
  /** Holt-Winters wins when its backtest MAE < this × the robust level's (0: never) */
  seasonalAdvantage: number;
}

export const FORECASTER_CONFIGS: readonly ForecasterConfig[] = Object.freeze([
  { name: 'level(1h,2h,4h)+hw@0.8', levelWindowsMinutes: [60, 120, 240], seasonalAdvantage: 0.8 },
  { name: 'level(1h,2h,4h)+hw@0.6', levelWindowsMinutes: [60, 120, 240], seasonalAdvantage: 0.6 },
  { name: 'level(1h,2h,4h)+hw@1', levelWindowsMinutes: [60, 120, 240], seasonalAdvantage: 1 },
  { name: 'level(30m,2h,8h)+hw@0.8', levelWindowsMinutes: [30, 120, 480], seasonalAdvantage: 0.8 },
  { name: 'level(2h)+hw@0.8', levelWindowsMinutes: [120], seasonalAdvantage: 0.8 },
  { name: 'level(1h)+hw@0.8', levelWindowsMinutes: [60], seasonalAdvantage: 0.8 },
  { name: 'hw-only', levelWindowsMinutes: [], seasonalAdvantage: Number.POSITIVE_INFINITY },
]);

/** What the leave-one-out selection picks on all 13 NAB series (see `npm run eval:ml`). */
export const DEFAULT_FORECASTER_CONFIG: ForecasterConfig = FORECASTER_CONFIGS[0];

const MINUTES_PER_DAY = 1440;
/** How far back the backtest origins reach: recent behaviour is what the next hours resemble. */
const BACKTEST_SPAN_DAYS = 3;
/** Fewer origins than this and the backtest cannot be trusted to choose a model. */
const MIN_BACKTEST_ORIGINS = 4;

interface HwCandidate {
  name: string;
  period: number;
}

function holtWintersCandidates(historyLength: number, stepMinutes: number, horizon: number): HwCandidate[] {
  const daily = Math.round(MINUTES_PER_DAY / stepMinutes);
  const candidates: HwCandidate[] = [{ name: 'holt-winters/no-season', period: 1 }];
  if (daily >= 2 && historyLength >= 2 * daily + horizon)
    candidates.push({ name: 'holt-winters/daily', period: daily });
  if (daily >= 1 && historyLength >= 14 * daily + horizon)
    candidates.push({ name: 'holt-winters/weekly', period: 7 * daily });
  return candidates;
}

export interface BacktestPlanFor {
  horizon: number;
  from: number;
  every: number;
  origins: number;
}

/** The rolling origins both candidate kinds are backtested at. */
export function backtestPlan(historyLength: number, stepMinutes: number, horizonSteps: number): BacktestPlanFor {
  const horizon = Math.max(1, Math.floor(horizonSteps));
  const candidates = holtWintersCandidates(historyLength, stepMinutes, horizon);
  const longestPeriod = Math.max(...candidates.map((c) => c.period));
  const span = Math.round((BACKTEST_SPAN_DAYS * MINUTES_PER_DAY) / stepMinutes);
  const from = Math.max(2 * longestPeriod, historyLength - horizon - span, 1);
  const every = Math.max(1, Math.floor(horizon / 2));
  const origins = Math.max(0, Math.floor((historyLength - horizon - 1 - from) / every) + 1);
  return { horizon, from, every, origins };
}

/** The best Holt-Winters run (null when the history is too short to backtest); exported so the evaluation can share it between configs. */
export function bestHoltWinters(
  history: readonly number[],
  stepMinutes: number,
  horizonSteps: number,
): { name: string; run: HoltWintersRun } | null {
  const plan = backtestPlan(history.length, stepMinutes, horizonSteps);
  if (plan.origins < MIN_BACKTEST_ORIGINS) return null;
  let best: { name: string; run: HoltWintersRun } | null = null;
  for (const candidate of holtWintersCandidates(history.length, stepMinutes, plan.horizon)) {
    const run = fitHoltWinters(history, candidate.period, plan);
    if (best === null || run.backtestMae < best.run.backtestMae) best = { name: candidate.name, run };
  }
  return best;
}

/** Median of the medians of the last `windows` steps of history[0, end). */
function robustLevel(history: readonly number[], end: number, windows: number[]): number {
  return median(windows.map((w) => median(history.slice(Math.max(0, end - w), end))));
}

/** The robust level's forecast from the end of the history and its signed backtest errors per step ahead. */
function robustLevelRun(history: readonly number[], windows: number[], plan: BacktestPlanFor): HoltWintersRun {
  const errorsByStep: number[][] = Array.from({ length: plan.horizon }, () => []);
  let errorSum = 0;
  let errorCount = 0;
  for (let t = plan.from; t + plan.horizon < history.length; t += plan.every) {
    // An origin t has seen history[0..t] (inclusive), as in the Holt-Winters backtest.
    const level = robustLevel(history, t + 1, windows);
    for (let h = 1; h <= plan.horizon; h++) {
      const error = history[t + h] - level;
      errorsByStep[h - 1].push(error);
      errorSum += Math.abs(error);
      errorCount++;
    }
  }
  const level = robustLevel(history, history.length, windows);
  return {
    params: { alpha: 0, beta: 0, gamma: 0, phi: 1, period: 1 },
    forecast: new Array(plan.horizon).fill(level),
    errorsByStep,
    backtestMae: errorCount > 0 ? errorSum / errorCount : Number.NaN,
  };
}

/** Per step ahead, the sorted signed errors of the steps within ±pool of it (enough errors for a 95% interval). */
function pooledErrors(errorsByStep: number[][]): number[][] {
  const pool = Math.max(1, Math.round(errorsByStep.length / 8));
  return errorsByStep.map((_, h) => {
    const errors: number[] = [];
    for (let k = Math.max(0, h - pool); k <= Math.min(errorsByStep.length - 1, h + pool); k++)
      errors.push(...errorsByStep[k]);
    return errors.sort((a, b) => a - b);
  });
}

/** Linear-interpolated quantile of an already sorted sample (0 when empty). */
function sortedQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

function interval(point: number[], pooled: number[][], coverage: number): PredictionInterval {
  const tail = (1 - coverage) / 2;
  return {
    lower: point.map((p, h) => p + Math.min(0, sortedQuantile(pooled[h], tail))),
    upper: point.map((p, h) => p + Math.max(0, sortedQuantile(pooled[h], 1 - tail))),
  };
}

export interface ForecastOptions {
  config?: ForecasterConfig;
  /** a precomputed bestHoltWinters() for this exact history (the evaluation shares it between configs) */
  holtWinters?: { name: string; run: HoltWintersRun } | null;
}

export function forecastDemand(input: DemandForecastInput, options: ForecastOptions = {}): DemandForecast {
  const history = input.history;
  const horizon = Math.max(1, Math.floor(input.horizonSteps));
  const q = input.upperQuantile ?? 0.9;
  const config = options.config ?? DEFAULT_FORECASTER_CONFIG;
  if (history.length === 0) throw new Error('forecastDemand: empty history');
  if (!(input.stepMinutes > 0)) throw new Error('forecastDemand: stepMinutes must be positive');

  const plan = backtestPlan(history.length, input.stepMinutes, horizon);
  let chosen: { name: string; run: HoltWintersRun } | null = null;
  if (plan.origins >= MIN_BACKTEST_ORIGINS) {
    const hw =
      options.holtWinters !== undefined
        ? options.holtWinters
        : config.seasonalAdvantage > 0
          ? bestHoltWinters(history, input.stepMinutes, horizon)
          : null;
    const windows = config.levelWindowsMinutes.map((m) => Math.max(1, Math.round(m / input.stepMinutes)));
    const level = windows.length > 0 ? { name: 'robust-level', run: robustLevelRun(history, windows, plan) } : null;
    chosen = level;
    if (hw && (level === null || hw.run.backtestMae < config.seasonalAdvantage * level.run.backtestMae)) chosen = hw;
  }

  let point: number[];
  let errorsByStep: number[][];
  let model: string;
  let backtestMae = Number.NaN;
  if (chosen === null) {
    // Too little history to compare models: carry the recent mean forward, the recent spread as errors.
    const recent = history.slice(-Math.max(1, Math.round(60 / input.stepMinutes)));
    const level = mean(recent);
    point = new Array(horizon).fill(level);
    errorsByStep = new Array(horizon).fill(recent.map((v) => v - level));
    model = 'recent-mean';
  } else {
    point = chosen.run.forecast;
    errorsByStep = chosen.run.errorsByStep;
    model = chosen.name;
    backtestMae = chosen.run.backtestMae;
  }
  const pooled = pooledErrors(errorsByStep);
  const upper = point.map((p, h) => p + Math.max(0, sortedQuantile(pooled[h], Math.min(1, Math.max(0, q)))));
  const intervals = { p80: interval(point, pooled, 0.8), p95: interval(point, pooled, 0.95) };
  return {
    point,
    upper,
    intervals,
    predictedLoadIncrease: loadIncrease(history, point, input),
    predictedLoadIncreaseUpper80: loadIncrease(history, intervals.p80.upper, input),
    model,
    backtestMae,
  };
}

function loadIncrease(history: readonly number[], point: number[], input: DemandForecastInput): number {
  const baselineSteps = Math.max(1, input.baselineSteps ?? Math.round(60 / input.stepMinutes));
  const baseline = mean(history.slice(-baselineSteps));
  const fromStep = Math.max(0, Math.min(point.length - 1, input.window?.fromStep ?? 0));
  const toStep = Math.max(fromStep, Math.min(point.length - 1, input.window?.toStep ?? point.length - 1));
  const peak = Math.max(...point.slice(fromStep, toStep + 1));
  if (!(baseline > 0)) return 0;
  return peak / baseline - 1;
}
