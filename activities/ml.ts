/**
 * ML activities: read a CloudWatch metric, hand it to the pure models in src/ml. Thin on
 * purpose — the models are tested without AWS, these only fetch, validate and reshape.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { z } from 'zod';
import { readMetric } from './gateways/cloudwatch';
import { parseInput } from './input';
import { awsTargetSchema, type AwsTarget } from '../src/config/clusters';
import { NotFoundError } from '../src/errors';
import {
  anomalyDetectorParamsSchema,
  anomalyDetectorStateSchema,
  createAnomalyDetector,
  DEFAULT_ANOMALY_PARAMS,
  type AnomalyDetectorState,
} from '../src/ml/anomaly';
import { forecastDemand, type DemandForecast } from '../src/ml/forecaster';
import { regularise } from '../src/ml/series';

export type MlTarget = AwsTarget;

export interface MlActivityDeps {
  cloudwatch: (target: MlTarget) => CloudWatchClient;
  /** wall clock for the default end time; injected so tests can pin it */
  now: () => Date;
}

const targetSchema = awsTargetSchema;

const metricSchema = z.object({
  namespace: z.string().min(1),
  metricName: z.string().min(1),
  dimensions: z
    .array(z.object({ name: z.string().min(1), value: z.string().min(1) }))
    .max(30)
    .default([]),
  /** CloudWatch statistic, e.g. Average, Maximum, Sum, p90 */
  stat: z.string().min(1).default('Average'),
});

const isoTime = z.iso.datetime({ offset: true });

export const forecastNodegroupDemandInput = z.object({
  target: targetSchema,
  metric: metricSchema,
  periodSeconds: z.number().int().min(60).multipleOf(60).default(300),
  /** how much history to read */
  historyDays: z.number().positive().max(63).default(14),
  /** how far ahead to forecast */
  horizonMinutes: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 60)
    .default(240),
  /** the scale-up window inside the horizon, in minutes from the first forecast step; whole horizon by default */
  window: z
    .object({ fromMinutes: z.number().min(0), toMinutes: z.number().positive() })
    .refine((w) => w.toMinutes > w.fromMinutes, 'window.toMinutes must be after window.fromMinutes')
    .optional(),
  upperQuantile: z.number().gt(0).lt(1).default(0.9),
  /** end of the history (ISO 8601); now by default */
  endTime: isoTime.optional(),
});
export type ForecastNodegroupDemandInput = z.input<typeof forecastNodegroupDemandInput>;

export interface ForecastNodegroupDemandResult {
  point: number[];
  upper: number[];
  /** 80% and 95% prediction intervals per step (empirical, from the model's own backtest errors) */
  intervals: { p80: { lower: number[]; upper: number[] }; p95: { lower: number[]; upper: number[] } };
  predictedLoadIncrease: number;
  /** the increase measured on the upper bound of the 80% interval: what the scale-up sizes for */
  predictedLoadIncreaseUpper80: number;
  model: string;
  stepMinutes: number;
  /** time of point[0] */
  forecastStart: string;
  historyPoints: number;
  lastObserved: string;
}

// The detector's parameter and state formats are owned (and documented) by src/ml/anomaly.ts.
const detectorParamsSchema = anomalyDetectorParamsSchema;
const detectorStateSchema = anomalyDetectorStateSchema;

export const scoreMetricAnomaliesInput = z.object({
  target: targetSchema,
  metric: metricSchema,
  periodSeconds: z.number().int().min(60).multipleOf(60).default(300),
  /** the detector state returned by the previous call; absent on the first call */
  state: detectorStateSchema.optional(),
  /** history read on the first call so the detector starts warmed up */
  warmupDays: z.number().positive().max(63).default(14),
  /** detector parameters for a new state (ignored when resuming: the state carries its own) */
  params: detectorParamsSchema.partial().optional(),
  endTime: isoTime.optional(),
});
export type ScoreMetricAnomaliesInput = z.input<typeof scoreMetricAnomaliesInput>;

export interface ScoreMetricAnomaliesResult {
  /** persist this and pass it back next time */
  state: AnomalyDetectorState;
  evaluatedPoints: number;
  anomalies: { timestamp: string; value: number; score: number }[];
  lastScore: number | null;
  lastTimestamp: string | null;
}

