/**
 * `npm run bench:drain [nodes] [podsPerNode] [concurrency]`: how long eksflow's drain workflow takes per node against a
 * real kube-apiserver + etcd + kube-controller-manager (the test harness) on the Temporal dev
 * server: 50 nodes × 30 pods by default, all nodes drained at once (a burst, like a zone's
 * spot reclaim). Pods have terminationGracePeriodSeconds 0, so what is measured is eksflow's
 * cordon → list → evict → confirm loop, not a grace period. Prints one JSON line on stdout.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { createActivities } from '../activities';
import { kubeConfigFor } from '../activities/gateways/kubernetes';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { AuditLog } from '../src/audit';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { startTemporalDevServer } from '../src/sandbox/processes';
import { startKube } from '../test/support/kube';
import { drainNode } from '../workflows';

const NODES = Number(process.argv[2] ?? 50);
const PODS_PER_NODE = Number(process.argv[3] ?? 30);
const CONCURRENCY = Number(process.argv[4] ?? NODES);
const progress = (msg: string) => process.stderr.write(`[bench:drain] ${msg}\n`);
const quantile = (sorted: number[], q: number) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);

async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  // Core's "workflow task took > 5 s" warnings flood stderr when the machine is saturated; errors only.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-drain-'));
  const [temporal, kube] = await Promise.all([
    startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
    startKube({ logDir: join(dir, 'kube') }),
  ]);
  progress(`control plane up (${kube.url}); seeding ${NODES} nodes × ${PODS_PER_NODE} pods`);
  try {
    const admin = kubeConfigFor('bench', kube.url, kube.adminToken, { caFile: kube.caFile });
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    const strategic = { headers: { 'Content-Type': k8s.PatchUtils.PATCH_FORMAT_STRATEGIC_MERGE_PATCH } };
    const ns = 'bench';
    await core.createNamespace({ metadata: { name: ns } });
    const rs = (
      await apps.createNamespacedReplicaSet(ns, {
        metadata: { name: 'web' },
        spec: {
          replicas: NODES * PODS_PER_NODE,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
        },
      })
    ).body;
    const nodes = Array.from({ length: NODES }, (_, i) => `bench-node-${String(i).padStart(3, '0')}`);
    await pool(nodes, 8, async (name) => {
      await core.createNode({ metadata: { name } });
    });
    const pods = nodes.flatMap((node) =>
      Array.from({ length: PODS_PER_NODE }, (_, j) => ({ node, name: `${node}-pod-${j}` })),
    );
    let made = 0;
    await pool(pods, 16, async (p) => {
      await core.createNamespacedPod(ns, {
        metadata: {
          name: p.name,
          labels: { app: 'web' },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid!, controller: true },
          ],
        },
        spec: {
          nodeName: p.node,
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
          containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu: '10m' } } }],
        },
      });
      await core.patchNamespacedPodStatus(
        p.name,
        ns,
        { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        strategic,
      );
      if (++made % 300 === 0) progress(`${made} pods`);
    });

    const tokenEnv = 'EKSFLOW_BENCH_KUBE_TOKEN';
    process.env[tokenEnv] = kube.eksflowToken;
    const config = parseConfig(
      {
        clusters: [
          {
            name: 'bench',
            accountId: '999999999999',
            region: 'us-east-1',
            kubernetes: { apiServer: kube.url, tokenEnv, caFile: kube.caFile, drain: { timeoutSeconds: 600 } },
            nodegroups: [
              {
                name: 'ng',
                instanceTypes: ['m5.large'],
                businessHours: { min: 0, desired: 0, max: 1 },
                offHours: { min: 0, desired: 0, max: 1 },
              },
            ],
          },
        ],
      },
      'bench config',
    );
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    const native = await NativeConnection.connect({ address: temporal.address });
    const taskQueue = 'bench-drain';
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities({
        aws: new AwsClientFactory({ endpoint: 'http://127.0.0.1:9', credentials: SANDBOX_CREDENTIALS }),
        config,
        env: readEnv({}),
        now: () => new Date(),
        audit: new AuditLog(join(dir, 'audit.jsonl')),
        reportsDir: join(dir, 'reports'),
        temporal: { client, taskQueue },
      }),
      maxConcurrentActivityTaskExecutions: 100,
    });
    const running = worker.run();
    progress(`draining ${NODES} nodes (concurrency ${CONCURRENCY}) as eksflow's RBAC role`);
    const durations: number[] = [];
    const started = Date.now();
    await pool(nodes, CONCURRENCY, async (node) => {
      const t0 = Date.now();
      const r = await client.workflow.execute(drainNode, {
        taskQueue,
        workflowId: `bench-drain/${node}`,
        args: [{ clusterKey: '999999999999/us-east-1/bench', node, pollMs: 250 }],
      });
      if (r.status !== 'drained') throw new Error(`${node}: drain ${r.status} ${r.error ?? ''}`);
      durations.push(Date.now() - t0);
    });
    const wallMs = Date.now() - started;
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    // Each pod evicted exactly once (the audit log counts every accepted eviction request).
    const evictions = new AuditLog(join(dir, 'audit.jsonl')).read().filter((r) => r.action === 'k8s:EvictPod');
    const distinct = new Set(evictions.map((r) => r.detail?.uid)).size;
    if (evictions.length !== NODES * PODS_PER_NODE || distinct !== evictions.length) {
      throw new Error(
        `${evictions.length} eviction requests for ${distinct} pods, expected ${NODES * PODS_PER_NODE} once each`,
      );
    }
    durations.sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'drain',
        nodes: NODES,
        pods: NODES * PODS_PER_NODE,
        drain_p50_ms: quantile(durations, 0.5),
        drain_p99_ms: quantile(durations, 0.99),
        drain_max_ms: durations[durations.length - 1],
        wall_ms: wallMs,
        concurrency: CONCURRENCY,
      })}\n`,
    );
  } finally {
    await kube.stop();
    await temporal.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:drain failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
