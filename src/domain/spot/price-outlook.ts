import type { PricePoint } from '../pricing/spot-history';

export type PriceTrend = 'decreasing' | 'stable' | 'increasing';

/** What the opportunity score needs from a price model; the shape of `predictSpotPrice` in src/ml. */
export interface PriceOutlook {
  forecast: number;
  lower: number;
  upper: number;
  trend: PriceTrend;
  /** 0..1; the score's stability bonus is (1 − volatility) × 20. */
  volatility: number;
}

export interface PriceOutlookOptions {
  /** Hours ahead the forecast looks. Default 24. */
  horizonHours?: number;
  /** The analysis time (epoch ms): the forecast starts here, not at the last price change, which may be days old. */
  now?: number;
}

export type PriceModel = (history: PricePoint[], opts?: PriceOutlookOptions) => PriceOutlook;

const HOUR = 3_600_000;
/** A relative change over the window below this is "stable": spot prices move by cents. */
const TREND_THRESHOLD = 0.03;

/**
 * Resamples a change-point history onto an hourly grid by carrying the last price forward (the
 * price holds until the next change), from the first point to the last.
 */
export function resampleHourly(history: PricePoint[]): number[] {
  if (history.length === 0) return [];
  const out: number[] = [];
  let i = 0;
  for (let t = history[0].t; t <= history[history.length - 1].t; t += HOUR) {
    while (i + 1 < history.length && history[i + 1].t <= t) i++;
    out.push(history[i].price);
  }
  if (out.length === 0) out.push(history[0].price);
  return out;
}

/**
 * The simple estimate used when no price model is wired in: an hourly carry-forward series, its
 * least-squares slope for the trend and forecast, and its coefficient of variation as volatility.
 * The band is the forecast ± two standard deviations of the residuals. Deliberately plain: it is
 * the documented baseline the ML model in src/ml has to beat.
 */
export const simplePriceOutlook: PriceModel = (history, opts = {}) => {
  const series = resampleHourly(history);
  if (series.length === 0) return { forecast: 0, lower: 0, upper: 0, trend: 'stable', volatility: 0.5 };
  const n = series.length;
  const mean = series.reduce((s, v) => s + v, 0) / n;
  const last = series[n - 1];
  if (n < 2 || mean <= 0) return { forecast: last, lower: last, upper: last, trend: 'stable', volatility: 0 };
  const xMean = (n - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  for (let x = 0; x < n; x++) {
    sxy += (x - xMean) * (series[x] - mean);
    sxx += (x - xMean) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = mean - slope * xMean;
  let sse = 0;
  let ss = 0;
  for (let x = 0; x < n; x++) {
    sse += (series[x] - (intercept + slope * x)) ** 2;
    ss += (series[x] - mean) ** 2;
  }
  const residualSd = Math.sqrt(sse / n);
  const relativeChange = (slope * (n - 1)) / mean;
  const trend: PriceTrend =
    relativeChange > TREND_THRESHOLD ? 'increasing' : relativeChange < -TREND_THRESHOLD ? 'decreasing' : 'stable';
  const horizon = opts.horizonHours ?? 24;
  // Extrapolate from the last observed price, not the regression line: the price holds until it changes.
  const forecast = Math.max(0, last + (trend === 'stable' ? 0 : slope * horizon));
  return {
    forecast,
    lower: Math.max(0, forecast - 2 * residualSd),
    upper: forecast + 2 * residualSd,
    trend,
    volatility: Math.min(1, Math.sqrt(ss / n) / mean),
  };
};