const DAY_MS = 86_400_000;

export function createMlActivities(deps: MlActivityDeps) {
  const now = deps.now;

  /** Reads the node group's load metric and forecasts it (feeds the pre-work analysis and the scale-up adjustment). */
  async function forecastNodegroupDemand(
    rawInput: ForecastNodegroupDemandInput,
  ): Promise<ForecastNodegroupDemandResult> {
    const input = parseInput(forecastNodegroupDemandInput, rawInput, 'forecastNodegroupDemand');
    const end = input.endTime ? new Date(input.endTime) : now();
    const start = new Date(end.getTime() - input.historyDays * DAY_MS);
    const points = await readMetric(deps.cloudwatch(input.target), input.metric, input.periodSeconds, start, end);
    if (points.length === 0) {
      throw new NotFoundError(
        `forecastNodegroupDemand: no datapoints for ${input.metric.namespace}/${input.metric.metricName} between ${start.toISOString()} and ${end.toISOString()}`,
      );
    }
    const stepMs = input.periodSeconds * 1000;
    const stepMinutes = input.periodSeconds / 60;
    const { start: first, values } = regularise(points, stepMs);
    const horizonSteps = Math.ceil(input.horizonMinutes / stepMinutes);
    const window = input.window && {
      fromStep: Math.floor(input.window.fromMinutes / stepMinutes),
      toStep: Math.max(0, Math.ceil(input.window.toMinutes / stepMinutes) - 1),
    };
    const forecast = forecastDemand({
      history: values,
      stepMinutes,
      horizonSteps,
      upperQuantile: input.upperQuantile,
      window,
    });
    const lastObserved = first + (values.length - 1) * stepMs;
    return {
      point: forecast.point,
      upper: forecast.upper,
      intervals: forecast.intervals,
      predictedLoadIncrease: forecast.predictedLoadIncrease,
      predictedLoadIncreaseUpper80: forecast.predictedLoadIncreaseUpper80,
      model: forecast.model,
      stepMinutes,
      forecastStart: new Date(lastObserved + stepMs).toISOString(),
      historyPoints: values.length,
      lastObserved: new Date(lastObserved).toISOString(),
    };
  }

  /**
   * Feeds the metric's new datapoints (since the state's last point, or a warm-up history on the
   * first call) through the streaming detector and returns the flagged points and the new state.
   * Replaying the same period is harmless: points at or before the state's last point are ignored.
   */
  async function scoreMetricAnomalies(rawInput: ScoreMetricAnomaliesInput): Promise<ScoreMetricAnomaliesResult> {
    const input = parseInput(scoreMetricAnomaliesInput, rawInput, 'scoreMetricAnomalies');
    const end = input.endTime ? new Date(input.endTime) : now();
    const earliest = end.getTime() - input.warmupDays * DAY_MS;
    const resumeFrom = input.state?.lastT != null ? Math.max(earliest, input.state.lastT + 1) : earliest;
    const detector = input.state
      ? createAnomalyDetector({}, input.state)
      : createAnomalyDetector({ ...DEFAULT_ANOMALY_PARAMS, ...input.params });
    const points =
      resumeFrom < end.getTime()
        ? await readMetric(deps.cloudwatch(input.target), input.metric, input.periodSeconds, new Date(resumeFrom), end)
        : [];
    const anomalies: ScoreMetricAnomaliesResult['anomalies'] = [];
    const alreadySeen = input.state?.lastT ?? Number.NEGATIVE_INFINITY;
    const fresh = points.filter((p) => p.t > alreadySeen);
    let lastScore: number | null = null;
    for (const p of fresh) {
      const result = detector.update(p.t, p.value);
      lastScore = result.score;
      if (result.anomaly)
        anomalies.push({ timestamp: new Date(p.t).toISOString(), value: p.value, score: result.score });
    }
    const state = detector.state();
    return {
      state,
      evaluatedPoints: fresh.length,
      anomalies,
      lastScore,
      lastTimestamp: state.lastT === null ? null : new Date(state.lastT).toISOString(),
    };
  }

  return { forecastNodegroupDemand, scoreMetricAnomalies };
}

export type MlActivities = ReturnType<typeof createMlActivities>;
