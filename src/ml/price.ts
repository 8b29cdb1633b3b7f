/**
 * Spot price predictor for one (instance type, AZ): 24 h point forecast with an interval, the
 * trend and a volatility score.
 *
 * EC2 Spot prices (since AWS smoothed them in 2017) drift slowly and persistently, so the
 * forecast continues half of the least-squares slope of the last day from the current price
 * — on the shared 2021 history this beats "the price stays where it is" (see the price line of
 * `npm run eval:ml`). The interval comes from the same rule's own errors in the preceding
 * two weeks (per hour ahead, 5th–95th percentile), with a small floor so that a price that has
 * not moved for days does not get a zero-width band.
 *
 * Input is the raw `describe-spot-price-history` shape: one point per price change; the price
 * holds until the next change. Everything is resampled to hours by carrying the price forward.
 */

import type { PricePoint } from '../domain/pricing/spot-history';
import type { PriceTrend } from '../domain/spot/price-outlook';

export type { PricePoint, PriceTrend };

export interface SpotPriceOptions {
  /** the moment to forecast from (epoch ms); default: the last change in the history */
  now?: number;
  /** default 24 */
  horizonHours?: number;
}

export interface SpotPriceForecast {
  /** forecast price at the end of the horizon */
  forecast: number;
  /** interval for the price at the end of the horizon */
  lower: number;
  upper: number;
  /**
   * Direction over a day: the forecast mean of the next 24 h against the observed mean of the
   * last 24 h; "stable" within ±0.5%.
   */
  trend: PriceTrend;
  /** 0 = the price does not move; 1 − e^(−σ/2%) where σ is the daily standard deviation of log changes over the last week */
  volatility: number;
  /** the current price (last known) */
  current: number;
  /** hourly path: forecast and interval for each hour ahead */
  hourly: { t: number; forecast: number; lower: number; upper: number }[];
}

const HOUR_MS = 3_600_000;
/** Share of the last day's slope that is carried forward: recent drift persists, but not fully. */
export const SLOPE_CARRY = 0.5;
const SLOPE_WINDOW_HOURS = 24;
const CALIBRATION_HOURS = 14 * 24;
const VOLATILITY_WINDOW_HOURS = 7 * 24;
/** σ_daily (log) that maps to volatility 1 − 1/e. */
const VOLATILITY_SCALE = 0.02;
/** ±0.5%: smaller daily moves are called stable. */
export const TREND_THRESHOLD = 0.005;
const INTERVAL_LOW_Q = 0.05;
const INTERVAL_HIGH_Q = 0.95;
/** Floor of the interval half-width, relative to the price. */
const MIN_RELATIVE_HALF_WIDTH = 0.0025;

/** Prices at `from`, `from + 1 h`, …, `to` (inclusive), carrying the last change forward. */
export function resampleHourly(history: readonly PricePoint[], from: number, to: number): number[] {
  const out: number[] = [];
  let k = 0;
  let current = history[0].price;
  for (let t = from; t <= to; t += HOUR_MS) {
    while (k < history.length && history[k].t <= t) current = history[k++].price;
    out.push(current);
  }
  return out;
}

function leastSquaresSlope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const xMean = (n - 1) / 2;
  let yMean = 0;
  for (const v of values) yMean += v;
  yMean /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - xMean) * (values[i] - yMean);
    sxx += (i - xMean) * (i - xMean);
  }
  return sxy / sxx;
}

/** The point forecast rule, from an hourly series ending at the forecast origin. */
export function driftForecast(hourly: readonly number[], horizonHours: number): number[] {
  const last = hourly[hourly.length - 1];
  const slope = leastSquaresSlope(hourly.slice(-(SLOPE_WINDOW_HOURS + 1)));
  return Array.from({ length: horizonHours }, (_, h) => last + SLOPE_CARRY * slope * (h + 1));
}

function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Classifies a relative change of the daily mean price. */
export function trendOf(relativeChange: number): PriceTrend {
  if (relativeChange > TREND_THRESHOLD) return 'increasing';
  if (relativeChange < -TREND_THRESHOLD) return 'decreasing';
  return 'stable';
}

