import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit';
import { openOrMergeAlert } from '../../src/client/alerts';
import { parseConfig } from '../../src/config/load';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { awsMutationQueue, awsServiceMutationQueue, dispatchRateFor } from '../../src/domain/limits/queues';
import { LimitedQueueWorkers } from '../../src/worker-queues';
import { startReceivers, type ReceivedRequest, type Receivers } from '../../src/sandbox/receivers';
import { alertStatusQuery } from '../../workflows/alerts/messages';
import { alertWorkflowId } from '../../src/domain/alerts/dedup';
import { eventually } from '../support/eventually';
import { connectDevServer, testConfig, uniqueName, workflowBundle } from '../support/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';

const ROUTING_KEY = 'R0UTINGKEYR0UTINGKEYR0UTINGKEY01';
const PD_KEY_ENV = 'IT_LIMITS_PD_KEY';

/**
 * Cluster-wide guarantees with real worker processes on the dev server, checked at a real HTTP
 * receiver: PagerDuty's rate limit holds for two workers together (the server's dispatch rate of
 * the routing key's queue), and a worker SIGKILLed between a page and the activity's completion
 * gives, after the retry on another worker, one page for the round (same dedup key and round).
 */
describe('limits and idempotency across worker processes', () => {
  // A small limit so the test is short: 10 events in any 5 s (PagerDuty's own is 120 per 60 s).
  const limit = { events: 10, windowSeconds: 5 };
  let receivers: Receivers;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  const workers: WorkerProcess[] = [];

  const rawConfig = (pagerdutyUrl: string) => ({
    clusters: [
      {
        name: 'limits-test',
        accountId: '123456789012',
        region: 'ap-south-1',
        nodegroups: [
          {
            name: 'ng',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 1, max: 2 },
            offHours: { min: 0, desired: 0, max: 2 },
          },
        ],
      },
    ],
    notifications: {
      channels: { pagerduty: { routingKeyEnv: PD_KEY_ENV, eventsUrl: pagerdutyUrl } },
      escalationLevels: [{ name: 'primary' }],
      rules: [{ type: 'it_limits_page', channels: ['pagerduty'], offHours: 'immediate', escalateAfterSeconds: 3600 }],
    },
    limits: { pagerduty: limit },
  });
  const spawn = (taskQueue: string, auditLog?: string) =>
    spawnWorkerProcess({
      config: rawConfig(receivers.pagerdutyUrl),
      taskQueue,
      ...(auditLog ? { auditLog } : {}),
      env: { [PD_KEY_ENV]: ROUTING_KEY },
    }).then((w) => {
      workers.push(w);
      return w;
    });
  const raise = (taskQueue: string, dedupKey: string) =>
    openOrMergeAlert(
      stack.client,
      { taskQueue, config: parseConfig(rawConfig(receivers.pagerdutyUrl), 'test'), uiBaseUrl: 'http://localhost:8233' },
      { severity: 'critical', type: 'it_limits_page', dedupKey, summary: `limits test ${dedupKey}` },
    );
  const triggersFor = (prefix: string) =>
    receivers
      .received('pagerduty')
      .filter(
        (r) =>
          (r.body as { event_action?: string }).event_action === 'trigger' &&
          ((r.body as { dedup_key?: string }).dedup_key ?? '').startsWith(prefix),
      );

  beforeAll(async () => {
    receivers = await startReceivers();
    stack = await connectDevServer();
  });

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await stack?.close();
    await receivers?.close();
  });

  it('two workers together stay within the routing key limit, counted at the receiver', async () => {
    const taskQueue = uniqueName('it-limits-rate');
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-limits-'));
    const audits = [join(dir, 'w1.jsonl'), join(dir, 'w2.jsonl')];
    await Promise.all(audits.map((a) => spawn(taskQueue, a)));
    const prefix = uniqueName('rate');
    const n = 24;
    await Promise.all(Array.from({ length: n }, (_, i) => raise(taskQueue, `${prefix}-${i}`)));
    await receivers.waitFor(() => triggersFor(prefix).length >= n, 120_000);

    const got = triggersFor(prefix);
    const times = got.map((r: ReceivedRequest) => r.atMs).sort((a, b) => a - b);
    const perSecond: Record<string, number> = {};
    for (const t of times)
      perSecond[Math.floor((t - times[0]!) / 1000)] = (perSecond[Math.floor((t - times[0]!) / 1000)] ?? 0) + 1;
    const windowMs = limit.windowSeconds * 1000;
    const busiestWindow = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));
    process.stdout.write(
      `${JSON.stringify({ test: 'pagerduty-limit', workers: 2, deliveries: got.length, limit, rate_per_s: dispatchRateFor(limit, 4), busiest_window: busiestWindow, per_second: perSecond })}\n`,
    );
    expect(new Set(got.map((r) => (r.body as { dedup_key: string }).dedup_key)).size).toBe(n);
    // Every window of 5 s holds at most 10, with both workers delivering (the limit is theirs together).
    expect(busiestWindow).toBeLessThanOrEqual(limit.events);
    // A worker appends its audit line after the receiver answered: wait for the last ones.
    const byWorkerNow = () =>
      audits.map(
        (a) => new AuditLog(a).read().filter((r) => String(r.detail?.dedupKey ?? '').startsWith(prefix)).length,
      );
    const byWorker = await eventually(
      byWorkerNow,
      (c) => c.reduce((x, y) => x + y, 0) >= n,
      'audit lines of every delivery',
    );
    expect(byWorker.every((c) => c > 0)).toBe(true);
    expect(byWorker[0]! + byWorker[1]!).toBeGreaterThanOrEqual(n);
    for (let i = 0; i < n; i++)
      await stack.client.workflow
        .getHandle(alertWorkflowId(`${prefix}-${i}`))
        .terminate('test done')
        .catch(() => undefined);
  });

  it('a worker killed between the page and the activity completion: the retry on another worker repeats the same page', async () => {
    const taskQueue = uniqueName('it-limits-crash');
    const first = await spawn(taskQueue);
    const dedupKey = uniqueName('crash');
    // The receiver records the page on arrival and holds its answer: the worker dies before it.
    receivers.delayNext('pagerduty', 30_000);
    const { workflowId } = await raise(taskQueue, dedupKey);
    await receivers.waitFor(() => triggersFor(dedupKey).length >= 1, 60_000);
    await first.kill();
    await spawn(taskQueue);
    // The retry (after the attempt's start-to-close timeout) goes out from the second worker.
    await receivers.waitFor(() => triggersFor(dedupKey).length >= 2, 90_000);
    const state = await eventually(
      () => stack.client.workflow.getHandle(workflowId).query(alertStatusQuery),
      (s) => s.notifications.length >= 1 && s.notifications[0]!.results.every((r) => r.status !== 'failed'),
      'the round recorded as delivered',
      { timeoutMs: 30_000 },
    );
    expect(workflowId).toBe(alertWorkflowId(dedupKey));
    expect(state.notifications.map((x) => [x.round, x.results.map((r) => [r.channel, r.status])])).toEqual([
      [1, [['pagerduty', 'delivered']]],
    ]);
    // Two requests, one page: the same event (dedup key, routing key, round), which PagerDuty merges.
    const pages = triggersFor(dedupKey).map((r) => {
      const b = r.body as { routing_key: string; dedup_key: string; payload: { custom_details: { round: number } } };
      return JSON.stringify([b.routing_key, b.dedup_key, b.payload.custom_details.round]);
    });
    expect(pages.length).toBe(2);
    expect(new Set(pages)).toEqual(new Set([JSON.stringify([ROUTING_KEY, dedupKey, 1])]));
    await stack.client.workflow.getHandle(workflowId).terminate('test done');
  });
  it('EKS and Auto Scaling mutations of one account/region run on their own queues, each within its own limit', async () => {
    // Small limits so the test is short: 10 in any 5 s for each service (1.2/s dispatched).
    const small = { events: 10, windowSeconds: 5 };
    const target = { accountId: '123456789012', region: 'ap-south-1' };
    const config = testConfig({
      clusters: [
        {
          name: 'limits-services',
          ...target,
          nodegroups: [
            {
              name: 'ng',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 2 },
              offHours: { min: 0, desired: 0, max: 2 },
            },
          ],
        },
      ],
      limits: { eksMutations: small, autoscalingMutations: small },
    });
    const taskQueue = uniqueName('it-limits-services');
    // The activities record where and when the server dispatched them (the limit is the server's).
    const started: { activity: string; queue: string; atMs: number }[] = [];
    const probe = (activity: string) => async () => {
      started.push({ activity, queue: Context.current().info.taskQueue, atMs: Date.now() });
      return { changed: true, before: { min: 0, desired: 0, max: 1 }, after: { min: 0, desired: 1, max: 1 } };
    };
    const activities = {
      applyNodegroupSize: probe('applyNodegroupSize'),
      terminateAsgInstance: probe('terminateAsgInstance'),
    };
    const worker = await Worker.create({
      connection: stack.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    const limited = new LimitedQueueWorkers({
      connection: stack.nativeConnection,
      namespace: 'default',
      baseQueue: taskQueue,
      activities,
    });
    const polled = await limited.sync(config);
    expect(polled.map((q) => q.taskQueue)).toEqual(
      expect.arrayContaining([
        awsMutationQueue(taskQueue, target),
        awsServiceMutationQueue(taskQueue, target, 'eks'),
        awsServiceMutationQueue(taskQueue, target, 'autoscaling'),
      ]),
    );
    const n = 12;
    const calls = [
      ...Array.from({ length: n }, (_, i) => ({
        activity: 'applyNodegroupSize',
        input: { ref: { kind: 'eks-managed', nodegroup: `ng-${i}` }, size: { desired: 1 }, requestToken: `eks-${i}` },
      })),
      ...Array.from({ length: n }, (_, i) => ({
        activity: 'terminateAsgInstance',
        input: {
          ref: { kind: 'self-managed', nodegroup: 'ng', asgName: 'asg' },
          instanceId: `i-${i}`,
          requestToken: `asg-${i}`,
        },
      })),
    ];
    const done = await worker.runUntil(
      stack.client.workflow.execute('awsMutationProbe', {
        taskQueue,
        workflowId: uniqueName('aws-mutation-probe'),
        args: [{ target, calls }],
      }),
    );
    await limited.shutdown();
    expect(done).toBe(2 * n);

    const windowMs = small.windowSeconds * 1000;
    const busiest = (times: number[]) =>
      Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));
    const eks = started.filter((s) => s.activity === 'applyNodegroupSize');
    const asg = started.filter((s) => s.activity === 'terminateAsgInstance');
    const result = {
      test: 'aws-service-limits',
      limit: small,
      rate_per_s: dispatchRateFor(small, 4),
      eks_busiest_window: busiest(eks.map((s) => s.atMs)),
      autoscaling_busiest_window: busiest(asg.map((s) => s.atMs)),
      both_busiest_window: busiest(started.map((s) => s.atMs)),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // Each activity ran on its service's queue, never on the other's or the legacy one.
    expect(new Set(eks.map((s) => s.queue))).toEqual(new Set([awsServiceMutationQueue(taskQueue, target, 'eks')]));
    expect(new Set(asg.map((s) => s.queue))).toEqual(
      new Set([awsServiceMutationQueue(taskQueue, target, 'autoscaling')]),
    );
    expect([eks.length, asg.length]).toEqual([n, n]);
    // Each service keeps its own limit…
    expect(result.eks_busiest_window).toBeLessThanOrEqual(small.events);
    expect(result.autoscaling_busiest_window).toBeLessThanOrEqual(small.events);
    // …and neither waits for the other: together they exceed one service's limit in some window,
    // which one shared queue at that rate could not.
    expect(result.both_busiest_window).toBeGreaterThan(small.events);
  });
});
