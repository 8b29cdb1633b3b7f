import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalAlarmWorkflow } from '../../src/client/health';
import { normalizeDedupKey } from '../../src/domain/alerts/dedup';
import type { AlertState } from '../../src/domain/alerts/types';
import { parseEventBridgeEvent, type CloudWatchAlarmStateChange } from '../../src/domain/events/eventbridge';
import { eventually } from '../support/eventually';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

const sample = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'events', 'cloudwatch-alarm-state-change.json'), 'utf8'),
);
const STEP = 300_000;

/**
 * A CloudWatch alarm's metric handed to the streaming anomaly detector: 50 h of 5-minute CPU
 * seeded in moto (PutMetricData); the alert of an alarm whose metric just spiked says it is
 * anomalous (score, since when), the alert of one whose metric stays in its daily rhythm says not.
 */
describe('CloudWatch alarm alerts carry the anomaly detector’s view of the metric', () => {
  const aws = testAwsFactory();
  const target = { accountId: '123456789012', region: 'us-east-1' };
  const taskQueue = uniqueName('it-alarm-ctx');
  const config = testConfig({
    clusters: [
      {
        name: uniqueName('alarm-ctx'),
        ...target,
        nodegroups: [
          {
            name: 'ng',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 1, max: 2 },
            offHours: { min: 1, desired: 1, max: 2 },
          },
        ],
      },
    ],
  });
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  const end = Math.floor(Date.now() / STEP) * STEP;
  const N = 600;
  /** A daily rhythm between ~20 and ~40 % with a deterministic wobble. */
  const rhythm = (i: number) => 30 + 10 * Math.sin((2 * Math.PI * i) / 288) + ((i * 7919) % 13) / 6.5 - 1;

  const seed = async (instanceId: string, value: (i: number) => number) => {
    const data = Array.from({ length: N }, (_, i) => ({
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
      Timestamp: new Date(end - (N - 1 - i) * STEP),
      Value: value(i),
      Unit: 'Percent' as const,
    }));
    for (let i = 0; i < data.length; i += 500)
      await aws
        .cloudwatch(target)
        .send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: data.slice(i, i + 500) }));
  };
  const alarm = (instanceId: string): CloudWatchAlarmStateChange => {
    const e = structuredClone(sample);
    const name = uniqueName('ctx-alarm');
    e.id = uniqueName('evt');
    e.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
    e.detail.alarmName = name;
    e.time = new Date(end).toISOString().replace(/\.\d+Z$/, 'Z');
    e.detail.state.timestamp = new Date(end).toISOString().replace('Z', '+0000');
    e.detail.configuration.metrics[0].metricStat.metric.dimensions = { InstanceId: instanceId };
    const parsed = parseEventBridgeEvent(e);
    if (!parsed.ok || parsed.event.kind !== 'cloudwatch-alarm') throw new Error('sample alarm did not parse');
    return parsed.event;
  };
  const alertOf = (arn: string) =>
    eventually(
      () =>
        stack.client.workflow
          .getHandle(`alert/${normalizeDedupKey(arn)}`)
          .query<AlertState>('alertStatus')
          .catch(() => undefined),
      (a) => a !== undefined,
      `the alert of ${arn}`,
    );

  beforeAll(async () => {
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  it('a spike is anomalous (score, since the first spiking point); a normal value is not', async () => {
    const spiky = `i-${uniqueName('s')
      .replace(/[^0-9a-f]/g, '')
      .padEnd(17, '0')
      .slice(0, 17)}`;
    const calm = `i-${uniqueName('c')
      .replace(/[^0-9a-f]/g, '')
      .padEnd(17, '1')
      .slice(0, 17)}`;
    await seed(spiky, (i) => (i >= N - 3 ? 99 : rhythm(i)));
    await seed(calm, rhythm);

    const a = alarm(spiky);
    const b = alarm(calm);
    await signalAlarmWorkflow(stack.client, taskQueue, a);
    await signalAlarmWorkflow(stack.client, taskQueue, b);
    const spikeAlert = (await alertOf(a.alarmArn))!;
    const calmAlert = (await alertOf(b.alarmArn))!;

    const since = new Date(end - 2 * STEP).toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');
    expect(spikeAlert.alert.summary).toMatch(
      new RegExp(
        `is ALARM: .* — metric anomalous against its last 50 h: score 0\\.\\d\\d since ${since} \\(value 99\\.0, usual \\d+\\.\\d–\\d+\\.\\d\\)$`,
      ),
    );
    expect(Number(spikeAlert.alert.details?.anomalyScore)).toBeGreaterThanOrEqual(0.5);
    expect(calmAlert.alert.summary).toMatch(
      /is ALARM: .* — metric not anomalous against its last 50 h: score 0\.\d\d \(value \d+\.\d, usual \d+\.\d–\d+\.\d\)$/,
    );
    expect(Number(calmAlert.alert.details?.anomalyScore)).toBeLessThan(0.5);
    expect(calmAlert.alert.details?.metricContext).toMatch(/^not anomalous/);
  });
});
