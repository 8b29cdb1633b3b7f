import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { KubernetesGateways, type KubernetesGateway } from '../../activities/gateways/kubernetes';
import { drainNode } from '../../workflows';
import { AccessDeniedError } from '../../src/errors';
import { clusterKeyOf } from '../../src/domain/scaling/types';
import {
  connectDevServer,
  createTestWorker,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';
import { KubeTestCluster } from '../support/kube-fixtures';

/**
 * The drain workflow against a real kube-apiserver + etcd + kube-controller-manager (PDB status),
 * as eksflow's RBAC role (deploy/rbac/eksflow.yaml), with the test playing kubelet.
 */
describe('drain against the real Kubernetes API', () => {
  const aws = testAwsFactory();
  const tokenEnv = `EKSFLOW_TEST_KUBE_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  const name = uniqueName('it-drain').toLowerCase();
  const taskQueue = uniqueName('it-drain');
  let kube: KubeTestCluster;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: Worker;
  let running: Promise<void>;
  let deps: ActivityDeps;
  let clusterKey: string;
  let ns: string;

  const cluster = (kubernetes: Record<string, unknown>) => ({
    name,
    accountId: '555555555555',
    region: 'ap-south-1',
    kubernetes,
    nodegroups: [
      {
        name: 'general',
        instanceTypes: ['m5.large'],
        businessHours: { min: 1, desired: 1, max: 3 },
        offHours: { min: 0, desired: 0, max: 3 },
      },
    ],
  });

  beforeAll(async () => {
    kube = new KubeTestCluster();
    ns = await kube.namespace(name);
    const down = {
      ...cluster({ apiServer: 'https://127.0.0.1:9', caFile: kube.endpoints.caFile, tokenEnv }),
      name: `${name}-down`,
    };
    const config = testConfig({
      clusters: [cluster(kube.kubernetesConfig(tokenEnv, { drain: { timeoutSeconds: 20 } })), down],
    });
    clusterKey = clusterKeyOf(config.clusters[0]!);
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

  const evictions = () => deps.audit.read().filter((r) => r.action === 'k8s:EvictPod');

  it('authenticates with a token from the environment or Secrets Manager and with a kubeconfig, and says so when the token is rejected', async () => {
    const gateways = new KubernetesGateways({ aws, now: () => new Date() });
    const byToken = await gateways.forCluster(
      testConfig({ clusters: [cluster(kube.kubernetesConfig(tokenEnv))] }).clusters[0]!,
    );
    expect(await byToken.version()).toMatch(/^v1\.3\d\./);
    const byKubeconfig = await gateways.forCluster(
      testConfig({ clusters: [{ ...cluster({ kubeconfig: kube.endpoints.eksflowKubeconfig }), name: `${name}-kc` }] })
        .clusters[0]!,
    );
    expect((await byKubeconfig.listNodes()).length).toBeGreaterThanOrEqual(0);
    // A token kept in Secrets Manager (moto), by secret id.
    const secretId = `${name}/kubernetes-token`;
    await aws
      .secretsManager({ accountId: '555555555555', region: 'ap-south-1' })
      .send(new CreateSecretCommand({ Name: secretId, SecretString: kube.endpoints.eksflowToken }));
    const bySecret = await gateways.forCluster(
      testConfig({
        clusters: [
          {
            ...cluster({ apiServer: kube.endpoints.url, caFile: kube.endpoints.caFile, tokenSecretId: secretId }),
            name: `${name}-sm`,
          },
        ],
      }).clusters[0]!,
    );
    expect(await bySecret.version()).toMatch(/^v1\.3\d\./);
    const badEnv = `${tokenEnv}_BAD`;
    process.env[badEnv] = 'not-a-valid-token';
    const bad = await gateways.forCluster(
      testConfig({
        clusters: [
          {
            ...cluster({ apiServer: kube.endpoints.url, caFile: kube.endpoints.caFile, tokenEnv: badEnv }),
            name: `${name}-bad`,
          },
        ],
      }).clusters[0]!,
    );
    await expect(bad.listNodes()).rejects.toThrow(AccessDeniedError);
    await expect(bad.listNodes()).rejects.toThrow(/401 Unauthorized/);
    delete process.env[badEnv];
  });

  it('runs as the shipped ClusterRole: what eksflow needs is allowed, the rest is forbidden', async () => {
    const gw: KubernetesGateway = await new KubernetesGateways({ aws, now: () => new Date() }).forCluster(
      deps.config.clusters[0]!,
    );
    await expect(gw.listPods({ namespace: ns })).resolves.toEqual([]);
    await expect(gw.listPodDisruptionBudgets(ns)).resolves.toEqual([]);
    // Not in the role: reading secrets, deleting pods directly.
    const core = gw.kubeConfig.makeApiClient((await import('@kubernetes/client-node')).CoreV1Api);
    await expect(core.listNamespacedSecret(ns)).rejects.toMatchObject({ statusCode: 403 });
    await expect(core.deleteNamespacedPod('x', ns)).rejects.toMatchObject({ statusCode: 403 });
  });

  it('PDB allowing 1 of 3: evicts exactly one, retries the others until the deadline, then names the budget; DaemonSet pods stay', async () => {
    const node = `${name}-pdb`;
    await kube.node(node, { nodegroup: 'general' });
    const web = await kube.replicaSet(ns, 'web', 3, { app: 'web' });
    const api = await kube.replicaSet(ns, 'api', 1, { app: 'api' });
    const ds = await kube.daemonSet(ns, 'logs', { app: 'logs' });
    for (let i = 1; i <= 3; i++)
      await kube.pod(ns, `web-${i}`, {
        node,
        labels: { app: 'web' },
        owner: { kind: 'ReplicaSet', name: 'web', uid: web.metadata!.uid! },
      });
    await kube.pod(ns, 'api-1', {
      node,
      labels: { app: 'api' },
      owner: { kind: 'ReplicaSet', name: 'api', uid: api.metadata!.uid! },
    });
    await kube.pod(ns, 'logs-1', {
      node,
      labels: { app: 'logs' },
      owner: { kind: 'DaemonSet', name: 'logs', uid: ds.metadata!.uid! },
    });
    await kube.pdb(ns, 'web-pdb', 2, { app: 'web' });
    await kube.pdbReady(ns, 'web-pdb', 1);

    const result = await stack.client.workflow.execute(drainNode, {
      taskQueue,
      workflowId: uniqueName('drain-pdb'),
      args: [{ clusterKey, node, rules: { timeoutSeconds: 8 } }],
    });
    expect(result.status).toBe('timed-out');
    expect(result.cordoned).toBe(true);
    const webEvicted = result.evicted.filter((p) => p.startsWith(`${ns}/web-`));
    expect(webEvicted).toHaveLength(1);
    expect(result.evicted).toContain(`${ns}/api-1`);
    expect(result.skipped).toEqual([{ pod: `${ns}/logs-1`, reason: 'DaemonSet pod' }]);
    const blocked = result.blocked.filter((b) => b.kind === 'disruption-budget');
    expect(blocked.map((b) => b.pod).sort()).toEqual(
      [1, 2, 3].map((i) => `${ns}/web-${i}`).filter((p) => !webEvicted.includes(p)),
    );
    for (const b of blocked) {
      expect(b.budgets).toEqual(['web-pdb']);
      expect(b.reason).toMatch(/disruption budget.*web-pdb/i);
    }
    expect(result.passes).toBeGreaterThan(2); // refused evictions were retried
    // Exactly one eviction per pod evicted, none for the refused ones.
    expect(
      evictions()
        .filter((r) => r.target.includes(`/${node}/`))
        .map((r) => r.target.split('/').slice(-1)[0])
        .sort(),
    ).toEqual(['api-1', webEvicted[0]!.split('/')[1]].sort());
    const left = (await kube.podsOn(node)).map((p) => p.metadata!.name).sort();
    expect(left).toEqual(['logs-1', ...blocked.map((b) => b.pod.split('/')[1]!)].sort());
    expect((await kube.core.readNode(node)).body.spec?.unschedulable).toBe(true);
  });

  it("waits for each evicted pod's termination grace period, and refuses emptyDir/unmanaged pods unless the rules allow", async () => {
    const node = `${name}-rules`;
    await kube.node(node, { nodegroup: 'general' });
    const rs = await kube.replicaSet(ns, 'slow', 1, { app: 'slow' });
    const owner = { kind: 'ReplicaSet', name: 'slow', uid: rs.metadata!.uid! };
    await kube.pod(ns, 'slow-1', { node, owner, labels: { app: 'slow' }, graceSeconds: 3 });
    await kube.pod(ns, 'scratch-1', { node, owner, labels: { app: 'slow' }, emptyDir: true });
    await kube.pod(ns, 'bare-1', { node });

    const strict = await stack.client.workflow.execute(drainNode, {
      taskQueue,
      workflowId: uniqueName('drain-rules'),
      args: [{ clusterKey, node, rules: { timeoutSeconds: 30 } }],
    });
    expect(strict.status).toBe('blocked');
    expect(strict.evicted).toEqual([`${ns}/slow-1`]);
    expect(strict.blocked.map((b) => [b.pod, b.kind])).toEqual([
      [`${ns}/bare-1`, 'rule'],
      [`${ns}/scratch-1`, 'rule'],
    ]);
    expect(strict.blocked[0]!.reason).toMatch(/not managed by a controller/);
    expect(strict.blocked[1]!.reason).toMatch(/emptyDir/);
    // The grace period was waited for: slow-1 (3 s) is gone, not merely terminating.
    expect(strict.finishedAtMs - strict.startedAtMs).toBeGreaterThanOrEqual(3_000);
    expect((await kube.podsOn(node)).map((p) => p.metadata!.name).sort()).toEqual(['bare-1', 'scratch-1']);

    const forced = await stack.client.workflow.execute(drainNode, {
      taskQueue,
      workflowId: uniqueName('drain-force'),
      args: [{ clusterKey, node, rules: { timeoutSeconds: 30, force: true, deleteEmptyDirData: true } }],
    });
    expect(forced).toMatchObject({ status: 'drained', blocked: [] });
    expect(forced.evicted.sort()).toEqual([`${ns}/bare-1`, `${ns}/scratch-1`]);
    expect(await kube.podsOn(node)).toEqual([]);
  });

  it('reports a node that does not exist and an API it cannot reach', async () => {
    const missing = await stack.client.workflow.execute(drainNode, {
      taskQueue,
      workflowId: uniqueName('drain-missing'),
      args: [{ clusterKey, node: `${name}-nope` }],
    });
    expect(missing).toMatchObject({ status: 'node-not-found', cordoned: false, evicted: [] });
    const unreachable = await stack.client.workflow.execute(drainNode, {
      taskQueue,
      workflowId: uniqueName('drain-down'),
      args: [{ clusterKey: clusterKeyOf(deps.config.clusters[1]!), node: 'any', rules: { timeoutSeconds: 3 } }],
    });
    expect(unreachable.status).toBe('failed');
    expect(unreachable.error).toMatch(/cordon failed: .*ECONNREFUSED/);
  });
});
