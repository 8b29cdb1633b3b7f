/**
 * Demand forecaster for a node group's load (CPU utilisation, request rate, …) at a regular step.
 *
 * Candidates: Holt-Winters with a daily season, with a weekly season when the history holds at
 * least two weeks, and without season (damped Holt / simple exponential smoothing). Each is
 * fitted over a small parameter grid and backtested on the recent part of the history itself
 * (rolling origins, the same multi-step horizon as asked), and the candidate with the lowest
 * backtest error wins — so a metric without a daily rhythm is not forced into one. The upper
 * forecast adds the chosen model's backtest error quantile for each step ahead.
 */
import { fitHoltWinters, type HoltWintersRun } from './holt-winters';
import { mean, quantile } from './metrics';

export interface DemandForecastInput {
  /** load at a regular step, oldest first (gaps filled beforehand, see regularise in series.ts) */
  history: readonly number[];
  /** minutes between consecutive points (e.g. 5 for a 300 s CloudWatch period) */
  stepMinutes: number;
  /** how many steps to forecast */
  horizonSteps: number;
  /** quantile of the upper forecast, default 0.9 */
  upperQuantile?: number;
  /**
   * The scale-up window inside the horizon, as 0-based step indices (inclusive); the whole
   * horizon by default.
   */
  window?: { fromStep: number; toStep: number };
  /** the recent observed load that the increase is measured against: mean of the last N steps, default one hour */
  baselineSteps?: number;
}

export interface DemandForecast {
  point: number[];
  upper: number[];
  /**
   * Relative increase of the forecast peak in the window over the recent observed load:
   * 0.25 means the window's peak is expected 25% above the last hour's mean. Negative when load
   * is expected to fall; 0 when the baseline is not positive (no meaningful ratio).
   */
  predictedLoadIncrease: number;
  /** which candidate won, e.g. "holt-winters/daily" */
  model: string;
  /** the winner's mean absolute backtest error (NaN when the history was too short to backtest) */
  backtestMae: number;
}

const MINUTES_PER_DAY = 1440;
/** How far back the backtest origins reach: recent behaviour is what the next hours resemble. */
const BACKTEST_SPAN_DAYS = 3;
/** Fewer origins than this and the backtest cannot be trusted to choose a model. */
const MIN_BACKTEST_ORIGINS = 4;

interface Candidate {
  name: string;
  period: number;
}

function candidatesFor(historyLength: number, stepMinutes: number, horizon: number): Candidate[] {
  const daily = Math.round(MINUTES_PER_DAY / stepMinutes);
  const candidates: Candidate[] = [{ name: 'holt-winters/no-season', period: 1 }];
  if (daily >= 2 && historyLength >= 2 * daily + horizon) candidates.push({ name: 'holt-winters/daily', period: daily });
  if (daily >= 1 && historyLength >= 14 * daily + horizon) candidates.push({ name: 'holt-winters/weekly', period: 7 * daily });
  return candidates;
}

/** Running maximum, so the uncertainty band never narrows further ahead. */
function widening(margins: number[]): number[] {
  let widest = 0;
  return margins.map((m) => (widest = Math.max(widest, m)));
}

export function forecastDemand(input: DemandForecastInput): DemandForecast {
  const history = input.history;
  const horizon = Math.max(1, Math.floor(input.horizonSteps));
  const q = input.upperQuantile ?? 0.9;
  if (history.length === 0) throw new Error('forecastDemand: empty history');
  if (!(input.stepMinutes > 0)) throw new Error('forecastDemand: stepMinutes must be positive');

  const candidates = candidatesFor(history.length, input.stepMinutes, horizon);
  const longestPeriod = Math.max(...candidates.map((c) => c.period));
  const span = Math.round((BACKTEST_SPAN_DAYS * MINUTES_PER_DAY) / input.stepMinutes);
  const from = Math.max(2 * longestPeriod, history.length - horizon - span, 1);
  const every = Math.max(1, Math.floor(horizon / 2));
  const origins = Math.max(0, Math.floor((history.length - horizon - 1 - from) / every) + 1);

  let best: { candidate: Candidate; run: HoltWintersRun } | null = null;
  if (origins >= MIN_BACKTEST_ORIGINS) {
    for (const candidate of candidates) {
      const run = fitHoltWinters(history, candidate.period, { horizon, from, every });
      if (best === null || run.backtestMae < best.run.backtestMae) best = { candidate, run };
    }
  }

  let point: number[];
  let margins: number[];
  let model: string;
  let backtestMae = Number.NaN;
  if (best === null) {
    // Too little history to compare models: carry the recent mean forward, with the recent spread as margin.
    const recent = history.slice(-Math.max(1, Math.round(60 / input.stepMinutes)));
    const level = mean(recent);
    point = new Array(horizon).fill(level);
    margins = new Array(horizon).fill(Math.max(0, quantile(recent, q) - level));
    model = 'recent-mean';
  } else {
    point = best.run.forecast;
    margins = widening(best.run.errorsByStep.map((errors) => Math.max(0, quantile(errors, q))));
    model = best.candidate.name;
    backtestMae = best.run.backtestMae;
  }
  const upper = point.map((p, h) => p + margins[h]);
  return { point, upper, predictedLoadIncrease: loadIncrease(history, point, input), model, backtestMae };
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
