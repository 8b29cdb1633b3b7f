import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { scaleDownFleet, scaleUpFleet } from '../../workflows';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs, startReconcilerLoop } from '../../src/sandbox/nodegroup-asg-reconciler';
import { eventually } from '../support/eventually';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';
import { scalingCluster } from '../support/scaling-fixtures';
import { KubeTestCluster } from '../support/kube-fixtures';
import { controllerWorkflowId, clusterKeyOf } from '../../src/domain/scaling/types';
import { controlStateQuery, overrideUpdate, statusQuery } from '../../workflows/scaling/messages';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { captureCli } from '../support/cli-capture';
import { temporalAddress } from '../support/stack';

describe('timetable scaling against moto, on the dev server', () => {
  const aws = testAwsFactory();
  const tokenEnv = `EKSFLOW_TEST_K8S_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  let kube: KubeTestCluster;
  const mumbai = scalingCluster('it-scale-a', { accountId: '111111111111', region: 'ap-south-1' });
  const virginia = scalingCluster('it-scale-b', { accountId: '222222222222', region: 'us-east-1', role: true });
  // Configured but never created in AWS: its failure must not block the others.
  const missing = scalingCluster('it-scale-missing', { accountId: '333333333333', region: 'eu-west-1' });
  const taskQueue = uniqueName('it-scaling');
  const settings = { pollIntervalMs: 250, verifyTimeoutMs: 20_000, scaleDownSteps: 2, scaleDownWindowMs: 1_000 };
  let config: ReturnType<typeof testConfig>;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let reconciler: { stop(): void };

  type C = { name: string; accountId: string; region: string; roleArn?: string };
  const sizeOf = async (c: C, ng: string) => {
    const out = await aws.eks(c).send(new DescribeNodegroupCommand({ clusterName: c.name, nodegroupName: ng }));
    const s = out.nodegroup!.scalingConfig!;
    return { min: s.minSize, desired: s.desiredSize, max: s.maxSize };
  };
  const asgOf = async (c: C) => {
    const out = await aws
      .autoScaling(c)
      .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${c.name}-batch`] }));
    const g = out.AutoScalingGroups![0]!;
    return { min: g.MinSize, desired: g.DesiredCapacity, max: g.MaxSize };
  };
  /** The size mutations one fleet run (and its child workflows, ids prefixed by the run's) applied. */
  const mutations = (fleetWorkflowId: string) =>
    worker.deps.audit
      .read()
      .filter((r) => r.workflowId?.startsWith(`${fleetWorkflowId}/`) || r.workflowId === fleetWorkflowId)
      .filter((r) => r.action === 'eks:UpdateNodegroupConfig' || r.action === 'autoscaling:UpdateAutoScalingGroup');
  /** Brings the two real clusters to their business sizes (a precondition some tests state themselves). */
  const scaleUp = (workflowId: string) =>
    stack.client.workflow.execute(scaleUpFleet, {
      taskQueue,
      workflowId,
      args: [{ settings, clusters: [mumbai.name, virginia.name] }],
    });

  beforeAll(async () => {
    // The real test API server (eksflow's RBAC role). mumbai/general's pods request 2 nodes' worth
    // of CPU: its scale-down to 1 must be blocked at 2.
    kube = new KubeTestCluster();
    const ns = await kube.namespace(uniqueName('it-scale').toLowerCase());
    const [n1, n2] = [`${mumbai.name}-n1`.toLowerCase(), `${mumbai.name}-n2`.toLowerCase()];
    await kube.node(n1, { nodegroup: 'general', cpu: '1930m', memory: '7Gi' });
    await kube.node(n2, { nodegroup: 'general', cpu: '1930m', memory: '7Gi' });
    const rs = await kube.replicaSet(ns, 'app', 2, { app: 'app' });
    const ds = await kube.daemonSet(ns, 'agent', { app: 'agent' });
    const rsOwner = { kind: 'ReplicaSet', name: 'app', uid: rs.metadata!.uid! };
    await kube.pod(ns, 'app-1', { node: n1, owner: rsOwner, cpu: '1500m', memory: '1Gi' });
    await kube.pod(ns, 'app-2', { node: n2, owner: rsOwner, cpu: '1000m', memory: '1Gi' });
    await kube.pod(ns, 'agent-1', {
      node: n2,
      owner: { kind: 'DaemonSet', name: 'agent', uid: ds.metadata!.uid! },
      cpu: '900m',
      memory: '100Mi',
    });
    const withK8s = { ...mumbai, kubernetes: kube.kubernetesConfig(tokenEnv) };
    config = testConfig({ clusters: [withK8s, virginia, missing] });
    for (const c of [config.clusters[0]!, config.clusters[1]!]) await seedCluster(aws, c);
    await reconcileNodegroupAsgs(aws, [config.clusters[0]!, config.clusters[1]!]);
    reconciler = startReconcilerLoop(aws, [config.clusters[0]!, config.clusters[1]!], 200);
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
    for (const c of config?.clusters ?? []) {
      await stack?.client.workflow
        .getHandle(controllerWorkflowId(clusterKeyOf(c)))
        .terminate('test done')
        .catch(() => undefined);
    }
    await worker?.stop();
    await stack?.close();
    await kube?.cleanup(mumbai.name.toLowerCase());
    delete process.env[tokenEnv];
  });

  it('scales up every node group of every cluster in moto; a missing cluster fails alone', async () => {
    const workflowId = uniqueName('scale-up');
    const result = await stack.client.workflow.execute(scaleUpFleet, { taskQueue, workflowId, args: [{ settings }] });
    const byCluster = Object.fromEntries(result.clusters.map((c) => [c.cluster, c]));
    for (const c of [mumbai, virginia]) {
      const r = byCluster[c.name]!;
      expect(r.status).toBe('done');
      const groups = Object.fromEntries(r.groups.map((g) => [g.nodegroup, g]));
      expect(groups.general).toMatchObject({
        status: 'scaled',
        before: { min: 1, desired: 1, max: 6 },
        after: { min: 2, desired: 3, max: 6 },
        inService: 3,
      });
      // 2 more m5.large On-Demand nodes at the shipped table's price: $0.096/h in us-east-1, $0.101/h in ap-south-1.
      expect(groups.general!.costImpactUsdPerHour).toBeCloseTo(2 * (c === virginia ? 0.096 : 0.101), 3);
      // Bounds mode: min/max move; desired (the autoscaler's) only as far as the new min requires.
      expect(groups.workers).toMatchObject({ status: 'scaled', mode: 'bounds', after: { min: 2, desired: 2, max: 6 } });
      expect(groups.batch).toMatchObject({
        status: 'scaled',
        kind: 'self-managed',
        after: { min: 1, desired: 2, max: 4 },
        inService: 2,
      });
      expect(await sizeOf(c, 'general')).toEqual({ min: 2, desired: 3, max: 6 });
      expect(await sizeOf(c, 'workers')).toEqual({ min: 2, desired: 2, max: 6 });
      expect(await asgOf(c)).toEqual({ min: 1, desired: 2, max: 4 });
    }
    expect(byCluster[missing.name]!.status).toBe('done');
    expect(byCluster[missing.name]!.groups.every((g) => g.status === 'failed')).toBe(true);
    expect(byCluster[missing.name]!.groups[0]!.reason).toMatch(/not ?found|does not exist/i);
    expect(mutations(workflowId)).toHaveLength(6);
  });

  it('issues no update when every group is already at its business size', async () => {
    await scaleUp(uniqueName('scale-up-first'));
    const workflowId = uniqueName('scale-up-again');
    const result = await scaleUp(workflowId);
    expect(result.clusters.flatMap((c) => c.groups.map((g) => g.status))).toEqual(Array(6).fill('no_change'));
    expect(mutations(workflowId)).toEqual([]);
  });

  it('scales down gradually; a step below what workloads request is blocked and recorded', async () => {
    await scaleUp(uniqueName('scale-up-before-down'));
    const result = await stack.client.workflow.execute(scaleDownFleet, {
      taskQueue,
      workflowId: uniqueName('scale-down'),
      args: [{ settings, clusters: [mumbai.name, virginia.name] }],
    });
    const m = result.clusters.find((c) => c.cluster === mumbai.name)!;
    const v = result.clusters.find((c) => c.cluster === virginia.name)!;
    expect(m.steps).toHaveLength(2);
    // Steps are anchored to the run's start (18:00 + i × interval), not to the previous step, so
    // step 2 starts no earlier than start + the 1 s window.
    expect(m.steps![1]!.atMs - m.startedAtMs).toBeGreaterThanOrEqual(1_000);
    // virginia has no Kubernetes API: the workload check is skipped (and said so), the steps apply.
    expect(await sizeOf(virginia, 'general')).toEqual({ min: 1, desired: 1, max: 6 });
    expect(await sizeOf(virginia, 'workers')).toEqual({ min: 0, desired: 2, max: 3 });
    expect(await asgOf(virginia)).toEqual({ min: 0, desired: 1, max: 4 });
    expect(v.steps![0]!.groups.find((g) => g.nodegroup === 'general')!.reason).toMatch(
      /workload-requests check skipped: no Kubernetes API configured/,
    );
    // mumbai/general: pods request 2500m CPU over 1930m nodes = 2 nodes (the DaemonSet pod does not count).
    const general = m.steps!.map((s) => s.groups.find((g) => g.nodegroup === 'general')!);
    expect(general[0]).toMatchObject({ status: 'scaled', after: { desired: 2 } });
    expect(general[1]).toMatchObject({ status: 'blocked' });
    expect(general[1]!.reason).toMatch(/request 2 nodes/);
    expect(general[1]!.recommendation).toMatch(/--desired 2/);
    expect(await sizeOf(mumbai, 'general')).toEqual({ min: 2, desired: 2, max: 6 });
    const state = await stack.client.workflow
      .getHandle(controllerWorkflowId(clusterKeyOf(mumbai)))
      .query(controlStateQuery);
    expect(state.lastActions.some((a) => a.action === 'scale_down_blocked' && /general step 2/.test(a.summary))).toBe(
      true,
    );
  });

  it('CLI: override/pause are validated updates returning the effective plan; bad requests exit 2 and change nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-cli-'));
    writeFileSync(join(dir, 'eksflow.yaml'), stringify({ clusters: [virginia] }));
    const c = captureCli({
      EKSFLOW_CONFIG: join(dir, 'eksflow.yaml'),
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    try {
      const controller = stack.client.workflow.getHandle(controllerWorkflowId(clusterKeyOf(virginia)));
      expect(
        await c.run(
          'scaling',
          'override',
          '--cluster',
          virginia.name,
          '--nodegroup',
          'general',
          '--min',
          '5',
          '--max',
          '3',
          '--until',
          '2h',
          '--reason',
          'x',
        ),
      ).toBe(2);
      expect(c.err).toMatch(/invalid override: min 5 > max 3/);
      expect(
        await c.run(
          'scaling',
          'override',
          '--cluster',
          virginia.name,
          '--nodegroup',
          'nope',
          '--desired',
          '3',
          '--until',
          '2h',
          '--reason',
          'x',
        ),
      ).toBe(2);
      expect(c.err).toMatch(/unknown node group "nope"/);
      // Above the configured max (6): rejected by the CLI, and by the controller's validator too.
      expect(
        await c.run(
          'scaling',
          'override',
          '--cluster',
          virginia.name,
          '--nodegroup',
          'general',
          '--desired',
          '99',
          '--until',
          '2h',
          '--reason',
          'x',
        ),
      ).toBe(2);
      expect(c.err).toMatch(
        /invalid override: desired 99 is above the configured max 6 of general: raise maxOverride of general in config/,
      );
      await expect(
        controller.executeUpdate(overrideUpdate, {
          args: [{ nodegroup: 'general', desired: 99, max: 99, untilMs: Date.now() + 3_600_000, reason: 'x' }],
        }),
      ).rejects.toThrow();
      const rejected = await controller
        .executeUpdate(overrideUpdate, {
          args: [{ nodegroup: 'general', desired: 99, untilMs: Date.now() + 3_600_000, reason: 'x' }],
        })
        .then(
          () => 'accepted',
          (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message),
        );
      expect(rejected).toMatch(/desired 99 is above the configured max 6 of general/);
      expect(
        await c.run('scaling', 'pause', '--cluster', virginia.name, '--reason', 'x', '--until', '2020-01-01T00:00:00Z'),
      ).toBe(2);
      expect(c.err).toMatch(/in the past/);
      expect(await c.run('scaling', 'pause', '--cluster', 'no-such-cluster', '--reason', 'x')).toBe(2);
      expect(c.err).toMatch(/unknown cluster "no-such-cluster"/);
      expect((await controller.query(statusQuery)).overrides).toEqual([]);

      expect(
        await c.run(
          'scaling',
          'override',
          '--cluster',
          virginia.name,
          '--nodegroup',
          'general',
          '--desired',
          '4',
          '--until',
          '2h',
          '--reason',
          'launch',
          '--by',
          'erin',
        ),
      ).toBe(0);
      expect(c.out).toMatch(/general\s+desired\s+\S+\s+\d+\/4\/6\s+override by erin/);
      // Applied at once ("wake up now"), not at the next timetable step.
      await eventually(
        () => sizeOf(virginia, 'general'),
        (size) => size.desired === 4,
        'the override applied in moto',
        { timeoutMs: 5_000 },
      );
      expect(
        await c.run(
          'scaling',
          'pause',
          '--cluster',
          virginia.name,
          '--reason',
          'skip tonight',
          '--until',
          '07:30',
          '--by',
          'erin',
        ),
      ).toBe(0);
      expect(c.out).toMatch(/PAUSED by erin: skip tonight until .* 07:30 IST/);
      expect(await c.run('scaling', 'status', '--cluster', virginia.name)).toBe(0);
      expect(c.out).toMatch(/paused by erin: skip tonight/);
      expect(c.out).toMatch(/override general: desired=4 until .* by erin: launch/);

      expect(await c.run('scale', 'down', '--cluster', virginia.name, '--dry-run')).toBe(0);
      expect(c.out).toMatch(/skipped: paused by erin because skip tonight/);
      expect(await c.run('scaling', 'resume', '--cluster', virginia.name)).toBe(0);
      expect(await c.run('scaling', 'clear-override', '--cluster', virginia.name, '--nodegroup', 'general')).toBe(0);
      expect(await c.run('scale', 'up', '--cluster', virginia.name, '--dry-run')).toBe(0);
      expect(c.out).toMatch(/CLUSTER\s+NODEGROUP\s+MODE\s+STATUS\s+BEFORE\s+TARGET/);
      expect(c.out).toMatch(new RegExp(`${virginia.name}\\s+general\\s+desired\\s+planned\\s+\\d+/\\d+/6\\s+2/3/6`));
    } finally {
      c.restore();
    }
  });
});
