import { readFileSync } from 'node:fs';
import { DescribeAutoScalingGroupsCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { createActivities, type ActivityDeps } from '../../activities';
import { scaleDownFleet, scaleUpFleet } from '../../workflows';
import { seedCluster } from '../../src/sandbox/seed';
import { startPricingServer } from '../../src/sandbox/pricing-server';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { pauseUpdate, resumeUpdate } from '../../workflows/scaling/messages';
import { ANN } from '../../src/domain/downscale/workloads';
import { SCALE_DOWN_DISABLED } from '../../src/domain/drain/scale-in';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';
import { KubeTestCluster, until } from '../support/kube-fixtures';

/**
 * The timetable's Kubernetes side against the real API server and moto: a self-managed scale-in
 * that picks (fewest pods, lowest requests, never scale-down-disabled), drains and removes its
 * nodes; workload downscaling across a simulated IST day, paused with the cluster; the namespace
 * cost split of the cost report.
 */
describe('scaling with the real Kubernetes API', () => {
  const aws = testAwsFactory();
  const tokenEnv = `EKSFLOW_TEST_KUBE_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  const name = uniqueName('it-kscale').toLowerCase();
  const ng = `sm${Math.floor(Math.random() * 1e9).toString(36)}`;
  const asgName = `${name}-sm`;
  const taskQueue = uniqueName('it-kscale');
  const settings = { pollIntervalMs: 250, verifyTimeoutMs: 20_000, scaleDownSteps: 1, scaleDownWindowMs: 0 };
  let kube: KubeTestCluster;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let deps: ActivityDeps;
  let clock = Date.parse('2026-11-30T18:00:00+05:30');
  const appsNs = `${name}-apps`;
  const batchNs = `${name}-batch`;
  const otherNs = `${name}-other`;

  beforeAll(async () => {
    kube = new KubeTestCluster();
    const config = testConfig({
      clusters: [
        {
          name,
          accountId: '888888888888',
          region: 'us-east-1',
          kubernetes: kube.kubernetesConfig(tokenEnv, {
            drain: { timeoutSeconds: 30 },
            downscaling: { namespaces: [batchNs] },
          }),
          nodegroups: [
            {
              name: ng,
              kind: 'self-managed',
              asgName,
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 4, max: 6 },
              offHours: { min: 0, desired: 2, max: 6 },
            },
          ],
        },
      ],
    });
    await seedCluster(aws, config.clusters[0]!);
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
      deps: { now: () => new Date(clock) },
    });
    deps = worker.deps;
    kube.startKubelet();
  });

  afterAll(async () => {
    await stack?.client.workflow
      .getHandle(controllerWorkflowId(clusterKeyOf(deps.config.clusters[0]!)))
      .terminate('test done')
      .catch(() => undefined);
    await worker?.stop();
    await stack?.close();
    await kube?.cleanup(name);
    delete process.env[tokenEnv];
  });

  const asg = async () => {
    const g = (
      await aws
        .autoScaling(deps.config.clusters[0]!)
        .send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }))
    ).AutoScalingGroups![0]!;
    return {
      desired: g.DesiredCapacity!,
      min: g.MinSize!,
      inService: (g.Instances ?? [])
        .filter((i) => i.LifecycleState === 'InService')
        .map((i) => i.InstanceId!)
        .sort(),
    };
  };

  it('scale-in picks the emptiest nodes (never a scale-down-disabled one), drains them, then terminates with desired decremented', async () => {
    await aws
      .autoScaling(deps.config.clusters[0]!)
      .send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: asgName, MinSize: 1, DesiredCapacity: 4 }));
    const ids = (await until('4 InService', async () => {
      const g = await asg();
      return g.inService.length === 4 && g.inService;
    }))!;
    const ns = await kube.namespace(appsNs);
    const rs = await kube.replicaSet(ns, 'web', 8, { app: 'web' });
    const owner = { kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid! };
    // busy: 5 pods; light: 1 pod; idle-but-protected: 0 pods, annotated; medium: 2 pods.
    const [busy, light, guarded, medium] = ['busy', 'light', 'guarded', 'medium'].map((s) => `${name}-${s}`) as [
      string,
      string,
      string,
      string,
    ];
    await kube.node(busy, { instanceId: ids[0], nodegroup: ng });
    await kube.node(light, { instanceId: ids[1], nodegroup: ng });
    await kube.node(guarded, { instanceId: ids[2], nodegroup: ng, annotations: { [SCALE_DOWN_DISABLED]: 'true' } });
    await kube.node(medium, { instanceId: ids[3], nodegroup: ng });
    let p = 0;
    for (const [node, count] of [
      [busy, 5],
      [light, 1],
      [medium, 2],
    ] as const) {
      for (let i = 0; i < count; i++)
        await kube.pod(ns, `web-${++p}`, { node, owner, labels: { app: 'web' }, cpu: '100m' });
    }

    const result = await stack.client.workflow.execute(scaleDownFleet, {
      taskQueue,
      workflowId: uniqueName('kscale-down'),
      args: [{ settings, clusters: [name] }],
    });
    const group = result.clusters[0]!.groups[0]!;
    expect(group).toMatchObject({ status: 'scaled', after: { desired: 2 } });
    expect(group.reason).toMatch(new RegExp(`drained and removed ${light} \\(${ids[1]}\\), ${medium} \\(${ids[3]}\\)`));
    expect(group.reason).toMatch(new RegExp(`${guarded} kept: annotated ${SCALE_DOWN_DISABLED}=true`));
    const after = await asg();
    expect(after.desired).toBe(2);
    expect(after.inService).toEqual([ids[0], ids[2]].sort());
    const audit = deps.audit.read();
    const terminated = audit
      .filter((r) => r.action === 'autoscaling:TerminateInstanceInAutoScalingGroup')
      .map((r) => r.detail?.instanceId);
    expect(terminated.sort()).toEqual([ids[1], ids[3]].sort());
    expect(
      audit
        .filter((r) => r.action === 'autoscaling:TerminateInstanceInAutoScalingGroup')
        .every((r) => r.detail?.decrementDesired === true),
    ).toBe(true);
    // Drained before termination: their pods were evicted, the others' were not.
    expect((await kube.podsOn(light)).length + (await kube.podsOn(medium)).length).toBe(0);
    expect((await kube.podsOn(busy)).length).toBe(5);
    for (const n of [light, medium]) expect((await kube.core.readNode(n)).body.spec?.unschedulable).toBe(true);
    expect((await kube.core.readNode(busy)).body.spec?.unschedulable).toBeFalsy();
  });

  it('downscales workloads at 18:00 IST and restores them at 08:00, keeping exclusions — and not while the cluster is paused', async () => {
    await kube.namespace(`${appsNs}-dn`, { [ANN.downscale]: 'true' });
    await kube.namespace(batchNs);
    await kube.namespace(otherNs);
    const dn = `${appsNs}-dn`;
    const deploy = async (ns: string, n: string, replicas: number, annotations: Record<string, string> = {}) =>
      kube.apps.createNamespacedDeployment(ns, {
        metadata: { name: n, annotations },
        spec: {
          replicas,
          selector: { matchLabels: { app: n } },
          template: {
            metadata: { labels: { app: n } },
            spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
          },
        },
      });
    await deploy(dn, 'web', 3);
    await deploy(dn, 'keep', 2, { [ANN.exclude]: 'true' });
    await deploy(dn, 'late', 3, { [ANN.uptime]: 'Mon-Sun 08:00-22:00 Asia/Kolkata' });
    await kube.apps.createNamespacedStatefulSet(dn, {
      metadata: { name: 'db' },
      spec: {
        replicas: 1,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    });
    await deploy(batchNs, 'jobs', 2);
    await deploy(batchNs, 'report', 2, { [ANN.excludeUntil]: '2099-01-01' });
    await deploy(otherNs, 'api', 2);
    const replicas = async () => {
      const d = (await kube.apps.listDeploymentForAllNamespaces()).body.items;
      const s = (await kube.apps.listStatefulSetForAllNamespaces()).body.items;
      return Object.fromEntries(
        [...d, ...s]
          .filter(
            (o) => o.metadata!.namespace!.startsWith(appsNs) || [batchNs, otherNs].includes(o.metadata!.namespace!),
          )
          .map((o) => [
            `${o.metadata!.namespace}/${o.metadata!.name}`,
            [o.spec!.replicas, o.metadata!.annotations?.[ANN.original] ?? null],
          ]),
      );
    };
    const initial = await replicas();

    clock = Date.parse('2026-11-30T18:00:00+05:30');
    const down = await stack.client.workflow.execute(scaleDownFleet, {
      taskQueue,
      workflowId: uniqueName('kscale-evening'),
      args: [{ settings, clusters: [name] }],
    });
    expect(down.clusters[0]!.workloads!.changes.map((c) => c.workload).sort()).toEqual(
      [`${batchNs}/jobs`, `${dn}/db`, `${dn}/web`].sort(),
    );
    expect(await replicas()).toEqual({
      ...initial,
      [`${dn}/web`]: [0, '3'],
      [`${dn}/db`]: [0, '1'],
      [`${batchNs}/jobs`]: [0, '2'],
    });

    // 08:00 the next day, paused: nothing comes back.
    clock = Date.parse('2026-12-01T08:00:00+05:30');
    const controller = stack.client.workflow.getHandle(controllerWorkflowId(clusterKeyOf(deps.config.clusters[0]!)));
    await controller.executeUpdate(pauseUpdate, { args: [{ reason: 'change freeze', by: 'test' }] });
    const paused = await stack.client.workflow.execute(scaleUpFleet, {
      taskQueue,
      workflowId: uniqueName('kscale-paused'),
      args: [{ settings, clusters: [name] }],
    });
    expect(paused.clusters[0]!.status).toBe('skipped');
    expect((await replicas())[`${dn}/web`]).toEqual([0, '3']);

    await controller.executeUpdate(resumeUpdate, { args: [{ by: 'test' }] });
    const up = await stack.client.workflow.execute(scaleUpFleet, {
      taskQueue,
      workflowId: uniqueName('kscale-morning'),
      args: [{ settings, clusters: [name] }],
    });
    expect(up.clusters[0]!.workloads!.changes.map((c) => `${c.workload}:${c.from}→${c.to}`).sort()).toEqual(
      [`${batchNs}/jobs:0→2`, `${dn}/db:0→1`, `${dn}/web:0→3`].sort(),
    );
    expect(await replicas()).toEqual(initial);
    const audit = deps.audit.read().filter((r) => r.action.startsWith('k8s:Scale'));
    expect(audit).toHaveLength(6);
  });

  it("splits the node group's cost by namespace from pod requests", async () => {
    clock = Date.now();
    const pricing = await startPricingServer();
    const acts = createActivities({ ...deps, aws: testAwsFactory({ pricingEndpoint: pricing.url }) });
    try {
      const summary = await acts.buildCostReport({ hours: 24 });
      const report = JSON.parse(readFileSync(summary.jsonPath, 'utf8'));
      const section = report.namespaceCosts.find((s: { nodegroup: string }) => s.nodegroup === ng);
      expect(section).toBeDefined();
      const shares = Object.fromEntries(
        section.split.map((s: { namespace: string; share: number }) => [s.namespace, s.share]),
      );
      // 5 web pods (100m, 128Mi each) on the group's 4 nodes of 4 CPU / 16Gi (no cloud controller here
      // deletes the Node objects of the terminated instances): (500/16000 + 640Mi/64Gi) / 2.
      expect(shares[appsNs]).toBeCloseTo((500 / 16000 + 640 / (64 * 1024)) / 2, 6);
      expect(shares.__idle__).toBeCloseTo(1 - shares[appsNs], 6);
      expect(section.split.reduce((s: number, x: { monthly: number }) => s + x.monthly, 0)).toBeCloseTo(
        section.monthly,
        6,
      );
      expect(readFileSync(summary.htmlPath, 'utf8')).toContain('Cost by namespace');
    } finally {
      await pricing.close();
    }
  });
});
