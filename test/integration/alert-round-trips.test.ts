import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';
import { acknowledgeAlert, openOrMergeAlert, resolveAlert } from '../../src/client/alerts';
import { alertStatusQuery } from '../../workflows/alerts/messages';
import type { AlertInput } from '../../src/domain/alerts/types';
import { readEnv } from '../../src/config/env';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import { eventually } from '../support/eventually';
import {
  connectDevServer,
  startTestWorker,
  temporalAddress,
  testAwsFactory,
  uniqueName,
  type TestWorker,
} from '../support/stack';
import { alertsTestConfig, alertsTestEnvNames, TEST_ROUTING_KEY } from '../unit/alerts/fixtures';

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * Round trips of one alert, counted (never timed): the gRPC calls a client makes per raise and
 * per acknowledgement (a counting interceptor on its own connection), and the events one alert's
 * history holds until it waits for its escalation. The counts are exact; README "Alerts: round
 * trips" lists them and what each change removed.
 */
describe('round trips per alert', () => {
  const taskQueue = uniqueName('it-alert-rt');
  const names = alertsTestEnvNames('it_alert_rt');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let receivers: Receivers;
  let worker: TestWorker;
  let config: ReturnType<typeof alertsTestConfig>;
  const calls: string[] = [];
  let counted: { client: Client; connection: Connection } | undefined;

  /** A client whose every gRPC call (not its retries) is recorded by method name. */
  async function countingClient(): Promise<{ client: Client; connection: Connection }> {
    const count: GrpcInterceptor = (options, next) => {
      calls.push(options.method_definition.path.split('/').pop()!);
      return next(options) as ReturnType<GrpcInterceptor>;
    };
    const connection = await Connection.connect({
      address: temporalAddress(),
      interceptors: [count, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
    });
    return { client: new Client({ connection }), connection };
  }
  const callsDuring = async <T>(f: () => Promise<T>): Promise<{ result: T; calls: string[] }> => {
    const before = calls.length;
    const result = await f();
    return { result, calls: calls.slice(before) };
  };

  beforeAll(async () => {
    receivers = await startReceivers();
    process.env[names.slackPrimary] = receivers.slackUrlFor('rt');
    process.env[names.pagerdutyKey] = TEST_ROUTING_KEY;
    config = alertsTestConfig({
      prefix: 'it_alert_rt',
      pagerdutyUrl: receivers.pagerdutyUrl,
      extra: { rules: [{ type: 'it_rt_page', channels: ['pagerduty', 'slack'], offHours: 'immediate' }] },
    });
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws: testAwsFactory(),
      deps: { env: readEnv({}) },
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await counted?.connection.close();
    await stack?.close();
    await receivers?.close();
  });

  const alert = (dedupKey: string): AlertInput => ({
    severity: 'critical',
    type: 'it_rt_page',
    dedupKey,
    summary: `round trips ${dedupKey}`,
  });

  it('a raise is one gRPC call (the search-attribute check is asked once per client); an ack one, a closed alert two', async () => {
    counted = await countingClient();
    const { client } = counted;
    const raise = (key: string) =>
      openOrMergeAlert(client, { taskQueue, config, uiBaseUrl: 'http://localhost:8233' }, alert(key));
    const first = uniqueName('rt-first');
    const second = uniqueName('rt-second');
    const r1 = await callsDuring(() => raise(first));
    const r2 = await callsDuring(() => raise(second));
    const merge = await callsDuring(() => raise(second));
    // Wait (on the uncounted client) until the alert is open and paged, then acknowledge it.
    await eventually(
      () => stack.client.workflow.getHandle(r2.result.workflowId).query(alertStatusQuery),
      (s) => s.notifications.length >= 1,
      'the first notification round',
    );
    const ack = await callsDuring(() =>
      acknowledgeAlert(client, r2.result.workflowId, { by: 'rt', via: 'cli' }, { checkOpen: true }),
    );
    await resolveAlert(stack.client, r1.result.workflowId, { by: 'rt', via: 'cli' });
    await eventually(
      () => stack.client.workflow.getHandle(r1.result.workflowId).describe(),
      (d) => d.status.name === 'COMPLETED',
      'the resolved alert to complete',
    );
    const closed = await callsDuring(() =>
      acknowledgeAlert(client, r1.result.workflowId, { by: 'rt', via: 'cli' }, { checkOpen: true }),
    );
    const missing = await callsDuring(() =>
      acknowledgeAlert(client, `alert/${uniqueName('never')}`, { by: 'rt', via: 'cli' }, { checkOpen: true }),
    );
    const counts = {
      first_raise: r1.calls,
      raise: r2.calls,
      merge: merge.calls,
      ack_open: ack.calls,
      ack_closed: closed.calls,
      ack_missing: missing.calls,
    };
    process.stdout.write(`${JSON.stringify({ test: 'alert-round-trips', grpc_calls: counts })}\n`);
    expect(counts.first_raise).toEqual(['ListSearchAttributes', 'SignalWithStartWorkflowExecution']);
    expect(counts.raise).toEqual(['SignalWithStartWorkflowExecution']);
    expect(counts.merge).toEqual(['SignalWithStartWorkflowExecution']);
    expect(ack.result).toEqual({ outcome: 'ok' });
    expect(counts.ack_open).toEqual(['SignalWorkflowExecution']);
    expect(closed.result).toEqual({ outcome: 'closed', status: 'completed' });
    expect(counts.ack_closed).toEqual(['SignalWorkflowExecution', 'DescribeWorkflowExecution']);
    expect(missing.result).toEqual({ outcome: 'not_found' });
    expect(counts.ack_missing).toEqual(['SignalWorkflowExecution', 'DescribeWorkflowExecution']);
  });

  it('one alert paging Slack and PagerDuty: its history until the escalation wait, by event type', async () => {
    const key = uniqueName('rt-history');
    const { workflowId } = await openOrMergeAlert(
      stack.client,
      { taskQueue, config, uiBaseUrl: 'http://localhost:8233' },
      alert(key),
    );
    const handle = stack.client.workflow.getHandle(workflowId);
    // The escalation timer is the last thing the first round does.
    const history = await eventually(
      () => handle.fetchHistory(),
      (h) => (h.events ?? []).some((e) => e.timerStartedEventAttributes),
      'the escalation timer',
      { intervalMs: 100 },
    );
    const byType: Record<string, number> = {};
    for (const e of history.events ?? []) {
      const type = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
      const name = (type ?? 'unknown').replace(/EventAttributes$/, '');
      byType[name] = (byType[name] ?? 0) + 1;
    }
    const workflowTasks = byType.workflowTaskCompleted ?? 0;
    process.stdout.write(
      `${JSON.stringify({ test: 'alert-history', events: history.events?.length, workflow_tasks: workflowTasks, by_type: byType })}\n`,
    );
    // Everything but workflow tasks is exact: start + raise signal, one activity per channel, one timer.
    const { workflowTaskScheduled, workflowTaskStarted, workflowTaskCompleted, ...rest } = byType;
    expect(rest).toEqual({
      workflowExecutionStarted: 1,
      workflowExecutionSignaled: 1,
      activityTaskScheduled: 2,
      activityTaskStarted: 2,
      activityTaskCompleted: 2,
      timerStarted: 1,
    });
    // One workflow task for start + signal, then one per activity completion (two when both
    // completions land in one task): never a task for a side trip.
    expect(workflowTaskCompleted).toBeGreaterThanOrEqual(2);
    expect(workflowTaskCompleted).toBeLessThanOrEqual(3);
    expect([workflowTaskScheduled, workflowTaskStarted]).toEqual([workflowTaskCompleted, workflowTaskCompleted]);
    await resolveAlert(stack.client, workflowId, { by: 'rt', via: 'cli' });
  });
});
