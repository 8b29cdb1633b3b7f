/**
 * `npm run bench:scaling`: the 08:00 scale-up across 50 clusters × 4 node groups in moto, on a
 * Temporal dev server, started the way production starts it — by triggering the `scale-up`
 * Temporal Schedule. Prints one JSON line: time from the trigger to the last
 * UpdateNodegroupConfig issued (from the audit log) and to every node group verified ACTIVE with
 * its instances InService (the workflow's end), updates issued, and errors.
 * In the sandbox, "InService" waits for the ASG reconciler that plays EKS for moto, so
 * ms_to_all_verified includes its lag.
 * Ceiling: the same DescribeNodegroup + UpdateNodegroupConfig per node group made directly with
 * the SDK, all node groups at once (as the workflows run them), no Temporal → `bare_ms` and
 * `ratio` = ms_to_last_update / bare_ms. AWS calls are the worker's (src/aws/call-counter.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { AuditLog } from '../src/audit';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { awsCallsSince, snapshotAwsCalls, totalAwsCalls } from '../src/aws/call-counter';
import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { connectClient } from '../src/client';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { seedCluster } from '../src/sandbox/seed';
import { reconcileNodegroupAsgs, startReconcilerLoop } from '../src/sandbox/nodegroup-asg-reconciler';
import { startMoto, startTemporalDevServer, type ManagedProcess } from '../src/sandbox/processes';
import { createWorker } from '../src/worker';
import type { FleetRunResult } from '../src/domain/scaling/results';
import { applySchedules, scheduleIdFor } from '../schedules/apply';
import type { EksflowConfig } from '../src/config/schema';
import { awsServiceMutationQueue } from '../src/domain/limits/queues';
import { LimitedQueueWorkers } from '../src/worker-queues';
import { applyOptionsFor, timetableFor } from '../schedules/from-config';
import { historyPhases } from './bench-support/history-phases';
import { createScaleUpCeilingActivities, type ceilingScaleUp } from './bench-support/noop-workflows';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 50);
const GROUPS = 4;
const progress = (msg: string) => process.stderr.write(`[bench:scaling] ${msg}\n`);

function benchConfig() {
  const targets = [
    { accountId: '111111111111', region: 'ap-south-1' },
    { accountId: '222222222222', region: 'us-east-1' },
  ];
  return parseConfig(
    {
      clusters: Array.from({ length: CLUSTERS }, (_, i) => ({
        name: `bench-${String(i).padStart(3, '0')}`,
        ...targets[i % targets.length],
        nodegroups: Array.from({ length: GROUPS }, (_, g) => ({
          name: `ng-${g}`,
          capacityType: g % 2 ? 'SPOT' : 'ON_DEMAND',
          instanceTypes: ['m5.large'],
          businessHours: { min: 1, desired: 2, max: 4 },
          offHours: { min: 0, desired: 1, max: 4 },
        })),
      })),
      timetable: { verifyPollSeconds: 1, verifyTimeoutMinutes: 5 },
    },
    'bench config',
  );
}

/**
 * The scale-up's workflow shape with empty logic (scripts/bench-support/noop-workflows.ts
 * `ceilingScaleUp`: a child per cluster with its reads, its groups' updates on rate-limited queues
 * of the real rate, one poll interval and one read of all its groups), started the same way on
 * the same dev server: ms from the start to the last group's "update".
 */
async function temporalCeiling(client: Client, address: string, config: EksflowConfig): Promise<number> {
  const applied: number[] = [];
  const base = 'bench-scaling-ceiling';
  const native = await NativeConnection.connect({ address });
  const activities = createScaleUpCeilingActivities(applied);
  const worker = await Worker.create({
    connection: native,
    taskQueue: base,
    workflowsPath: require.resolve('./bench-support/noop-workflows'),
    activities,
  });
  // The updates' queues: each account/region's EKS mutation queue at the rate the real one has,
  // served as a worker serves them (the other limited queues of the config stay idle here).
  const limited = new LimitedQueueWorkers({ connection: native, namespace: 'default', baseQueue: base, activities });
  await limited.sync(config);
  progress('Temporal ceiling: the same workflow shape with empty activities');
  try {
    return await worker.runUntil(async () => {
      const t0 = Date.now();
      await client.workflow.execute<typeof ceilingScaleUp>('ceilingScaleUp', {
        taskQueue: base,
        workflowId: `ceiling-scale-up-${t0}`,
        args: [
          {
            clusters: CLUSTERS,
            groups: GROUPS,
            pollMs: config.timetable.verifyPollSeconds * 1000,
            applyQueues: config.clusters.map((c) => awsServiceMutationQueue(base, c, 'eks')),
          },
        ],
      });
      if (applied.length !== CLUSTERS * GROUPS) throw new Error(`ceiling applied ${applied.length} groups`);
      return Math.max(...applied) - t0;
    });
  } finally {
    await limited.shutdown();
    await native.close();
  }
}

