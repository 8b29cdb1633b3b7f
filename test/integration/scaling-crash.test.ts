import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaleDownFleet, scaleUpFleet } from '../../workflows';
import { AuditLog } from '../../src/audit';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs, startReconcilerLoop } from '../../src/sandbox/nodegroup-asg-reconciler';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { eventually } from '../support/eventually';
import { connectDevServer, testAwsFactory, testConfig, uniqueName } from '../support/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';

/** Processes of a process group that are still running (zombies, which init may not reap in a container, excluded). */
function livingInGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid pgrp …" — comm may contain spaces, so split after ')'.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z' ? [Number(pid)] : [];
      } catch {
        return [];
      }
    });
}

/**
 * One cluster with one EKS managed group `general` (max 8, off-hours 1 of 1) seeded in moto with
 * its Auto Scaling group kept in step, a dev server, and the worker processes a test spawns with
 * one shared audit log; stopped, with the cluster's controller, after the suite.
 */
function crashStack(opts: {
  prefix: string;
  businessHours: { min: number; desired: number; max: number };
  /** The group's size before the test (default: as seeded, its off-hours 1 of 1). */
  start?: { min: number; desired: number; max: number };
  extra?: Record<string, unknown>;
}) {
  const { prefix, businessHours, start, extra } = opts;
  const aws = testAwsFactory();
  const raw = {
    clusters: [
      {
        name: uniqueName(`it-${prefix}`),
        accountId: '444444444444',
        region: 'ap-south-1',
        nodegroups: [
          {
            name: 'general',
            instanceTypes: ['m5.large'],
            businessHours,
            offHours: { min: 1, desired: 1, max: 8 },
          },
        ],
      },
    ],
    ...(extra ?? {}),
  };
  const cluster = testConfig(raw).clusters[0]!;
  const taskQueue = uniqueName(`it-${prefix}`);
  const auditLog = join(mkdtempSync(join(tmpdir(), `eksflow-${prefix}-`)), 'audit.jsonl');
  const workers: WorkerProcess[] = [];
  const ctx = {
    aws,
    cluster,
    taskQueue,
    auditLog,
    stack: undefined as unknown as Awaited<ReturnType<typeof connectDevServer>>,
    spawn: async () => {
      const w = await spawnWorkerProcess({ config: raw, taskQueue, auditLog });
      workers.push(w);
      return w;
    },
    /** SIGKILL, and wait until the whole worker (tsx and the node process running it) is gone. */
    kill: async (w: WorkerProcess) => {
      await w.kill();
      expect(w.child.signalCode).toBe('SIGKILL');
      await eventually(
        () => livingInGroup(w.child.pid!),
        (living) => living.length === 0,
        'every process of the killed worker to exit',
        { timeoutMs: 5_000 },
      );
    },
  };
  let reconciler: { stop(): void } | undefined;
  beforeAll(async () => {
    await seedCluster(aws, cluster);
    if (start)
      await aws.eks(cluster).send(
        new UpdateNodegroupConfigCommand({
          clusterName: cluster.name,
          nodegroupName: 'general',
          scalingConfig: { minSize: start.min, desiredSize: start.desired, maxSize: start.max },
        }),
      );
    await reconcileNodegroupAsgs(aws, [cluster]);
    reconciler = startReconcilerLoop(aws, [cluster], 200);
    ctx.stack = await connectDevServer();
  });
  afterAll(async () => {
    reconciler?.stop();
    for (const w of workers) await w.stop().catch(() => undefined);
    await ctx.stack?.client.workflow
      .getHandle(controllerWorkflowId(clusterKeyOf(cluster)))
      .terminate('test done')
      .catch(() => undefined);
    await ctx.stack?.close();
  });
  return ctx;
}

/**
 * A worker process is SIGKILLed in the middle of a gradual scale-down; another one takes over.
 * The workflow finishes, and every step's UpdateNodegroupConfig was applied exactly once
 * (counted in the audit log both worker processes append to).
 */
