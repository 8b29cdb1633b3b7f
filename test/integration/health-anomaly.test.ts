import { existsSync, readFileSync } from 'node:fs';
import type { Worker } from '@temporalio/worker';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ensureHealthMonitors } from '../../src/client/health';
import type { AlertState } from '../../src/domain/alerts/types';
import { waitUntil } from '../support/health-fixtures';
import {
  connectDevServer,
  createTestWorker,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';

/**
 * Live anomaly detection on a CloudWatch metric in moto: a steady series with one spike at the end;
 * the `anomaly/<id>` monitor reads it with GetMetricData, the streaming detector flags the spike,
 * and a warning alert links a report whose chart is an inline SVG with the point marked.
 */
describe('anomaly monitor on CloudWatch (moto)', () => {
  const taskQueue = uniqueName('it-anomaly');
  const id = uniqueName('cpu').replace(/[^a-z0-9-]/g, '');
  const dim = uniqueName('node');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    const cw = testAwsFactory().cloudwatch({ accountId: '123456789012', region: 'ap-south-1' });
    // 400 one-minute points (the detector warms up on 300), a daily-ish wobble, then a spike now.
    const now = Date.now() - 60_000;
    const points = Array.from({ length: 400 }, (_, i) => ({
      t: now - (400 - i) * 60_000,
      v: 40 + 5 * Math.sin(i / 20) + (i % 7) * 0.3,
    }));
    points.push({ t: now, v: 400 });
    for (let i = 0; i < points.length; i += 100) {
      await cw.send(
        new PutMetricDataCommand({
          Namespace: 'EksflowTest/Anomaly',
          MetricData: points.slice(i, i + 100).map((p) => ({
            MetricName: 'CPUUtilization',
            Dimensions: [{ Name: 'Node', Value: dim }],
            Timestamp: new Date(p.t),
            Value: p.v,
          })),
        }),
      );
    }
    const config = testConfig({
      clusters: [
        {
          name: 'anomaly',
          accountId: '123456789012',
          region: 'ap-south-1',
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
      health: {
        anomalies: [
          {
            id,
            accountId: '123456789012',
            region: 'ap-south-1',
            namespace: 'EksflowTest/Anomaly',
            metricName: 'CPUUtilization',
            dimensions: [{ name: 'Node', value: dim }],
            periodSeconds: 60,
            warmupDays: 1,
            chartHours: 8,
          },
        ],
      },
    });
    stack = await connectDevServer();
    worker = await createTestWorker({
      connection: stack.nativeConnection,
      taskQueue,
      deps: testActivityDeps({ config, client: stack.client, taskQueue }),
    });
    running = worker.run();
    expect(await ensureHealthMonitors(stack.client, config, taskQueue)).toEqual([
      { workflowId: `anomaly/${id}`, started: true },
    ]);
  });

  afterAll(async () => {
    for (const wid of [`anomaly/${id}`, `alert/anomaly/${id}`])
      await stack?.client.workflow
        .getHandle(wid)
        .terminate('test done')
        .catch(() => undefined);
    worker?.shutdown();
    await running;
    await stack?.close();
  });

  test('the spike raises one warning alert linking an SVG chart report', async () => {
    const alert = await waitUntil(
      'anomaly alert',
      async () => stack.client.workflow.getHandle(`alert/anomaly/${id}`).query<AlertState>('alertStatus'),
      60_000,
      500,
    );
    expect(alert.alert).toMatchObject({ severity: 'warning', type: 'metric_anomaly' });
    expect(alert.alert.summary).toContain('400');
    const link = alert.alert.links!.find((l) => l.label === 'Anomaly chart')!;
    const path = link.url.replace('file://', '');
    expect(existsSync(path)).toBe(true);
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toMatch(/<path d="M[\d.]+,[\d.]+ L/);
    expect(html).toContain('<circle');
    // The detector state lives in the workflow (JSON): the monitor keeps running on it.
    const d = await stack.client.workflow.getHandle(`anomaly/${id}`).describe();
    expect(d.status.name).toBe('RUNNING');
  });
});