function volatilityOf(hourly: readonly number[]): number {
  const window = hourly.slice(-(VOLATILITY_WINDOW_HOURS + 1));
  if (window.length < 3) return 0;
  const returns: number[] = [];
  for (let i = 1; i < window.length; i++) returns.push(Math.log(window[i] / window[i - 1]));
  const m = returns.reduce((s, r) => s + r, 0) / returns.length;
  const variance = returns.reduce((s, r) => s + (r - m) * (r - m), 0) / returns.length;
  const dailySigma = Math.sqrt(variance * 24);
  return 1 - Math.exp(-dailySigma / VOLATILITY_SCALE);
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

export function predictSpotPrice(history: readonly PricePoint[], opts: SpotPriceOptions = {}): SpotPriceForecast {
  const points = history.filter((p) => Number.isFinite(p.t) && p.price > 0).sort((a, b) => a.t - b.t);
  if (points.length === 0) throw new Error('predictSpotPrice: no valid price in the history');
  const horizon = Math.max(1, Math.floor(opts.horizonHours ?? 24));
  const now = opts.now ?? points[points.length - 1].t;
  const known = points.filter((p) => p.t <= now);
  if (known.length === 0) throw new Error('predictSpotPrice: every price in the history is after `now`');
  // Hourly grid ending exactly at `now`, reaching back far enough for calibration, or to the first known price.
  const maxHours = CALIBRATION_HOURS + SLOPE_WINDOW_HOURS + horizon;
  const hoursAvailable = Math.floor((now - known[0].t) / HOUR_MS);
  const from = now - Math.min(maxHours, hoursAvailable) * HOUR_MS;
  const hourly = resampleHourly(known, from, now);
  const current = hourly[hourly.length - 1];

  const path = driftForecast(hourly, horizon);
  const { below, above } = calibrationMargins(hourly, horizon);
  const hourlyOut = path.map((forecast, h) => {
    const floor = MIN_RELATIVE_HALF_WIDTH * forecast;
    return {
      t: now + (h + 1) * HOUR_MS,
      forecast,
      lower: Math.max(0, forecast - Math.max(below[h], floor)),
      upper: forecast + Math.max(above[h], floor),
    };
  });
  const pastDay = hourly.slice(-24);
  const nextDay = path.slice(0, 24);
  const end = hourlyOut[hourlyOut.length - 1];
  return {
    forecast: end.forecast,
    lower: end.lower,
    upper: end.upper,
    trend: trendOf(mean(nextDay) / mean(pastDay) - 1),
    volatility: volatilityOf(hourly),
    current,
    hourly: hourlyOut,
  };
}

/**
 * How far below/above the forecast the price landed, per hour ahead, when the same rule was
 * applied at every hour of the calibration period (relative errors, rescaled to today's price).
 * Slopes come from prefix sums so that calibrating costs O(hours × horizon), not a refit per hour.
 */
function calibrationMargins(hourly: readonly number[], horizon: number): { below: number[]; above: number[] } {
  const n = hourly.length;
  const sum = new Float64Array(n + 1);
  const weightedSum = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) {
    sum[j + 1] = sum[j] + hourly[j];
    weightedSum[j + 1] = weightedSum[j] + j * hourly[j];
  }
  const width = SLOPE_WINDOW_HOURS + 1;
  const xMean = (width - 1) / 2;
  const sxx = (width * (width * width - 1)) / 12;
  const firstOrigin = Math.max(SLOPE_WINDOW_HOURS, n - 1 - CALIBRATION_HOURS);
  const errors: Float64Array[] = Array.from(
    { length: horizon },
    () => new Float64Array(Math.max(0, n - 1 - firstOrigin)),
  );
  const counts = new Int32Array(horizon);
  for (let origin = firstOrigin; origin + 1 < n; origin++) {
    const start = origin - SLOPE_WINDOW_HOURS;
    const windowSum = sum[origin + 1] - sum[start];
    const sumXY = weightedSum[origin + 1] - weightedSum[start] - start * windowSum;
    const slope = (sumXY - xMean * windowSum) / sxx;
    const last = hourly[origin];
    for (let h = 0; h < horizon && origin + 1 + h < n; h++) {
      const forecast = last + SLOPE_CARRY * slope * (h + 1);
      errors[h][counts[h]++] = (hourly[origin + 1 + h] - forecast) / last;
    }
  }
  const current = hourly[n - 1];
  let widestBelow = 0;
  let widestAbove = 0;
  const below: number[] = [];
  const above: number[] = [];
  for (let h = 0; h < horizon; h++) {
    const sorted = errors[h].subarray(0, counts[h]).sort();
    // The band never narrows further ahead (later hours have fewer calibration samples).
    widestBelow = Math.max(widestBelow, -quantileSorted(sorted, INTERVAL_LOW_Q) * current);
    widestAbove = Math.max(widestAbove, quantileSorted(sorted, INTERVAL_HIGH_Q) * current);
    below.push(widestBelow);
    above.push(widestAbove);
  }
  return { below, above };
}
