import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainNode } from '../../workflows';
import { AuditLog } from '../../src/audit';
import { connectDevServer, uniqueName } from '../support/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { KubeTestCluster, until } from '../support/kube-fixtures';

/**
 * A worker process is SIGKILLed in the middle of a drain that a PodDisruptionBudget paces (one
 * pod at a time); another worker takes over. The drain finishes, every pod was evicted exactly
 * once (counted in the audit log both workers append to) and none was lost track of.
 */
describe('drain survives a worker crash', () => {
  const tokenEnv = `EKSFLOW_TEST_KUBE_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  const name = uniqueName('it-kcrash').toLowerCase();
  const taskQueue = uniqueName('it-kcrash');
  const auditLog = join(mkdtempSync(join(tmpdir(), 'eksflow-kcrash-')), 'audit.jsonl');
  let kube: KubeTestCluster;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  const workers: WorkerProcess[] = [];
  let replicaSetController: NodeJS.Timeout | undefined;
  let raw: Record<string, unknown>;

  beforeAll(async () => {
    kube = new KubeTestCluster();
    raw = {
      clusters: [
        {
          name,
          accountId: '777777777777',
          region: 'ap-south-1',
          kubernetes: kube.kubernetesConfig(tokenEnv),
          nodegroups: [
            {
              name: 'general',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 3 },
              offHours: { min: 0, desired: 0, max: 3 },
            },
          ],
        },
      ],
    };
    stack = await connectDevServer();
  });

  afterAll(async () => {
    if (replicaSetController) clearInterval(replicaSetController);
    for (const w of workers) await w.stop().catch(() => undefined);
    await stack?.close();
    await kube?.cleanup(name);
    delete process.env[tokenEnv];
  });

  it('finishes after the worker is killed mid-drain, each pod evicted exactly once', async () => {
    const ns = await kube.namespace(name);
    const [draining, spare] = [`${name}-a`, `${name}-b`];
    await kube.node(draining);
    await kube.node(spare);
    const rs = await kube.replicaSet(ns, 'web', 4, { app: 'web' });
    const owner = { kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid! };
    for (let i = 1; i <= 4; i++)
      await kube.pod(ns, `web-${i}`, { node: draining, labels: { app: 'web' }, owner, graceSeconds: 1 });
    await kube.pdb(ns, 'web-pdb', 3, { app: 'web' });
    await kube.pdbReady(ns, 'web-pdb', 1);
    kube.startKubelet();
    // Playing the ReplicaSet controller + scheduler: a deleted web pod is replaced on the spare node.
    let n = 0;
    let busy = false;
    replicaSetController = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        const pods = (await kube.core.listNamespacedPod(ns, undefined, undefined, undefined, undefined, 'app=web')).body
          .items;
        const live = pods.filter((p) => !p.metadata?.deletionTimestamp).length;
        for (let k = live; k < 4; k++)
          await kube.pod(ns, `web-r${++n}`, { node: spare, labels: { app: 'web' }, owner, graceSeconds: 1 });
      })()
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, 250);

    workers.push(await spawnWorkerProcess({ config: raw, taskQueue, auditLog }));
    const audit = new AuditLog(auditLog);
    const evictions = () => audit.read().filter((r) => r.action === 'k8s:EvictPod');
    const handle = await stack.client.workflow.start(drainNode, {
      taskQueue,
      workflowId: uniqueName('drain-crash'),
      args: [{ clusterKey: `777777777777/ap-south-1/${name}`, node: draining, rules: { timeoutSeconds: 240 } }],
    });
    // Kill once the first eviction is done: the budget now holds the other three back.
    await until('the first eviction', async () => evictions().length >= 1, 60_000, 100);
    await workers[0]!.kill();
    const atKill = evictions().length;
    expect(atKill).toBeLessThan(4);

    workers.push(await spawnWorkerProcess({ config: raw, taskQueue, auditLog }));
    const result = await handle.result();
    // The blocked list says why, should the drain not finish.
    expect({ status: result.status, blocked: result.blocked }).toEqual({ status: 'drained', blocked: [] });
    expect(result.evicted.sort()).toEqual([1, 2, 3, 4].map((i) => `${ns}/web-${i}`));
    const evictedPods = evictions().map((r) => r.target.split('/').slice(-1)[0]);
    expect(evictedPods.sort()).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    expect(new Set(evictions().map((r) => r.detail?.uid)).size).toBe(4);
    // Both workers did part of it.
    expect(atKill).toBeGreaterThanOrEqual(1);
    expect(evictions().length - atKill).toBeGreaterThanOrEqual(1);
    expect((await kube.podsOn(draining)).length).toBe(0);
    // The drain's deadline is generous: the takeover waits out the dead worker's heartbeat timeout
    // (30 s) and a second worker's start, which on a loaded CI host took > 60 s; exactly-once is the point.
  }, 300_000);
});
