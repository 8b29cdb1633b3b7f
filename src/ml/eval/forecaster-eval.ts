/**
 * Rolling-origin evaluation of the demand forecaster against simple baselines (naive = last
 * value, seasonal naive = same time yesterday, mean1h = the last hour's mean held flat) and,
 * when the provisioned Python environment is there, statsforecast's AutoETS, AutoTheta and MSTL
 * fitted on the same history at the same origins. Scored by MASE: mean absolute error over the
 * horizon divided by the in-sample one-step naive MAE of the history at that origin; a model's
 * overall MASE is the mean of its per-series values.
 *
 * Model selection is leave-one-series-out: for each series, the forecaster configuration (from
 * FORECASTER_CONFIGS) with the lowest mean MASE on the *other* series is the one scored on it.
 * The in-sample line (one configuration chosen on all series) is printed beside it.
 *
 * Rows are treated as consecutive steps (NAB files have a few irregular gaps; positions are
 * row indices, as NAB itself does).
 */
import { bestHoltWinters, forecastDemand, FORECASTER_CONFIGS, type ForecasterConfig } from '../forecaster';
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
  mase_mean1h: number;
  /** share of actual values inside the 80% / 95% prediction intervals */
  coverage_80: number;
  coverage_95: number;
  origins: number;
  horizon_steps: number;
  /** the configuration scored (per series: chosen on the other series) */
  config?: string;
  selection?: 'leave-one-series-out' | 'in-sample';
}

export interface PeerEvalLine {
  model: string;
  series: string;
  mase: number;
  origins: number;
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

export function horizonSteps(stepMinutes: number): number {
  return Math.max(1, Math.round(EVAL_HORIZON_MINUTES / stepMinutes));
}

/** The forecast origins of a series (index of the first forecast step), skipping histories without a MASE scale. */
export function evaluationOrigins(series: ForecastSeries): number[] {
  const values = series.values;
  const daily = Math.round(1440 / series.stepMinutes);
  const horizon = horizonSteps(series.stepMinutes);
  const every = Math.max(1, Math.round(ORIGIN_EVERY_MINUTES / series.stepMinutes));
  // At least two days of history (the seasonal candidate needs them) and at least half the series.
  const firstOrigin = Math.max(Math.floor(values.length / 2), 2 * daily + horizon);
  const origins: number[] = [];
  for (let origin = firstOrigin; origin + horizon <= values.length; origin += every) {
    if (naiveScale(values.slice(0, origin)) > 0) origins.push(origin);
  }
  return origins;
}

/** Per-origin scaled errors of every configuration and baseline on one series. */
export interface SeriesErrors {
  name: string;
  horizon: number;
  origins: number[];
  /** config name → MASE per origin */
  configs: Record<string, number[]>;
  /** config name → [inside 80%, inside 95%, total] counts */
  coverage: Record<string, [number, number, number]>;
  baselines: { naive: number[]; seasonalNaive: number[]; mean1h: number[] };
}

export function seriesErrors(
  series: ForecastSeries,
  configs: readonly ForecasterConfig[] = FORECASTER_CONFIGS,
): SeriesErrors {
  const values = series.values;
  const daily = Math.round(1440 / series.stepMinutes);
  const horizon = horizonSteps(series.stepMinutes);
  const hourSteps = Math.max(1, Math.round(60 / series.stepMinutes));
  const origins = evaluationOrigins(series);
  const out: SeriesErrors = {
    name: series.name,
    horizon,
    origins,
    configs: Object.fromEntries(configs.map((c) => [c.name, []])),
    coverage: Object.fromEntries(configs.map((c) => [c.name, [0, 0, 0]])),
    baselines: { naive: [], seasonalNaive: [], mean1h: [] },
  };
  for (const origin of origins) {
    const history = values.slice(0, origin);
    const actual = values.slice(origin, origin + horizon);
    const scale = naiveScale(history);
    // One Holt-Winters fit per origin, shared by every configuration that may choose it.
    const holtWinters = bestHoltWinters(history, series.stepMinutes, horizon);
    for (const config of configs) {
      const forecast = forecastDemand(
        { history, stepMinutes: series.stepMinutes, horizonSteps: horizon },
        { config, holtWinters },
      );
      out.configs[config.name].push(meanAbsoluteError(actual, forecast.point) / scale);
      const c = out.coverage[config.name];
      actual.forEach((a, h) => {
        if (a >= forecast.intervals.p80.lower[h] && a <= forecast.intervals.p80.upper[h]) c[0]++;
        if (a >= forecast.intervals.p95.lower[h] && a <= forecast.intervals.p95.upper[h]) c[1]++;
        c[2]++;
      });
    }
    const last = history[history.length - 1];
    const lastHour = mean(history.slice(-hourSteps));
    out.baselines.naive.push(
      meanAbsoluteError(
        actual,
        actual.map(() => last),
      ) / scale,
    );
    out.baselines.seasonalNaive.push(
      meanAbsoluteError(
        actual,
        actual.map((_, h) => history[history.length - daily + (h % daily)]),
      ) / scale,
    );
    out.baselines.mean1h.push(
      meanAbsoluteError(
        actual,
        actual.map(() => lastHour),
      ) / scale,
    );
  }
  return out;
}

function lineFor(errors: SeriesErrors, config: string, seriesName = errors.name): ForecasterEvalLine {
  const [in80, in95, total] = errors.coverage[config];
  return {
    model: 'forecaster',
    series: seriesName,
    mase: mean(errors.configs[config]),
    mase_seasonal_naive: mean(errors.baselines.seasonalNaive),
    mase_naive: mean(errors.baselines.naive),
    mase_mean1h: mean(errors.baselines.mean1h),
    coverage_80: in80 / total,
    coverage_95: in95 / total,
    origins: errors.origins.length,
    horizon_steps: errors.horizon,
    config,
  };
}

/** The configuration with the lowest mean per-series MASE over `errors` except index `skip`. */
export function bestConfig(
  errors: SeriesErrors[],
  skip: number,
  configs: readonly ForecasterConfig[] = FORECASTER_CONFIGS,
): string {
  let best = configs[0].name;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const config of configs) {
    const scores = errors.filter((_, i) => i !== skip).map((e) => mean(e.configs[config.name]));
    const score = mean(scores);
    if (score < bestScore - 1e-12) {
      best = config.name;
      bestScore = score;
    }
  }
  return best;
}