async function main(): Promise<void> {
  const started: ManagedProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-'));
  try {
    progress('starting moto and a Temporal dev server');
    const [moto, temporal] = await Promise.all([
      startMoto({ logFile: join(dir, 'moto.log') }),
      startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
    ]);
    started.push(moto, temporal);
    const config = benchConfig();
    // Seeding, the reconciler and the ceiling run are not the worker's calls: not counted.
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS, countCalls: false });
    progress(`seeding ${CLUSTERS} clusters × ${GROUPS} node groups`);
    // The first cluster of each account/region creates the shared sandbox network; the rest in parallel.
    for (const c of config.clusters.slice(0, 2)) await seedCluster(aws, c);
    for (let i = 2; i < config.clusters.length; i += 10)
      await Promise.all(config.clusters.slice(i, i + 10).map((c) => seedCluster(aws, c)));
    await reconcileNodegroupAsgs(aws, config.clusters);
    const reconciler = startReconcilerLoop(aws, config.clusters, 250);

    const env = readEnv({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench-scaling',
      EKSFLOW_AWS_ENDPOINT: moto.endpoint,
      EKSFLOW_AUDIT_LOG: join(dir, 'audit.jsonl'),
      EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
    });
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    progress('starting a worker (bundles the workflow code)');
    const worker = await createWorker(env, config);
    const running = worker.run();
    const client = await connectClient(env);
    const entries = timetableFor(config).filter((e) => e.id === 'scale-up');
    await applySchedules(client, entries, applyOptionsFor(config, env.TEMPORAL_TASK_QUEUE));
    const schedule = client.schedule.getHandle(scheduleIdFor('scale-up'));

    progress('triggering the scale-up schedule');
    const calls0 = snapshotAwsCalls();
    const t0 = Date.now();
    await schedule.trigger();
    let workflowId: string | undefined;
    while (!workflowId) {
      const action = (await schedule.describe()).info.recentActions[0] as unknown as
        { action?: { workflow?: { workflowId: string } } } | undefined;
      workflowId = action?.action?.workflow?.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 20));
    }
    const result = (await client.workflow.getHandle(workflowId).result()) as FleetRunResult;
    const tVerified = Date.now();
    const calls = awsCallsSince(calls0);
    progress(`AWS calls ${JSON.stringify(calls)}`);

    const updates = new AuditLog(env.EKSFLOW_AUDIT_LOG).read().filter((r) => r.action === 'eks:UpdateNodegroupConfig');
    const lastUpdate = Math.max(...updates.map((r) => Date.parse(r.at)));
    const firstUpdate = Math.min(...updates.map((r) => Date.parse(r.at)));
    // Where the time went: queue waits and run times per activity type, workflow task and child start.
    const runIds = result.clusters.map((c) => `${workflowId}/${c.clusterKey}`);
    const phases = await historyPhases(client, [workflowId, ...runIds]);
    for (const [k, v] of Object.entries(phases))
      progress(`phase ${k}: n ${v.n}, p50 ${v.p50_ms} ms, p95 ${v.p95_ms} ms`);
    const groups = result.clusters.flatMap((c) => c.groups);
    const errors =
      result.clusters.filter((c) => c.status === 'failed').length +
      groups.filter((g) => g.status !== 'scaled' && g.status !== 'no_change').length;
    // The ceiling: the same read + update per node group, straight to moto, all at once.
    const refs = config.clusters.flatMap((c) => c.nodegroups.map((n) => ({ c, n })));
    const b0 = Date.now();
    await Promise.all(
      refs.map(async ({ c, n }) => {
        const eks = aws.eks(c);
        await eks.send(new DescribeNodegroupCommand({ clusterName: c.name, nodegroupName: n.name }));
        await eks.send(
          new UpdateNodegroupConfigCommand({
            clusterName: c.name,
            nodegroupName: n.name,
            scalingConfig: { minSize: n.offHours.min, desiredSize: n.offHours.desired, maxSize: n.offHours.max },
          }),
        );
      }),
    );
    const bareMs = Date.now() - b0;
    const msToLastUpdate = updates.length ? lastUpdate - t0 : null;
    reconciler.stop();
    worker.shutdown();
    await running;
    // Temporal's own ceiling: the same workflow shape with empty activities, on the same server.
    const temporalMs = await temporalCeiling(client, temporal.address, config);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'scaling',
        clusters: result.clusters.length,
        nodegroups: groups.length,
        updates_issued: updates.length,
        ms_to_first_update: updates.length ? firstUpdate - t0 : null,
        ms_to_last_update: msToLastUpdate,
        ms_to_all_verified: tVerified - t0,
        errors,
        bare_ms: bareMs,
        ratio: msToLastUpdate === null ? null : Math.round((msToLastUpdate / bareMs) * 10) / 10,
        temporal_ms: temporalMs,
        temporal_ratio: msToLastUpdate === null ? null : Math.round((msToLastUpdate / temporalMs) * 100) / 100,
        aws_calls: totalAwsCalls(calls),
        aws_calls_per_unit: Math.round((totalAwsCalls(calls) / Math.max(1, groups.length)) * 10) / 10,
        aws_calls_per_nodegroup: Math.round((totalAwsCalls(calls) / Math.max(1, groups.length)) * 10) / 10,
        workflow_tasks_per_nodegroup:
          Math.round(((phases['workflow_task:run']?.n ?? 0) / Math.max(1, groups.length)) * 10) / 10,
      })}\n`,
    );

    await client.connection.close();
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:scaling failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
