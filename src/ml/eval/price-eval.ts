/**
 * Rolling-origin evaluation of the spot price predictor against the last-value forecast.
 * Origins every 12 h (UTC 00:00 and 12:00), from two weeks after a series' first price change
 * (the predictor's calibration span) to 24 h before the end of the data.
 */
import { groupSpotHistories, type SpotPriceRow } from '../data';
import { predictSpotPrice, resampleHourly, trendOf, type PricePoint } from '../price';

const HOUR_MS = 3_600_000;
const ORIGIN_EVERY_MS = 12 * HOUR_MS;
const WARMUP_MS = 14 * 24 * HOUR_MS;
const HORIZON_HOURS = 24;

export interface PriceEvalLine {
  model: 'price';
  series: string;
  mae: number;
  mae_last_value: number;
  coverage: number;
  trend_accuracy: number;
  /** the same trend rule applied to the last-value forecast, for comparison */
  trend_accuracy_last_value: number;
  origins: number;
}

interface Tally {
  absError: number;
  absErrorLast: number;
  steps: number;
  covered: number;
  trendHits: number;
  trendHitsLast: number;
  origins: number;
}

function emptyTally(): Tally {
  return { absError: 0, absErrorLast: 0, steps: 0, covered: 0, trendHits: 0, trendHitsLast: 0, origins: 0 };
}

function add(into: Tally, from: Tally): void {
  for (const key of Object.keys(into) as (keyof Tally)[]) into[key] += from[key];
}

function lineOf(series: string, t: Tally): PriceEvalLine {
  return {
    model: 'price',
    series,
    mae: t.absError / t.steps,
    mae_last_value: t.absErrorLast / t.steps,
    coverage: t.covered / t.steps,
    trend_accuracy: t.trendHits / t.origins,
    trend_accuracy_last_value: t.trendHitsLast / t.origins,
    origins: t.origins,
  };
}

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

function evaluateHistory(history: PricePoint[], dataEnd: number): Tally {
  const tally = emptyTally();
  const firstOrigin = Math.ceil((history[0].t + WARMUP_MS) / ORIGIN_EVERY_MS) * ORIGIN_EVERY_MS;
  for (let origin = firstOrigin; origin + HORIZON_HOURS * HOUR_MS <= dataEnd; origin += ORIGIN_EVERY_MS) {
    const known = history.filter((p) => p.t <= origin);
    const prediction = predictSpotPrice(known, { now: origin, horizonHours: HORIZON_HOURS });
    const actual = resampleHourly(history, origin + HOUR_MS, origin + HORIZON_HOURS * HOUR_MS);
    const pastDay = resampleHourly(known, origin - 23 * HOUR_MS, origin);
    const last = prediction.current;
    actual.forEach((price, h) => {
      const step = prediction.hourly[h];
      tally.absError += Math.abs(price - step.forecast);
      tally.absErrorLast += Math.abs(price - last);
      if (price >= step.lower && price <= step.upper) tally.covered++;
      tally.steps++;
    });
    const actualTrend = trendOf(mean(actual) / mean(pastDay) - 1);
    if (prediction.trend === actualTrend) tally.trendHits++;
    if (trendOf(last / mean(pastDay) - 1) === actualTrend) tally.trendHitsLast++;
    tally.origins++;
  }
  return tally;
}

/** One line per (instance type/AZ) series, then the overall line (pooled over all forecasts). */
export function evaluatePricePredictor(rows: SpotPriceRow[]): PriceEvalLine[] {
  const dataEnd = rows.reduce((latest, row) => Math.max(latest, row.t), Number.NEGATIVE_INFINITY);
  const groups = groupSpotHistories(rows);
  const lines: PriceEvalLine[] = [];
  const overall = emptyTally();
  for (const key of Object.keys(groups).sort()) {
    const tally = evaluateHistory(groups[key], dataEnd);
    if (tally.origins === 0) continue;
    lines.push(lineOf(key, tally));
    add(overall, tally);
  }
  if (overall.origins > 0) lines.push(lineOf('overall', overall));
  return lines;
}
