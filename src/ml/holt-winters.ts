/**
 * Additive Holt-Winters with a damped trend, run as a single recursive pass that can also
 * backtest itself: at chosen origins inside the history it forecasts `horizon` steps ahead and
 * records the absolute errors per step ahead. That one pass both picks parameters (by multi-step
 * error, which is what a scale-up decision depends on, rather than one-step error) and yields
 * the empirical error quantiles behind the upper forecast.
 *
 * Robustness: CloudWatch metrics have spikes, so each one-step error is clipped to a few times
 * its running mean absolute size before it updates the state (a spike moves the level a little,
 * not all the way).
 */

export interface HoltWintersParams {
  /** level smoothing */
  alpha: number;
  /** trend smoothing; 0 = no trend (with period 1: simple exponential smoothing) */
  beta: number;
  /** seasonal smoothing (ignored when period is 1) */
  gamma: number;
  /** trend damping per step */
  phi: number;
  /** season length in steps; 1 = no seasonality */
  period: number;
}

export interface BacktestPlan {
  horizon: number;
  /** first origin (index of the last observation used) */
  from: number;
  /** distance between origins */
  every: number;
}

export interface HoltWintersRun {
  params: HoltWintersParams;
  /** forecast from the end of the history, `horizon` steps */
  forecast: number[];
  /** signed backtest errors (actual − forecast), indexed by steps ahead − 1 */
  errorsByStep: number[][];
  /** mean of all backtest errors (NaN when there were no origins) */
  backtestMae: number;
}

/** Error clipping: a spike larger than this many mean absolute errors updates the state as if it were this large. */
const CLIP_MULTIPLE = 4;
const ERROR_SIZE_ALPHA = 0.05;

interface State {
  level: number;
  trend: number;
  season: Float64Array;
}

function initialState(values: readonly number[], period: number): State {
  const season = new Float64Array(period);
  if (period > 1 && values.length >= 2 * period) {
    // Two full cycles: their means give the level and trend, their deviations the seasonal shape.
    let first = 0;
    let second = 0;
    for (let i = 0; i < period; i++) {
      first += values[i];
      second += values[i + period];
    }
    first /= period;
    second /= period;
    const trend = (second - first) / period;
    // Deviations from each cycle's mean *and* its within-cycle trend, or the season would carry a ramp.
    for (let i = 0; i < period; i++) {
      const trendOffset = trend * (i - (period - 1) / 2);
      season[i] = (values[i] - first - trendOffset + values[i + period] - second - trendOffset) / 2;
    }
    return { level: first - trend * ((period + 1) / 2), trend, season };
  }
  return { level: values[0] ?? 0, trend: 0, season };
}

function forecastFrom(state: State, phi: number, nextIndex: number, horizon: number, out: number[]): void {
  const period = state.season.length;
  let damped = 0;
  let power = 1;
  for (let h = 1; h <= horizon; h++) {
    power *= phi;
    damped += power;
    out[h - 1] = state.level + damped * state.trend + state.season[(nextIndex + h - 1) % period];
  }
}

/** Fits nothing: runs the filter with the given parameters, backtesting as planned. */
export function runHoltWinters(
  values: readonly number[],
  params: HoltWintersParams,
  plan: BacktestPlan,
): HoltWintersRun {
  const period = Math.max(1, Math.floor(params.period));
  const { alpha, beta, phi } = params;
  const gamma = period > 1 ? params.gamma : 0;
  const state = initialState(values, period);
  // beta = 0 means "no trend" (not "the first two cycles' trend forever"): a start-up slope
  // extrapolated for weeks is exactly the failure a scale-up decision must not inherit.
  if (beta === 0) state.trend = 0;
  const errorsByStep: number[][] = Array.from({ length: plan.horizon }, () => []);
  const scratch: number[] = new Array(plan.horizon);
  let errorSize = 0;
  let errorCount = 0;
  let errorSum = 0;
  for (let t = 0; t < values.length; t++) {
    const seasonIndex = t % period;
    const seasonal = state.season[seasonIndex];
    const predicted = state.level + phi * state.trend + seasonal;
    let error = values[t] - predicted;
    if (t > period) {
      const limit = CLIP_MULTIPLE * errorSize;
      if (limit > 0) error = Math.max(-limit, Math.min(limit, error));
      errorSize += ERROR_SIZE_ALPHA * (Math.abs(values[t] - predicted) - errorSize);
    } else {
      errorSize += (Math.abs(error) - errorSize) / (t + 1);
    }
    const observed = predicted + error;
    const previousLevel = state.level;
    state.level = alpha * (observed - seasonal) + (1 - alpha) * (previousLevel + phi * state.trend);
    state.trend = beta * (state.level - previousLevel) + (1 - beta) * phi * state.trend;
    if (period > 1) state.season[seasonIndex] = gamma * (observed - state.level) + (1 - gamma) * seasonal;

    const isOrigin = t >= plan.from && (t - plan.from) % plan.every === 0 && t + plan.horizon < values.length;
    if (isOrigin) {
      forecastFrom(state, phi, t + 1, plan.horizon, scratch);
      for (let h = 1; h <= plan.horizon; h++) {
        const signedError = values[t + h] - scratch[h - 1];
        errorsByStep[h - 1].push(signedError);
        errorSum += Math.abs(signedError);
        errorCount++;
      }
    }
  }
  const forecast: number[] = new Array(plan.horizon);
  forecastFrom(state, phi, values.length, plan.horizon, forecast);
  return {
    params: { ...params, period },
    forecast,
    errorsByStep,
    backtestMae: errorCount > 0 ? errorSum / errorCount : Number.NaN,
  };
}

/** Parameter grid: coarse on purpose (fast, and fine grids overfit the backtest). */
export function holtWintersGrid(period: number): HoltWintersParams[] {
  const grid: HoltWintersParams[] = [];
  for (const alpha of [0.02, 0.05, 0.1, 0.2, 0.4, 0.7]) {
    // No trend, a damped trend, a linear trend.
    for (const [beta, phi] of [
      [0, 1],
      [0.01, 0.98],
      [0.01, 1],
    ] as const) {
      for (const gamma of period > 1 ? [0.02, 0.1, 0.3] : [0]) grid.push({ alpha, beta, gamma, phi, period });
    }
  }
  return grid;
}

/** The run with the lowest backtest error over a parameter grid. */
export function fitHoltWinters(values: readonly number[], period: number, plan: BacktestPlan): HoltWintersRun {
  let best: HoltWintersRun | null = null;
  for (const params of holtWintersGrid(period)) {
    const run = runHoltWinters(values, params, plan);
    if (best === null || run.backtestMae < best.backtestMae) best = run;
  }
  return best as HoltWintersRun;
}
