import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { spotInterruption } from '../../workflows';
import { seedCluster } from '../../src/sandbox/seed';
import { sandboxOf } from '../fixtures/interruption-sandbox';
import {
  connectDevServer,
  createTestWorker,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';
import { KubeTestCluster, until } from '../support/kube-fixtures';

/**
 * One test sees both sides: a spot interruption warning for a moto instance → its node (found by
 * spec.providerID) cordoned and drained in the real API server, the replacement requested in moto.
 * A cluster whose API cannot be reached still gets its replacement; the drain says why it failed.
 */
describe('spot interruption drains the node in the real Kubernetes API', () => {
  const aws = testAwsFactory();
  const account = '666666666666';
  const region = 'ap-south-1';
  const tokenEnv = `EKSFLOW_TEST_KUBE_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  const name = uniqueName('it-kspot').toLowerCase();
  const asgName = `${name}-spot`;
  const downAsg = `${name}-down`;
  const taskQueue = uniqueName('it-kspot');
  let kube: KubeTestCluster;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: Worker;
  let running: Promise<void>;
  let deps: ActivityDeps;

  const group = (ng: string, asg: string) => ({
    name: ng,
    kind: 'self-managed',
    asgName: asg,
    capacityType: 'SPOT',
    instanceTypes: ['m5.large'],
    businessHours: { min: 1, desired: 2, max: 6 },
    offHours: { min: 1, desired: 2, max: 6 },
  });

  beforeAll(async () => {
    kube = new KubeTestCluster();
    const config = testConfig({
      clusters: [
        {
          name,
          accountId: account,
          region,
          kubernetes: kube.kubernetesConfig(tokenEnv),
          nodegroups: [group('spot', asgName)],
        },
        {
          name: `${name}-down`,
          accountId: account,
          region,
          kubernetes: { apiServer: 'https://127.0.0.1:9', tokenEnv, caFile: kube.endpoints.caFile },
          nodegroups: [group('down', downAsg)],
        },
      ],
    });
    for (const c of config.clusters) await seedCluster(aws, c);
    stack = await connectDevServer();
    deps = testActivityDeps({ config, client: stack.client, taskQueue, aws });
    worker = await createTestWorker({ connection: stack.nativeConnection, taskQueue, deps });
    running = worker.run();
    kube.startKubelet();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await stack?.close();
    await kube?.cleanup(name);
    delete process.env[tokenEnv];
  });

  const warning = (instanceId: string, ageMs = 0) => ({
    kind: 'spot-interruption-warning' as const,
    eventId: uniqueName('evt'),
    instanceId,
    time: new Date(Date.now() - ageMs).toISOString(),
    region,
    account,
  });
  const timing = { pollIntervalMs: 500, terminationWaitMs: 1_000, terminationPollMs: 500 };

  it("cordons and drains the interrupted instance's node while the replacement is requested", async () => {
    const cluster = deps.config.clusters[0]!;
    const sandbox = sandboxOf(aws, cluster);
    const [victim, other] = (await until('2 InService instances', async () => {
      const g = await sandbox.asg(asgName);
      return g.inService.length >= 2 && g.inService;
    }))!;
    const ns = await kube.namespace(`${name}-apps`);
    const victimNode = `${name}-victim`;
    await kube.node(victimNode, { instanceId: victim });
    await kube.node(`${name}-other`, { instanceId: other });
    const rs = await kube.replicaSet(ns, 'web', 2, { app: 'web' });
    const ds = await kube.daemonSet(ns, 'agent', { app: 'agent' });
    await kube.pod(ns, 'web-1', {
      node: victimNode,
      labels: { app: 'web' },
      owner: { kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid! },
    });
    await kube.pod(ns, 'web-2', {
      node: `${name}-other`,
      labels: { app: 'web' },
      owner: { kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid! },
    });
    await kube.pod(ns, 'agent-1', {
      node: victimNode,
      owner: { kind: 'DaemonSet', name: 'agent', uid: ds.metadata!.uid! },
    });
    const before = await sandbox.asg(asgName);

    const result = await stack.client.workflow.execute(spotInterruption, {
      taskQueue,
      workflowId: `spot-interruption/${victim}`,
      args: [{ trigger: warning(victim), timing, searchAttributes: false }],
    });
    expect(result.success).toBe(true);
    expect(result.drain).toMatchObject({
      skipped: false,
      outcome: { status: 'drained', node: victimNode, cordoned: true, evicted: [`${ns}/web-1`] },
    });
    expect(result.drain!.outcome!.skipped).toEqual([{ pod: `${ns}/agent-1`, reason: 'DaemonSet pod' }]);
    expect((await kube.core.readNode(victimNode)).body.spec?.unschedulable).toBe(true);
    expect((await kube.core.readNode(`${name}-other`)).body.spec?.unschedulable).toBeFalsy();
    expect((await kube.podsOn(victimNode)).map((p) => p.metadata!.name)).toEqual(['agent-1']);
    // AWS side: the group was raised for the replacement (and the raise undone once the instance went).
    const audit = deps.audit.read();
    expect(
      audit.some((r) => r.action === 'eksflow:RaiseCapacity' && JSON.stringify(r.detail ?? {}).includes(victim)),
    ).toBe(true);
    expect(audit.filter((r) => r.action === 'k8s:EvictPod' && r.target.endsWith(`/${ns}/web-1`))).toHaveLength(1);
    expect(result.outcome).toBe('replaced');
    expect((await sandbox.asg(asgName)).desired).toBe(before.desired);
  });

  it('an unreachable API is reported by the drain; the replacement still happens', async () => {
    const cluster = deps.config.clusters[1]!;
    const sandbox = sandboxOf(aws, cluster);
    const [victim] = (await until('an InService instance', async () => {
      const g = await sandbox.asg(downAsg);
      return g.inService.length >= 1 && g.inService;
    }))!;
    const result = await stack.client.workflow.execute(spotInterruption, {
      taskQueue,
      workflowId: `spot-interruption/${victim}`, // The warning arrived 105 s ago: 15 s of the 120 s notice left, which the drain spends retrying.
      args: [{ trigger: warning(victim!, 105_000), timing, searchAttributes: false }],
    });
    expect(result.outcome).toBe('replaced');
    expect(
      deps.audit
        .read()
        .some((r) => r.action === 'eksflow:RaiseCapacity' && JSON.stringify(r.detail ?? {}).includes(victim)),
    ).toBe(true);
    expect(result.drain).toMatchObject({ skipped: false, outcome: { status: 'failed' } });
    expect(result.drain!.outcome!.error).toMatch(/ECONNREFUSED/);
    expect(result.notes.some((n) => /drain failed/.test(n))).toBe(true);
  });
});