/** One series with the default configuration (unit tests; no selection). */
export function evaluateForecasterOnSeries(series: ForecastSeries): ForecasterEvalLine | null {
  const errors = seriesErrors(series, [FORECASTER_CONFIGS[0]]);
  if (errors.origins.length === 0) return null;
  return lineFor(errors, FORECASTER_CONFIGS[0].name);
}

export interface ForecasterEvaluation {
  /** per-series lines (leave-one-series-out), the overall line, the in-sample overall line */
  lines: ForecasterEvalLine[];
  /** per-series and overall lines of the baselines and (when run) the peers */
  peerLines: PeerEvalLine[];
  overall: ForecasterEvalLine | null;
  errors: SeriesErrors[];
}

/** Overall line: mean of the per-series values; coverage pooled over all forecast steps. */
function overallLine(lines: ForecasterEvalLine[], name: string): ForecasterEvalLine {
  const steps = lines.map((l) => l.origins * l.horizon_steps);
  const totalSteps = steps.reduce((a, b) => a + b, 0);
  return {
    model: 'forecaster',
    series: name,
    mase: mean(lines.map((l) => l.mase)),
    mase_seasonal_naive: mean(lines.map((l) => l.mase_seasonal_naive)),
    mase_naive: mean(lines.map((l) => l.mase_naive)),
    mase_mean1h: mean(lines.map((l) => l.mase_mean1h)),
    coverage_80: lines.reduce((s, l, i) => s + l.coverage_80 * steps[i], 0) / totalSteps,
    coverage_95: lines.reduce((s, l, i) => s + l.coverage_95 * steps[i], 0) / totalSteps,
    origins: lines.reduce((s, l) => s + l.origins, 0),
    horizon_steps: lines[0].horizon_steps,
  };
}

/** Per-series and overall lines for a model given its MASE per origin per series. */
export function peerLines(
  model: string,
  perSeries: { name: string; mase: number[] }[],
  overallName: string,
): PeerEvalLine[] {
  const lines = perSeries
    .filter((s) => s.mase.length > 0)
    .map((s) => ({ model, series: s.name, mase: mean(s.mase), origins: s.mase.length }));
  if (lines.length === 0) return [];
  return [
    ...lines,
    {
      model,
      series: overallName,
      mase: mean(lines.map((l) => l.mase)),
      origins: lines.reduce((s, l) => s + l.origins, 0),
    },
  ];
}

export function evaluateForecaster(series: ForecastSeries[], overallName: string): ForecasterEvaluation {
  const errors = series.map((s) => seriesErrors(s)).filter((e) => e.origins.length > 0);
  if (errors.length === 0) return { lines: [], peerLines: [], overall: null, errors };
  const perSeries = errors.map((e, i) => ({
    ...lineFor(e, bestConfig(errors, errors.length > 1 ? i : -1)),
    selection: 'leave-one-series-out' as const,
  }));
  const overall = { ...overallLine(perSeries, overallName), selection: 'leave-one-series-out' as const };
  const inSampleConfig = bestConfig(errors, -1);
  const inSample = {
    ...overallLine(
      errors.map((e) => lineFor(e, inSampleConfig)),
      `${overallName}/in-sample`,
    ),
    config: inSampleConfig,
    selection: 'in-sample' as const,
  };
  const baselines = [
    peerLines(
      'peer:mean1h',
      errors.map((e) => ({ name: e.name, mase: e.baselines.mean1h })),
      overallName,
    ),
    peerLines(
      'peer:naive',
      errors.map((e) => ({ name: e.name, mase: e.baselines.naive })),
      overallName,
    ),
    peerLines(
      'peer:seasonal-naive',
      errors.map((e) => ({ name: e.name, mase: e.baselines.seasonalNaive })),
      overallName,
    ),
  ].flat();
  return { lines: [...perSeries, overall, inSample], peerLines: baselines, overall, errors };
}
