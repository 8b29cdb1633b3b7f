/**
 * Rolling-origin evaluation of the demand forecaster against seasonal-naive (same time
 * yesterday) and naive (last value) forecasts, scored by MASE: mean absolute error over the
 * horizon divided by the in-sample one-step naive MAE of the history at that origin.
 *
 * Rows are treated as consecutive steps (NAB files have a few irregular gaps; positions are
 * row indices, as NAB itself does).
 */
import { forecastDemand } from '../forecaster';
import { mean, meanAbsoluteError, naiveScale } from '../metrics';

export interface ForecastSeries {
  name: string;
  values: readonly number[];
  stepMinutes: number;
}

export interface ForecasterEvalLine {
  model: 'forecaster';
  series: string;
  mase: number;
  mase_seasonal_naive: number;
  mase_naive: number;
  origins: number;
  horizon_steps: number;
}

/** The scale-up decision looks a few hours ahead: 4 h. */
export const EVAL_HORIZON_MINUTES = 240;
/** Origins every 6 h, so every time of day is visited. */
const ORIGIN_EVERY_MINUTES = 360;

/** Median spacing of timestamps, in minutes (the step of a NAB or CloudWatch series). */
export function medianStepMinutes(timestamps: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < timestamps.length; i++) gaps.push(timestamps[i] - timestamps[i - 1]);
  gaps.sort((a, b) => a - b);
  return gaps.length === 0 ? 5 : gaps[Math.floor(gaps.length / 2)] / 60_000;
}

export function evaluateForecasterOnSeries(series: ForecastSeries): ForecasterEvalLine | null {
  const values = series.values;
  const daily = Math.round(1440 / series.stepMinutes);
  const horizon = Math.max(1, Math.round(EVAL_HORIZON_MINUTES / series.stepMinutes));
  const every = Math.max(1, Math.round(ORIGIN_EVERY_MINUTES / series.stepMinutes));
  // At least two days of history (the seasonal candidate needs them) and at least half the series.
  const firstOrigin = Math.max(Math.floor(values.length / 2), 2 * daily + horizon);
  const model: number[] = [];
  const seasonalNaive: number[] = [];
  const naive: number[] = [];
  for (let origin = firstOrigin; origin + horizon <= values.length; origin += every) {
    const history = values.slice(0, origin);
    const actual = values.slice(origin, origin + horizon);
    const scale = naiveScale(history);
    if (!(scale > 0)) continue; // a constant history has no MASE scale
    const forecast = forecastDemand({ history, stepMinutes: series.stepMinutes, horizonSteps: horizon });
    const last = history[history.length - 1];
    model.push(meanAbsoluteError(actual, forecast.point) / scale);
    seasonalNaive.push(meanAbsoluteError(actual, actual.map((_, h) => history[history.length - daily + (h % daily)])) / scale);
    naive.push(meanAbsoluteError(actual, actual.map(() => last)) / scale);
  }
  if (model.length === 0) return null;
  return {
    model: 'forecaster',
    series: series.name,
    mase: mean(model),
    mase_seasonal_naive: mean(seasonalNaive),
    mase_naive: mean(naive),
    origins: model.length,
    horizon_steps: horizon,
  };
}

/** Per-series lines plus an overall line (mean of the per-series MASE values) named `overallName`. */
export function evaluateForecaster(series: ForecastSeries[], overallName: string): ForecasterEvalLine[] {
  const lines = series.map(evaluateForecasterOnSeries).filter((line): line is ForecasterEvalLine => line !== null);
  if (lines.length === 0) return lines;
  return [
    ...lines,
    {
      model: 'forecaster',
      series: overallName,
      mase: mean(lines.map((l) => l.mase)),
      mase_seasonal_naive: mean(lines.map((l) => l.mase_seasonal_naive)),
      mase_naive: mean(lines.map((l) => l.mase_naive)),
      origins: lines.reduce((s, l) => s + l.origins, 0),
      horizon_steps: lines[0].horizon_steps,
    },
  ];
}
