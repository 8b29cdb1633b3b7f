import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import { alarmWorkflowId } from '../../src/domain/health/checks';
import { normalizeDedupKey } from '../../src/domain/alerts/dedup';
import type { AlertState } from '../../src/domain/alerts/types';
import { buildIngressServer } from '../../src/ingress/server';
import { startSqsPoller } from '../../src/ingress/sqs-poller';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import { waitUntil } from '../support/health-fixtures';
import {
  connectDevServer,
  createTestWorker,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';

const TOKEN = 'ingress-token-health-0123456789';
const sample = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'events', 'cloudwatch-alarm-state-change.json'), 'utf8'),
);

/** The sample with a unique alarm, as ALARM or as the OK that follows it. */
function alarmEvent(alarmName: string, state: 'ALARM' | 'OK', atIso: string) {
  const arn = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`;
  const stamp = atIso.replace('Z', '+0000');
  const e = structuredClone(sample);
  e.id = uniqueName('evt');
  e.resources = [arn];
  e.detail.alarmName = alarmName;
  e.time = atIso.replace(/\.\d+Z$/, 'Z');
  e.detail.previousState = { ...e.detail.state, value: state === 'ALARM' ? 'OK' : 'ALARM' };
  e.detail.state = {
    ...e.detail.state,
    value: state,
    timestamp: stamp,
    reason: state === 'ALARM' ? sample.detail.state.reason : sample.detail.previousState.reason,
  };
  return { event: e, arn };
}

/**
 * CloudWatch alarm state changes through the HTTP ingress and the SQS poller (moto): ALARM opens
 * an alert keyed by the alarm ARN (PagerDuty receiver), a repeated ALARM merges, OK resolves.
 */
describe('CloudWatch alarms as an event source', () => {
  const taskQueue = uniqueName('it-health-alarms');
  const pdEnv = 'IT_HEALTH_ALARMS_PD_KEY';
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let receivers: Receivers;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let baseUrl: string;

  const post = (body: unknown) =>
    fetch(`${baseUrl}/events/eventbridge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const pd = (dedupKey: string, action: string) =>
    receivers
      .received('pagerduty')
      .filter(
        (r) =>
          (r.body as { dedup_key?: string }).dedup_key === normalizeDedupKey(dedupKey) &&
          (r.body as { event_action?: string }).event_action === action,
      );
  const alert = (arn: string) =>
    stack.client.workflow.getHandle(`alert/${normalizeDedupKey(arn)}`).query<AlertState>('alertStatus');

  beforeAll(async () => {
    receivers = await startReceivers();
    process.env[pdEnv] = 'R0UTINGKEYR0UTINGKEYR0UTINGKEY01';
    const config = testConfig({
      clusters: [
        {
          name: 'alarms',
          accountId: '123456789012',
          region: 'us-east-1',
          nodegroups: [
            {
              name: 'ng',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 2 },
              offHours: { min: 1, desired: 1, max: 2 },
            },
          ],
        },
      ],
      notifications: {
        temporalUiUrl: 'http://localhost:8233',
        channels: { pagerduty: { routingKeyEnv: pdEnv, eventsUrl: receivers.pagerdutyUrl } },
        rules: [{ type: 'cloudwatch_alarm', channels: ['pagerduty'], offHours: 'immediate' }],
      },
    });
    stack = await connectDevServer();
    worker = await createTestWorker({
      connection: stack.nativeConnection,
      taskQueue,
      deps: testActivityDeps({ config, client: stack.client, taskQueue }),
    });
    running = worker.run();
    app = buildIngressServer({ client: stack.client, taskQueue, token: TOKEN, config });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await stack?.close();
    await receivers?.close();
  });

  test('HTTP: ALARM raises (dedup = alarm ARN), a second ALARM merges, OK resolves; the metric is in the alert', async () => {
    const name = uniqueName('CpuHigh');
    const t0 = Date.now();
    const a1 = alarmEvent(name, 'ALARM', new Date(t0).toISOString());
    const res = await post(a1.event);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      kind: 'cloudwatch-alarm',
      actions: [{ type: 'alarm-state', workflowId: alarmWorkflowId(a1.arn) }],
    });
    await receivers.waitFor(() => pd(a1.arn, 'trigger').length === 1, 30_000);
    const trigger = pd(a1.arn, 'trigger')[0].body as {
      payload: { summary: string; custom_details: Record<string, unknown> };
    };
    expect(trigger.payload.summary).toContain(`CloudWatch alarm ${name} is ALARM`);
    expect(trigger.payload.custom_details.metric).toBe('AWS/EC2/CPUUtilization InstanceId=i-12345678901234567');

    // The same ALARM delivered twice, and a new ALARM: merged into the open alert, no second page.
    expect((await post(a1.event)).status).toBe(202);
    expect((await post(alarmEvent(name, 'ALARM', new Date(t0 + 1000).toISOString()).event)).status).toBe(202);
    await waitUntil('merged', async () => ((await alert(a1.arn)).count >= 2 ? true : undefined));
    expect(pd(a1.arn, 'trigger')).toHaveLength(1);

    expect((await post(alarmEvent(name, 'OK', new Date(t0 + 2000).toISOString()).event)).status).toBe(202);
    await waitUntil('resolved', async () => ((await alert(a1.arn)).status === 'resolved' ? true : undefined));
    await receivers.waitFor(() => pd(a1.arn, 'resolve').length === 1, 30_000);
  });

  test('HTTP: an alarm event with a bad detail is 400 naming the field', async () => {
    const bad = alarmEvent(uniqueName('Bad'), 'ALARM', new Date().toISOString()).event;
    bad.detail.state.value = 'ON_FIRE';
    const res = await post(bad);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('state.value');
  });

  test('SQS (moto): ALARM then OK through the poller', async () => {
    const aws = testAwsFactory();
    const sqs = aws.sqs({ accountId: '123456789012', region: 'us-east-1' });
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('alarms') }))).QueueUrl!;
    const name = uniqueName('MemHigh');
    const t0 = Date.now();
    const a = alarmEvent(name, 'ALARM', new Date(t0).toISOString());
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(a.event) }));
    const poller = startSqsPoller({ sqs, queueUrl, client: stack.client, taskQueue, waitTimeSeconds: 1 });
    try {
      await receivers.waitFor(() => pd(a.arn, 'trigger').length === 1, 30_000);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(alarmEvent(name, 'OK', new Date(t0 + 1000).toISOString()).event),
        }),
      );
      await receivers.waitFor(() => pd(a.arn, 'resolve').length === 1, 30_000);
    } finally {
      await poller.stop();
    }
  });
});