describe('gradual scale-down survives a worker crash', () => {
  const t = crashStack({
    prefix: 'crash',
    businessHours: { min: 2, desired: 7, max: 8 },
    start: { min: 2, desired: 7, max: 8 },
    extra: { timetable: { scaleDownSteps: 3, scaleDownWindowMinutes: 0 } },
  });

  it('finishes after the worker is killed between steps, each step applied exactly once', async () => {
    const first = await t.spawn();
    const fleetId = uniqueName('crash-down');
    const windowMs = 8_000;
    const handle = await t.stack.client.workflow.start(scaleDownFleet, {
      taskQueue: t.taskQueue,
      workflowId: fleetId,
      args: [
        { settings: { scaleDownSteps: 3, scaleDownWindowMs: windowMs, pollIntervalMs: 250, verifyTimeoutMs: 3_000 } },
      ],
    });
    // Kill once step 1 is complete: the cluster workflow is then sleeping towards step 2.
    const step1 = t.stack.client.workflow.getHandle(`${fleetId}/${clusterKeyOf(t.cluster)}/general/step-1`);
    await eventually(
      () =>
        step1.describe().then(
          (d) => d.status.name,
          () => 'NOT_STARTED',
        ),
      (status) => status === 'COMPLETED',
      'step 1 to complete',
    );
    const audit = new AuditLog(t.auditLog);
    const updates = () => audit.read().filter((r) => r.action === 'eks:UpdateNodegroupConfig');
    expect(updates()).toHaveLength(1);
    await t.kill(first);

    await t.spawn();
    const result = await handle.result();
    const c = result.clusters[0]!;
    expect(c.status).toBe('done');
    expect(c.steps!.map((s) => s.groups[0]!.after!.desired)).toEqual([5, 3, 1]);

    const applied = updates();
    expect(applied.map((r) => (r.detail as { after: { desired: number } }).after.desired)).toEqual([5, 3, 1]);
    expect(new Set(applied.map((r) => (r.detail as { requestToken: string }).requestToken)).size).toBe(3);
    const ng = await t.aws
      .eks(t.cluster)
      .send(new DescribeNodegroupCommand({ clusterName: t.cluster.name, nodegroupName: 'general' }));
    expect(ng.nodegroup!.scalingConfig).toMatchObject({ minSize: 1, desiredSize: 1, maxSize: 8 });
  });
});

/**
 * The scale-up's cluster run applies and verifies its group itself: a worker SIGKILLed while that
 * run waits between verifying reads is replaced; the run picks up from its history, the group is
 * verified, and its UpdateNodegroupConfig was applied once, with the run's client token.
 */
describe('scale-up survives a worker crash during verification', () => {
  const t = crashStack({ prefix: 'crash-up', businessHours: { min: 2, desired: 4, max: 8 } });

  it('finishes after the worker is killed between verifying reads, the update applied once', async () => {
    const first = await t.spawn();
    const fleetId = uniqueName('crash-up');
    const clusterId = `${fleetId}/${clusterKeyOf(t.cluster)}`;
    // A long poll interval: the kill lands while the run waits for its first verifying read.
    const handle = await t.stack.client.workflow.start(scaleUpFleet, {
      taskQueue: t.taskQueue,
      workflowId: fleetId,
      args: [{ settings: { pollIntervalMs: 4_000, verifyTimeoutMs: 60_000 } }],
    });
    const audit = new AuditLog(t.auditLog);
    const updates = () =>
      audit.read().filter((r) => r.action === 'eks:UpdateNodegroupConfig' && r.workflowId === clusterId);
    // Killed once the run has recorded the update's completion and started its poll timer.
    await eventually(
      async () =>
        (
          await t.stack.client.workflow
            .getHandle(clusterId)
            .fetchHistory()
            .catch(() => ({ events: [] }))
        ).events?.some((e) => e.timerStartedEventAttributes) ?? false,
      (waiting) => waiting,
      'the run waiting to verify',
    );
    expect(updates()).toHaveLength(1);
    await t.kill(first);

    await t.spawn();
    const result = await handle.result();
    expect(result.clusters[0]!.groups[0]).toMatchObject({
      status: 'scaled',
      before: { min: 1, desired: 1, max: 8 },
      after: { min: 2, desired: 4, max: 8 },
      inService: 4,
    });
    expect(updates()).toHaveLength(1);
    const ng = await t.aws
      .eks(t.cluster)
      .send(new DescribeNodegroupCommand({ clusterName: t.cluster.name, nodegroupName: 'general' }));
    expect(ng.nodegroup!.scalingConfig).toMatchObject({ minSize: 2, desiredSize: 4, maxSize: 8 });
  });
});
