/**
 * The ML activities against CloudWatch as moto serves it: a real NAB CPU series (14 days of
 * 5-minute points) is written with PutMetricData through the real SDK, then the activity
 * functions are called directly (no worker needed) and must read it back and forecast/score it
 * exactly as the pure models do on the same values.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { createMlActivities } from '../../activities/ml';
import { loadNabSeries } from '../../src/ml/data';
import { sharedDataPath } from '../../src/data/shared';
import { forecastDemand } from '../../src/ml/forecaster';
import { createAnomalyDetector } from '../../src/ml/anomaly';
import { testAwsClientConfig, uniqueName } from '../support/stack';

const REGION = 'us-east-1';
const STEP_MS = 300_000;
const target = { accountId: '123456789012', region: REGION };

describe('ML activities on CloudWatch (moto)', () => {
  const client = new CloudWatchClient(testAwsClientConfig(REGION));
  const activities = createMlActivities({
    cloudwatch: (t) => new CloudWatchClient(testAwsClientConfig(t.region)),
    now: () => new Date(),
  });
  const series = loadNabSeries(sharedDataPath(['nab-aws', 'realAWSCloudwatch', 'ec2_cpu_utilization_5f5533.csv']));
  // The series is moved in time so that it ends five minutes ago, inside CloudWatch's two-week window for writes.
  const end = Math.floor(Date.now() / STEP_MS) * STEP_MS - STEP_MS;
  const start = end - (series.values.length - 1) * STEP_MS;
  // Unique dimension values, not just a unique namespace: moto 5.2.5's GetMetricData drops the
  // namespace filter when dimensions are given, so equal dimensions would mix runs' data.
  const metric = {
    namespace: uniqueName('eksflow-ml'),
    metricName: 'CPUUtilization',
    dimensions: [{ name: 'AutoScalingGroupName', value: uniqueName('eks-ng-web') }],
    stat: 'Average',
  };

  async function put(points: { t: number; value: number }[]): Promise<void> {
    for (let i = 0; i < points.length; i += 500) {
      const data: MetricDatum[] = points.slice(i, i + 500).map((p) => ({
        MetricName: metric.metricName,
        Dimensions: metric.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
        Timestamp: new Date(p.t),
        Value: p.value,
        Unit: 'Percent',
      }));
      await client.send(new PutMetricDataCommand({ Namespace: metric.namespace, MetricData: data }));
    }
  }

  beforeAll(async () => {
    await put(series.values.map((value, i) => ({ t: start + i * STEP_MS, value })));
  });

  afterAll(() => client.destroy());

  it('forecasts the node group load read with GetMetricData exactly as the pure forecaster does', async () => {
    const result = await activities.forecastNodegroupDemand({
      target,
      metric,
      periodSeconds: 300,
      historyDays: 15,
      horizonMinutes: 240,
      window: { fromMinutes: 60, toMinutes: 180 },
      endTime: new Date(end + STEP_MS).toISOString(),
    });
    expect(result.historyPoints).toBe(series.values.length);
    expect(result.lastObserved).toBe(new Date(end).toISOString());
    expect(result.forecastStart).toBe(new Date(end + STEP_MS).toISOString());
    const expected = forecastDemand({
      history: series.values,
      stepMinutes: 5,
      horizonSteps: 48,
      upperQuantile: 0.9,
      window: { fromStep: 12, toStep: 35 },
    });
    expect(result.point).toHaveLength(48);
    result.point.forEach((p, h) => expect(p).toBeCloseTo(expected.point[h], 9));
    result.upper.forEach((u, h) => expect(u).toBeGreaterThanOrEqual(result.point[h]));
    expect(result.predictedLoadIncrease).toBeCloseTo(expected.predictedLoadIncrease, 9);
    expect(result.model).toBe(expected.model);
    // The forecast stays in the range this CPU metric lives in.
    const [low, high] = [Math.min(...series.values.slice(-288)), Math.max(...series.values.slice(-288))];
    for (const p of result.point) {
      expect(p).toBeGreaterThan(low - 10);
      expect(p).toBeLessThan(high + 10);
    }
  });

  it('scores anomalies across calls, persisting the detector state in between', async () => {
    const first = await activities.scoreMetricAnomalies({
      target,
      metric,
      warmupDays: 15,
      endTime: new Date(end + STEP_MS).toISOString(),
    });
    expect(first.evaluatedPoints).toBe(series.values.length);
    expect(first.lastTimestamp).toBe(new Date(end).toISOString());
    // Same flags as the pure detector fed the same points.
    const detector = createAnomalyDetector();
    const expectedFlags = series.values.flatMap((v, i) =>
      detector.update(start + i * STEP_MS, v).anomaly ? [new Date(start + i * STEP_MS).toISOString()] : [],
    );
    expect(first.anomalies.map((a) => a.timestamp)).toEqual(expectedFlags);

    // A new CPU spike arrives; the next call reads only what is new and flags it.
    const spikeAt = end + STEP_MS;
    await put([{ t: spikeAt, value: 99.5 }]);
    const persisted = JSON.parse(JSON.stringify(first.state));
    const second = await activities.scoreMetricAnomalies({
      target,
      metric,
      state: persisted,
      endTime: new Date(spikeAt + STEP_MS).toISOString(),
    });
    expect(second.evaluatedPoints).toBe(1);
    expect(second.anomalies).toEqual([
      { timestamp: new Date(spikeAt).toISOString(), value: 99.5, score: expect.any(Number) },
    ]);
    expect(second.anomalies[0].score).toBeGreaterThan(0.9);

    // Replaying the same period changes nothing.
    const replay = await activities.scoreMetricAnomalies({
      target,
      metric,
      state: second.state,
      endTime: new Date(spikeAt + STEP_MS).toISOString(),
    });
    expect(replay.evaluatedPoints).toBe(0);
    expect(replay.state).toEqual(second.state);
  });

  it('rejects invalid input before calling AWS, and reports a metric without data as not found', async () => {
    await expect(
      activities.forecastNodegroupDemand({ target: { accountId: '12', region: REGION }, metric }),
    ).rejects.toThrow(/invalid input: target.accountId: accountId must be 12 digits/);
    await expect(
      activities.forecastNodegroupDemand({
        target,
        metric: { ...metric, metricName: 'NoSuchMetric' },
        historyDays: 0.5,
        endTime: new Date(end).toISOString(),
      }),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});
