/**
 * The demand forecast really feeds the 08:00 scale-up: a node group whose CloudWatch load
 * (written to moto with PutMetricData) has a daily peak in the next hours is scaled above its
 * business size (+20%, +1 spot buffer); a group with flat load is not.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { scaleUpFleet } from '../../workflows';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs, startReconcilerLoop } from '../../src/sandbox/nodegroup-asg-reconciler';
import { controllerWorkflowId, clusterKeyOf } from '../../src/domain/scaling/types';
import {
  connectDevServer,
  startTestWorker,
  type TestWorker,
  testAwsClientConfig,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';

const STEP_MS = 5 * 60_000;
const DAY_MS = 24 * 3_600_000;

/** Seven days of 5-minute load ending now; `peakInHours` puts a daily peak that far ahead. */
function dailyLoad(now: number, peakInHours: number | undefined): { t: number; v: number }[] {
  const out: { t: number; v: number }[] = [];
  const peakPhase = (now + (peakInHours ?? 0) * 3_600_000) % DAY_MS;
  for (let t = now - 7 * DAY_MS; t <= now; t += STEP_MS) {
    if (peakInHours === undefined) {
      out.push({ t, v: 40 });
      continue;
    }
    // Distance to the daily peak, in hours (circular), gives a 3-hour-wide bump on a base of 20.
    const d = Math.min(Math.abs((t % DAY_MS) - peakPhase), DAY_MS - Math.abs((t % DAY_MS) - peakPhase)) / 3_600_000;
    out.push({ t, v: 20 + 60 * Math.exp(-(d * d) / 2) });
  }
  return out;
}

describe('forecast-driven scale-up against moto', () => {
  const aws = testAwsFactory();
  const name = uniqueName('it-forecast');
  const metric = (group: string) => ({
    namespace: 'EKSFlow/Load',
    metricName: 'CPUUtilization',
    dimensions: [{ name: 'NodeGroup', value: `${name}-${group}` }],
  });
  const config = testConfig({
    clusters: [
      {
        name,
        accountId: '111111111111',
        region: 'ap-south-1',
        nodegroups: [
          // A ceiling no spot price stays under, so a priced pool would always be flagged.
          {
            name: 'web',
            capacityType: 'SPOT',
            instanceTypes: ['m5.large'],
            spotPriceCeiling: 0.01,
            demandMetric: metric('web'),
            businessHours: { min: 1, desired: 5, max: 10 },
            offHours: { min: 1, desired: 1, max: 10 },
          },
          {
            name: 'flat',
            instanceTypes: ['m5.large'],
            demandMetric: metric('flat'),
            businessHours: { min: 1, desired: 5, max: 10 },
            offHours: { min: 1, desired: 1, max: 10 },
          },
          {
            name: 'nometric',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 2, max: 10 },
            offHours: { min: 1, desired: 1, max: 10 },
          },
        ],
      },
    ],
  });
  const cluster = config.clusters[0]!;
  const taskQueue = uniqueName('it-forecast');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let reconciler: { stop(): void };

  beforeAll(async () => {
    const cw = new CloudWatchClient(testAwsClientConfig(cluster.region));
    const now = Date.now();
    for (const [group, peak] of [
      ['web', 2],
      ['flat', undefined],
    ] as const) {
      const m = metric(group);
      const data: MetricDatum[] = dailyLoad(now, peak).map((p) => ({
        MetricName: m.metricName,
        Dimensions: m.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
        Timestamp: new Date(p.t),
        Value: p.v,
      }));
      for (let i = 0; i < data.length; i += 500)
        await cw.send(new PutMetricDataCommand({ Namespace: m.namespace, MetricData: data.slice(i, i + 500) }));
    }
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    reconciler = startReconcilerLoop(aws, [cluster], 250);
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
    reconciler?.stop();
    await stack?.client.workflow
      .getHandle(controllerWorkflowId(clusterKeyOf(cluster)))
      .terminate('test done')
      .catch(() => undefined);
    await worker?.stop();
    await stack?.close();
  });

  it('adds 20% and a spot buffer where a peak is forecast, and nothing where load is flat', async () => {
    const settings = { pollIntervalMs: 250, verifyTimeoutMs: 20_000, scaleDownSteps: 1, scaleDownWindowMs: 0 };
    const result = await stack.client.workflow.execute(scaleUpFleet, {
      taskQueue,
      workflowId: uniqueName('scale-up-forecast'),
      args: [{ settings }],
    });
    const groups = Object.fromEntries(result.clusters[0]!.groups.map((g) => [g.nodegroup, g]));
    const desiredOf = async (ng: string) =>
      (await aws.eks(cluster).send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName: ng }))).nodegroup!
        .scalingConfig!.desiredSize;

    // 5 → ceil(5 × 1.2) = 6, + 1 spot buffer = 7.
    expect(await desiredOf('web')).toBe(7);
    expect(JSON.stringify(groups.web)).toMatch(
      /forecast \(upper bound of the 80% interval; point \+\d+%\) \+\d+% > 30%/,
    );
    // The spot check priced the spot group (ap-south-1 On-Demand prices ship with eksflow; moto's spot
    // price stub is far under the ceiling), so the plan carries no outlook warning; the diversification
    // path is covered by test/unit/cost/spot-outlook.test.ts.
    expect(groups.web!.reason).not.toMatch(/spot price outlook/);
    expect(groups.flat!.reason).not.toMatch(/spot price outlook/);
    expect(await desiredOf('flat')).toBe(5);
    expect(JSON.stringify(groups.flat)).toMatch(/no adjustment/);
    expect(await desiredOf('nometric')).toBe(2);
    expect(JSON.stringify(groups.nometric)).toMatch(/forecast not configured/);
  });
});
