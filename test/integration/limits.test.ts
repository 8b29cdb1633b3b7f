import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit';
import { openOrMergeAlert } from '../../src/client/alerts';
import { parseConfig } from '../../src/config/load';
import { dispatchRateFor } from '../../src/domain/limits/queues';
import { startReceivers, type ReceivedRequest, type Receivers } from '../../src/sandbox/receivers';
import { alertStatusQuery } from '../../workflows/alerts/messages';
import { alertWorkflowId } from '../../src/domain/alerts/dedup';
import { eventually } from '../support/eventually';
import { connectDevServer, uniqueName } from '../support/stack';
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
});
