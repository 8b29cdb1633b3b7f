import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { userInfo } from 'node:os';
import { performanceTuning } from '../../workflows';
import { statusQuery } from '../../workflows/scaling/messages';
import { alertStatus } from '../../src/client/alerts';
import { listProposals } from '../../src/client/tuning';
import { alertWorkflowId, normalizeDedupKey } from '../../src/domain/alerts/dedup';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { istDate } from '../../src/domain/timetable/ist';
import { seedCluster } from '../../src/sandbox/seed';
import { captureCli } from '../support/cli-capture';
import { eventually } from '../support/eventually';
import { scalingCluster } from '../support/scaling-fixtures';
import {
  connectDevServer,
  startTestWorker,
  temporalAddress,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

const HOUR = 3_600_000;

/**
 * The 14:00 performance tuning end to end on the dev server and moto: 7 days of hourly CPU and
 * memory (PutMetricData) per node group's Auto Scaling group → a proposal for the over-provisioned
 * group only → an info alert listing it → `eksflow tuning approve` → the cluster controller
 * applies the smaller business-hours size in moto, recorded with the approver's name.
 */
describe('performance tuning (dev server, moto)', () => {
  const aws = testAwsFactory();
  const config = testConfig({ clusters: [scalingCluster('it-tuning')] });
  const cluster = config.clusters[0]!;
  const taskQueue = uniqueName('it-tuning');
  const me = userInfo().username || 'operator';
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  const endMs = Math.floor(Date.now() / HOUR) * HOUR;

  /** Hourly values for 7 days ending at `endMs`; `shape` gives each hour's value. */
  const putHourly = async (namespace: string, metricName: string, asg: string, shape: (h: number) => number) => {
    const data = Array.from({ length: 168 }, (_, i) => ({
      MetricName: metricName,
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: asg }],
      Timestamp: new Date(endMs - (168 - i) * HOUR + 60_000),
      Value: shape(i),
      Unit: 'Percent' as const,
    }));
    for (let i = 0; i < data.length; i += 500)
      await aws
        .cloudwatch(cluster)
        .send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + 500) }));
  };
  const sizeOf = async (ng: string) =>
    (await aws.eks(cluster).send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: ng })))
      .nodegroup!.scalingConfig!;

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    const asg = (
      await aws.eks(cluster).send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: 'general' }))
    ).nodegroup!.resources!.autoScalingGroups![0]!.name!;
    // general: 3 business-hours nodes at ~16–19% CPU and 15% memory → over-provisioned.
    await putHourly('AWS/EC2', 'CPUUtilization', asg, (h) => 16 + (h % 4));
    await putHourly('CWAgent', 'mem_used_percent', asg, () => 15);
    // batch (self-managed): ~50% CPU → within the band, no proposal. workers: no metrics at all.
    await putHourly('AWS/EC2', 'CPUUtilization', `${cluster.name}-batch`, (h) => 48 + (h % 5));
    // The group at its business-hours size (whatever the hour of the run), so the approval visibly changes it.
    await aws.eks(cluster).send(
      new UpdateNodegroupConfigCommand({
        clusterName: cluster.name,
        nodegroupName: 'general',
        scalingConfig: { minSize: 2, desiredSize: 3, maxSize: 6 },
      }),
    );
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

  it('proposes, alerts, and applies an approved change through the controller with the approver', async () => {
    const wfId = uniqueName('it-tuning-run');
    const run = await stack.client.workflow.execute(performanceTuning, {
      taskQueue,
      workflowId: wfId,
      args: [{ clusters: [cluster.name], endMs }],
    });
    expect(run.failed).toEqual([]);
    expect(run.proposals).toHaveLength(1);
    const [p] = run.proposals;
    expect(p!.id).toMatch(new RegExp(`^${istDate(endMs)}\\.${cluster.name}\\.general\\.[0-9a-f]{6}$`));
    expect(p!.summary).toMatch(new RegExp(`^${cluster.name}/general: business-hours desired 3 → 1 \\(cpu p95 19%`));
    expect(p!.started).toBe(true);
    expect(run.skipped).toEqual(
      expect.arrayContaining([
        `${cluster.name}/workers: 0 CPU datapoints in the window, 24 needed`,
        expect.stringMatching(new RegExp(`^${cluster.name}/batch: cpu 5\\d(\\.\\d)?% is within 30–80%$`)),
      ]),
    );

    // One info alert lists the new proposals.
    const alert = await eventually(
      () =>
        alertStatus(stack.client, alertWorkflowId(normalizeDedupKey(`tuning/${run.date}/${wfId}`))).catch(
          () => undefined,
        ),
      (a) => a !== undefined,
      'the tuning alert',
    );
    expect(alert!.alert.severity).toBe('info');
    expect(alert!.alert.summary).toContain(p!.id);

    // Listed as pending, with the evidence (the list reads visibility, which trails the start).
    const pending = (await eventually(
      async () => (await listProposals(stack.client, { taskQueue })).find((s) => s.proposal.id === p!.id),
      (s) => s !== undefined,
      'the proposal in the list',
    ))!;
    expect(pending.state).toBe('pending');
    expect(pending.proposal.evidence.cpu).toEqual({ p50: 17, p95: 19, points: 168 });
    expect(pending.proposal.evidence.memory).toEqual({ p50: 15, p95: 15, points: 168 });
    expect(pending.proposal.evidence.forecastPeakCpu).toBeGreaterThan(0);
    expect(pending.proposal.proposed.businessHours).toEqual({ min: 1, desired: 1, max: 6 });
    expect(pending.proposal.monthlyCostChangeUsd).toBeLessThan(0);

    // A re-run the same day leaves the pending change alone.
    const again = await stack.client.workflow.execute(performanceTuning, {
      taskQueue,
      workflowId: uniqueName('it-tuning-run'),
      args: [{ clusters: [cluster.name], endMs }],
    });
    expect(again.proposals).toEqual([expect.objectContaining({ id: p!.id, started: false })]);

    const before = await sizeOf('general');
    expect(before).toMatchObject({ minSize: 2, desiredSize: 3, maxSize: 6 });
    const cli = captureCli({ TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue });
    try {
      expect(await cli.run('tuning', 'list')).toBe(0);
      expect(cli.out).toContain(`${p!.id}  pending  business-size down`);
      expect(cli.out).toMatch(/evidence: cpu p50\/p95 17\.0\/19\.0%, mem p50\/p95 15\.0\/15\.0%, forecast peak/);
      expect(await cli.run('tuning', 'reject', p!.id)).toBe(2); // --reason is required
      expect(await cli.run('tuning', 'approve', 'no such id!')).toBe(2);
      expect(cli.err).toMatch(/is not a proposal id/);
      expect(await cli.run('tuning', 'approve', `${p!.id}x`)).toBe(2);
      expect(cli.err).toMatch(/no pending tuning change/);
      expect(await cli.run('tuning', 'approve', p!.id, '--note', 'quiet week')).toBe(0);
      expect(cli.out).toContain(`${p!.id}  approved by ${me}`);
      expect(cli.out).toMatch(/override general min=1 desired=1 max=6 until /);
      // A second decision is refused, nothing changes.
      expect(await cli.run('tuning', 'reject', p!.id, '--reason', 'too late')).toBe(2);
      expect(cli.err).toMatch(new RegExp(`already approved by ${me}`));
      expect(await cli.run('tuning', 'list')).toBe(0);
      expect(cli.out).not.toContain(p!.id);
    } finally {
      cli.restore();
    }

    await eventually(
      () => sizeOf('general'),
      (s) => s.desiredSize === 1 && s.minSize === 1 && s.maxSize === 6,
      'general at 1/1/6 in moto',
    );
    const actions = await eventually(
      async () =>
        (await stack.client.workflow.getHandle(controllerWorkflowId(clusterKeyOf(cluster))).query(statusQuery))
          .lastActions,
      (list) => list.some((a) => a.action === 'override' && /^general: \d+\/\d+\/\d+ → 1\/1\/6/.test(a.summary)),
      'the controller recorded the applied override',
    );
    expect(actions.find((a) => a.action === 'override')?.summary).toMatch(
      new RegExp(`general min=1 desired=1 max=6 until .* by ${me}: tuning `),
    );
    expect(actions.find((a) => a.action === 'tuning-approved')?.summary).toContain(`approved by ${me} (quiet week)`);
  });
});
