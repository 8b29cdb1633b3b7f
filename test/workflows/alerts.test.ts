import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { openOrMergeAlert, planFor } from '../../src/client/alerts';
import {
  ALERT_WORKFLOW_TYPE,
  acknowledgeSignal,
  alertRaisedSignal,
  alertStatusQuery,
  resolveSignal,
} from '../../workflows/alerts/messages';
import { istParts, nextBusinessStart } from '../../src/domain/alerts/business-hours';
import { resolveBusinessHours } from '../../src/domain/alerts/routing';
import type { AlertInput, AlertState } from '../../src/domain/alerts/types';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import type { alertDigest } from '../../workflows/alerts/digest';
import { eventually } from '../support/eventually';
import { createTimeSkippingEnv, startTestWorker, testAwsFactory, uniqueName, type TestWorker } from '../support/stack';
import { alertsTestConfig, alertsTestEnvNames, TEST_ROUTING_KEY } from '../unit/alerts/fixtures';

const MIN = 60_000;

/**
 * The escalation ladder and the digest on the time-skipping server: minutes and days of durable
 * timers pass in seconds. Channels are real: Slack and PagerDuty go to local receivers, SNS to moto.
 */
describe('alert escalation workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let receivers: Receivers;
  let worker: TestWorker;
  const taskQueue = uniqueName('alerts-ts');
  const names = alertsTestEnvNames('alerts_ts');
  let config: ReturnType<typeof alertsTestConfig>;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    receivers = await startReceivers();
    process.env[names.slackPrimary] = receivers.slackUrlFor('primary');
    process.env[names.slackSecondary] = receivers.slackUrlFor('secondary');
    process.env[names.slackManager] = receivers.slackUrlFor('manager');
    process.env[names.pagerdutyKey] = TEST_ROUTING_KEY;
    const aws = testAwsFactory();
    const topic = await aws
      .sns({ accountId: '123456789012', region: 'ap-south-1' })
      .send(new CreateTopicCommand({ Name: uniqueName('alerts-email') }));
    config = alertsTestConfig({
      prefix: 'alerts_ts',
      pagerdutyUrl: receivers.pagerdutyUrl,
      emailTopicArn: topic.TopicArn,
    });
    worker = await startTestWorker({ connection: env.nativeConnection, client: env.client, taskQueue, config, aws });
  });

  afterAll(async () => {
    await worker?.stop();
    await receivers?.close();
    await env?.teardown();
  });

  const raise = (alert: AlertInput) =>
    openOrMergeAlert(env.client, { taskQueue, config, uiBaseUrl: 'http://localhost:8233' }, alert);
  const handleOf = (workflowId: string) => env.client.workflow.getHandle(workflowId);
  const status = (h: WorkflowHandle) => h.query(alertStatusQuery);

  /** Queries until the predicate holds: after a time skip, the fired timer's activities may still run. */
  const until = (h: WorkflowHandle, pred: (s: AlertState) => boolean): Promise<AlertState> =>
    eventually(() => status(h), pred, `the state of ${h.workflowId}`, { timeoutMs: 15_000, intervalMs: 50 });

  /** Moves the test server's clock to the next IST time `hh:mm` on a day with business hours. */
  async function advanceToIst(hh: number, mm: number, businessDay: boolean) {
    const bh = resolveBusinessHours(config.notifications, config.timetable.holidays);
    let t = await env.currentTimeMs();
    const start = t;
    for (;;) {
      t += MIN;
      const p = istParts(t);
      const isBiz = bh.days.includes(p.weekday) && !bh.holidays.includes(p.date);
      if (p.minuteOfDay === hh * 60 + mm && isBiz === businessDay) break;
    }
    await env.sleep(t - start);
  }

  const critical = (key: string): AlertInput => ({
    severity: 'critical',
    type: 'scale_up_timeout',
    dedupKey: key,
    summary: `node group did not scale (${key})`,
    cluster: 'alerts-test',
  });

  it('escalates an unacknowledged critical alert at 5, 10 and 15 minutes, one level higher each time', async () => {
    const key = uniqueName('ladder');
    const { workflowId } = await raise(critical(key));
    const h = handleOf(workflowId);
    await until(h, (s) => s.rounds === 1 && s.notifications.length === 1);
    await env.sleep(16 * MIN);
    const s = await until(h, (st) => st.notifications.length === 4);
    const offsetsMin = s.notifications.map((n) => Math.round((n.atMs - s.firstSeenMs) / MIN));
    expect(offsetsMin).toEqual([0, 5, 10, 15]);
    expect(s.notifications.map((n) => n.level)).toEqual(['primary', 'secondary', 'manager', 'manager']);
    expect(s.notifications.map((n) => n.action)).toEqual(['trigger', 'escalate', 'escalate', 'escalate']);
    for (const n of s.notifications) {
      expect(n.results.map((r) => [r.channel, r.status])).toEqual([
        ['pagerduty', 'delivered'],
        ['slack', 'delivered'],
        ['sms', 'delivered'],
      ]);
    }
    // Three rounds used up: no fifth page, however long nobody answers.
    await env.sleep(30 * MIN);
    expect((await status(h)).notifications).toHaveLength(4);
    const slackPaths = receivers
      .received('slack')
      .filter((r) => JSON.stringify(r.body).includes(key))
      .map((r) => r.path.split('/').pop());
    expect(slackPaths).toEqual(['primary', 'secondary', 'manager', 'manager']);
    expect(
      receivers
        .received()
        .filter((r) => JSON.stringify(r.body).includes(key))
        .every((r) => r.valid),
    ).toBe(true);
    await h.signal(resolveSignal, { by: 'test', via: 'cli' });
    await h.result();
  });

  it('stops the ladder when acknowledged at 7 minutes, and resolve closes it in PagerDuty and Slack', async () => {
    const key = uniqueName('ack');
    const { workflowId } = await raise(critical(key));
    const h = handleOf(workflowId);
    await until(h, (s) => s.rounds === 1);
    await env.sleep(7 * MIN);
    await until(h, (s) => s.rounds === 2);
    await h.signal(acknowledgeSignal, { by: 'asha', via: 'cli' });
    const acked = await until(h, (s) => s.notifications.some((n) => n.action === 'acknowledge'));
    expect(acked.status).toBe('acknowledged');
    expect(acked.acknowledged?.by).toBe('asha');
    expect(Math.round((acked.acknowledged!.atMs - acked.firstSeenMs) / MIN)).toBe(7);
    await env.sleep(30 * MIN);
    const later = await status(h);
    expect(later.notifications.filter((n) => n.action === 'trigger' || n.action === 'escalate')).toHaveLength(2);

    await h.signal(resolveSignal, { by: 'asha', via: 'cli', note: 'capacity restored' });
    const final = (await h.result()) as AlertState;
    expect(final.status).toBe('resolved');
    const pd = receivers.received('pagerduty').filter((r) => (r.body as { dedup_key?: string }).dedup_key === key);
    expect(pd.map((r) => (r.body as { event_action: string }).event_action)).toEqual([
      'trigger',
      'trigger',
      'acknowledge',
      'acknowledge',
      'resolve',
      'resolve',
    ]);
    const slackTexts = receivers
      .received('slack')
      .filter((r) => JSON.stringify(r.body).includes(key))
      .map((r) => (r.body as { text: string }).text);
    expect(slackTexts.some((t) => t.startsWith('[ACKNOWLEDGED]'))).toBe(true);
    expect(slackTexts.some((t) => t.startsWith('[RESOLVED]'))).toBe(true);
  });

  it('merges duplicates of an open alert (count, last seen) without paging again', async () => {
    const key = uniqueName('dup');
    const { workflowId } = await raise(critical(key));
    const h = handleOf(workflowId);
    await until(h, (s) => s.rounds === 1);
    await env.sleep(MIN);
    await raise(critical(key));
    await raise({ ...critical(key), summary: 'again' });
    const s = await until(h, (st) => st.count === 3);
    expect(s.lastSeenMs - s.firstSeenMs).toBeGreaterThanOrEqual(MIN);
    expect(s.notifications).toHaveLength(1);
    const triggers = receivers
      .received('pagerduty')
      .filter((r) => (r.body as { dedup_key?: string }).dedup_key === key);
    expect(triggers).toHaveLength(1);
    await h.signal(resolveSignal, { by: 'test', via: 'cli' });
    await h.result();
  });

  it('climbs the ladder in the run that continued as new: the escalation 5 minutes after the first page still fires', async () => {
    // No duplicates here: the time-skipping server's continue-as-new is not atomic (sdk-java#1538),
    // so signals racing the hand-over are tested on the dev server (test/integration/alerts.test.ts).
    const key = uniqueName('can-ladder');
    const alert = critical(key);
    const workflowId = `alert/${key}`;
    // A history limit below the first round's events: the run continues as new right after it.
    const plan = planFor(config, alert, { baseUrl: 'http://localhost:8233', namespace: 'default' });
    await env.client.workflow.signalWithStart(ALERT_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [{ alert, plan, historyLimit: 10 }],
      signal: alertRaisedSignal,
      signalArgs: [alert],
    });
    const h = handleOf(workflowId);
    const first = await until(h, (s) => s.notifications.length === 1);
    await eventually(
      async () => (await h.describe()).runId,
      (runId) => runId !== first.openedRunId,
      'the continued run',
    );
    await env.sleep(6 * MIN);
    const escalated = await until(h, (s) => s.notifications.length === 2);
    expect(escalated.openedRunId).toBe(first.openedRunId);
    expect(Math.round((escalated.notifications[1].atMs - escalated.firstSeenMs) / MIN)).toBe(5);
    await h.signal(resolveSignal, { by: 'test', via: 'cli' });
    expect(((await h.result()) as AlertState).count).toBe(1);
  });

  it('sends off-hours warning/info alerts in one digest at the next 09:00 IST; critical goes out at once', async () => {
    await advanceToIst(20, 0, true);
    const raisedAt = await env.currentTimeMs();
    const warnKey = uniqueName('digest-warn');
    const infoKey = uniqueName('digest-info');
    const critKey = uniqueName('digest-crit');
    const w = await raise({
      severity: 'warning',
      type: 'scale_down_blocked',
      dedupKey: warnKey,
      summary: `warning ${warnKey}`,
      cluster: 'alerts-test',
    });
    const i = await raise({ severity: 'info', type: 'cost_report', dedupKey: infoKey, summary: `info ${infoKey}` });
    const c = await raise(critical(critKey));
    const ws = await until(handleOf(w.workflowId), (s) => s.status === 'deferred');
    await until(handleOf(i.workflowId), (s) => s.status === 'deferred');
    const cs = await until(handleOf(c.workflowId), (s) => s.rounds === 1);
    expect(cs.notifications[0].atMs - raisedAt).toBeLessThan(MIN);

    const bh = resolveBusinessHours(config.notifications, config.timetable.holidays);
    const expectedAt = nextBusinessStart(raisedAt, bh);
    expect(ws.deferredUntilMs).toBe(expectedAt);
    expect(istParts(expectedAt).minuteOfDay).toBe(9 * 60);
    expect(receivers.received('slack').some((r) => JSON.stringify(r.body).includes(warnKey))).toBe(false);

    await env.sleep(expectedAt - (await env.currentTimeMs()) + MIN);
    const digestHandle = env.client.workflow.getHandle<typeof alertDigest>(
      `alert-digest/${new Date(expectedAt + 5.5 * 3600_000).toISOString().slice(0, 16)}+05:30`,
    );
    const digest = await digestHandle.result();
    expect(digest.deliveredAtMs).toBeGreaterThanOrEqual(expectedAt);
    expect(digest.deliveredAtMs).toBeLessThan(expectedAt + MIN);
    expect(
      receivers
        .received('slack')
        .filter((r) => !r.valid)
        .map((r) => r.errors),
    ).toEqual([]);
    expect(digest.items).toBe(2);
    const slackDigest = receivers
      .received('slack')
      .find((r) => (r.body as { text: string }).text.startsWith('eksflow digest'));
    expect(JSON.stringify(slackDigest?.body)).toContain(warnKey);
    expect(JSON.stringify(slackDigest?.body)).not.toContain(infoKey); // info routes to email only
    expect(digest.results.map((r) => [r.channel, r.status]).sort()).toEqual([
      ['email', 'delivered'],
      ['slack', 'delivered'],
    ]);

    // After the digest, the warning's ladder runs from there: next escalation 900 s later.
    const after = await until(handleOf(w.workflowId), (s) => s.notifications.length >= 2);
    const [digested, escalated] = after.notifications;
    expect(digested.action).toBe('digest');
    expect(digested.atMs - expectedAt).toBeLessThan(MIN);
    expect(escalated.action).toBe('escalate');
    expect(Math.round((escalated.atMs - digested.atMs) / 1000)).toBe(900);
    for (const id of [w.workflowId, i.workflowId, c.workflowId])
      await handleOf(id).signal(resolveSignal, { by: 'test', via: 'cli' });
  });
});
