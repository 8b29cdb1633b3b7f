import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import { IngressMetrics } from '../../src/ingress/dispatch';
import { buildIngressServer } from '../../src/ingress/server';
import { startSqsPoller } from '../../src/ingress/sqs-poller';
import { seedCluster } from '../../src/sandbox/seed';
import type { SpotInterruptionResult } from '../../workflows/interruption/messages';
import { eventFixture, sampleEventFor } from '../fixtures/events/make-event';
import { sandboxOf } from '../fixtures/interruption-sandbox';
import { eventually } from '../support/eventually';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

/**
 * The whole intake path on real components: EventBridge-shaped events over HTTP (Fastify) and
 * through an SQS queue in moto, workflows on the dev server, replacements launched in moto.
 */
describe('interruption ingress: HTTP and SQS → Temporal → moto', () => {
  const aws = testAwsFactory();
  const account = '555555555555';
  const region = 'us-east-1';
  const token = 'it-ingress-token-0123456789';
  const clusterName = uniqueName('it-spot');
  const fleetAsg = uniqueName('it-fleet');
  const raiseAsg = uniqueName('it-raise');
  const config = testConfig({
    clusters: [
      {
        name: clusterName,
        accountId: account,
        region,
        roleArn: `arn:aws:iam::${account}:role/eksflow-automation`,
        nodegroups: [
          {
            name: 'fleet',
            kind: 'self-managed',
            asgName: fleetAsg,
            capacityType: 'SPOT',
            instanceTypes: ['m5.large', 'm5a.large'],
            businessHours: { min: 1, desired: 3, max: 6 },
            offHours: { min: 1, desired: 3, max: 6 },
            interruption: { strategy: 'ec2-fleet', onRebalance: 'act' },
          },
          {
            name: 'raise',
            kind: 'self-managed',
            asgName: raiseAsg,
            capacityType: 'SPOT',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 2, max: 6 },
            offHours: { min: 1, desired: 2, max: 6 },
          },
        ],
      },
    ],
  });
  const cluster = config.clusters[0]!;
  const sandbox = sandboxOf(aws, cluster);
  const taskQueue = uniqueName('it-spot');
  const sqs = aws.sqs(cluster);
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let app: FastifyInstance;
  let baseUrl: string;
  let queueUrl: string;
  let dlqUrl: string;
  let poller: ReturnType<typeof startSqsPoller>;
  const metrics = new IngressMetrics();
  // Short waits so each workflow ends soon after its replacement runs.
  const workflowTiming = { pollIntervalMs: 500, terminationWaitMs: 1_000, terminationPollMs: 500 };

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
    });
    app = buildIngressServer({
      client: stack.client,
      taskQueue,
      token,
      config,
      bodyLimit: 16 * 1024,
      workflowTiming,
      metrics,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('it-spot-dlq') }));
    dlqUrl = dlq.QueueUrl!;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
    const q = await sqs.send(
      new CreateQueueCommand({
        QueueName: uniqueName('it-spot-events'),
        Attributes: {
          VisibilityTimeout: '1',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
      }),
    );
    queueUrl = q.QueueUrl!;
    poller = startSqsPoller({
      sqs,
      queueUrl,
      client: stack.client,
      taskQueue,
      waitTimeSeconds: 1,
      loops: 1,
      workflowTiming,
      metrics,
    });
  });
  afterAll(async () => {
    await poller?.stop();
    await app?.close();
    await worker?.stop();
    await stack?.close();
  });

  const post = (body: string | object, auth: string | null = `Bearer ${token}`) =>
    fetch(`${baseUrl}/events/eventbridge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const warningFor = (instanceId: string, id?: string) =>
    sampleEventFor('ec2-spot-instance-interruption-warning', { instanceId, time: Date.now(), region, account, id });
  const resultOf = (instanceId: string) =>
    stack.client.workflow.getHandle<() => Promise<SpotInterruptionResult>>(`spot-interruption/${instanceId}`).result();
  const workflowExists = (instanceId: string) =>
    stack.client.workflow
      .getHandle(`spot-interruption/${instanceId}`)
      .describe()
      .then(
        () => true,
        () => false,
      );
  const queueDepth = async (url: string) => {
    const a = (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      )
    ).Attributes!;
    return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
  };

  it('a warning POSTed over HTTP gets 202 after the start and a spot replacement launched by EC2 Fleet in moto', async () => {
    const interrupted = (await sandbox.asg(fleetAsg)).inService[0]!;
    const res = await post(warningFor(interrupted));
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      accepted: true,
      kind: 'spot-interruption-warning',
      actions: [{ type: 'start-interruption', workflowId: `spot-interruption/${interrupted}` }],
    });
    expect(await workflowExists(interrupted)).toBe(true); // accepted before the 202 went out
    const result = await resultOf(interrupted);
    expect(result).toMatchObject({ outcome: 'replaced', strategy: 'ec2-fleet', success: true, withinDeadline: true });
    const launched = await sandbox.launchedFor(interrupted, 'replacement');
    expect(launched).toEqual([
      expect.objectContaining({ id: result.newInstances[0], state: 'running', lifecycle: 'spot' }),
    ]);
    expect(['m5a.large', 'm5.large', 'm6i.large', 'm5n.large', 't3.large', 'r5.large', 'r5a.large']).toContain(
      launched[0]!.type,
    );
  });

  it('a warning stamped 2099 gets 202 with a deadline of receipt + 120 s, and the run works to it', async () => {
    // Not the first instance: the SQS test below interrupts that one.
    const interrupted = (await sandbox.asg(raiseAsg)).inService[1]!;
    const sentAt = Date.now();
    const res = await post(
      sampleEventFor('ec2-spot-instance-interruption-warning', {
        instanceId: interrupted,
        time: Date.parse('2099-01-01T00:00:00Z'),
        region,
        account,
      }),
    );
    const answeredAt = Date.now();
    expect(res.status).toBe(202);
    const body = (await res.json()) as { actions: { deadline?: string }[] };
    const deadline = Date.parse(body.actions[0]!.deadline!);
    expect(deadline).toBeGreaterThanOrEqual(sentAt + 120_000);
    expect(deadline).toBeLessThanOrEqual(answeredAt + 120_000);
    const result = await resultOf(interrupted);
    expect(result).toMatchObject({
      outcome: 'replaced',
      strategy: 'raise-capacity',
      deadline: body.actions[0]!.deadline,
    });
    expect(result.timeToRequestMs).toBeGreaterThanOrEqual(0);
    expect(result.timeToRequestMs).toBeLessThan(120_000);
  });

  it('a warning stamped years ago for an instance EC2 no longer knows is recorded and finished without a replacement', async () => {
    const gone = 'i-0feedface0badc0de';
    const res = await post(
      sampleEventFor('ec2-spot-instance-interruption-warning', {
        instanceId: gone,
        time: Date.parse('2019-06-01T00:00:00Z'),
        region,
        account,
      }),
    );
    expect(res.status).toBe(202);
    const result = await resultOf(gone);
    expect(result).toMatchObject({ outcome: 'already-gone', newInstances: [], fallbackInstances: [], alerts: [] });
    expect(result.notes.join(' ')).toMatch(/stale event/);
    expect(worker.deps.audit.read().filter((r) => JSON.stringify(r).includes(gone))).toEqual([]);
  });

  it('a warning through the SQS queue raises the ASG, the new instance comes up in moto, and the message is deleted', async () => {
    const before = await sandbox.asg(raiseAsg);
    const interrupted = before.inService[0]!;
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(warningFor(interrupted)) }),
    );
    await eventually(
      () => workflowExists(interrupted),
      (v) => v,
      'the SQS event to start a workflow',
    );
    const result = await resultOf(interrupted);
    expect(result).toMatchObject({ outcome: 'replaced', strategy: 'raise-capacity', success: true });
    // The replacement was InService in the ASG (that is what `replaced` means for raise-capacity) and is a new instance.
    expect(result.newInstances).toHaveLength(1);
    expect(before.inService).not.toContain(result.newInstances[0]);
    expect(await sandbox.state(result.newInstances[0]!)).toBe('running');
    // The short termination wait ended and the temporary raise was undone.
    const after = await sandbox.asg(raiseAsg);
    expect(after.desired).toBe(before.desired);
    expect(after.tags[`eksflow:raise:${interrupted}`]).toBeUndefined();
    await eventually(
      () => queueDepth(queueUrl),
      (n) => n === 0,
      'the message to be deleted',
    );
  });

  it('the same event via HTTP and via SQS is one workflow run', async () => {
    const candidates = (await sandbox.asg(fleetAsg)).inService;
    const fresh = candidates[candidates.length - 1]!;
    const event = warningFor(fresh, 'both-paths-event-1');
    expect((await post(event)).status).toBe(202);
    const runId = (await stack.client.workflow.getHandle(`spot-interruption/${fresh}`).describe()).runId;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
    await eventually(
      () => queueDepth(queueUrl),
      (n) => n === 0,
      'the duplicate to be acknowledged',
    );
    const result = await resultOf(fresh);
    expect((await stack.client.workflow.getHandle(`spot-interruption/${fresh}`).describe()).runId).toBe(runId);
    expect(result.newInstances).toHaveLength(1);
    expect(await sandbox.launchedFor(fresh, 'replacement')).toHaveLength(1);
  });

  it('SQS: an unknown kind is counted and deleted; an unparseable body is left for the dead-letter queue', async () => {
    const before = poller.stats();
    const unknown = {
      ...eventFixture('ec2-instance-rebalance-recommendation'),
      'detail-type': 'EC2 Fleet Instance Change',
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(unknown) }));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"detail-type": "EC2 Spot Instance Interruption Warning", "detail": ',
      }),
    );
    await eventually(
      async () => poller.stats(),
      (s) =>
        (s.unknownKinds['EC2 Fleet Instance Change'] ?? 0) > (before.unknownKinds['EC2 Fleet Instance Change'] ?? 0) &&
        s.unparseable > before.unparseable,
      'both messages to be handled',
    );
    // Received twice and never deleted, the bad message moves to the DLQ by the queue's redrive policy.
    const dead = await eventually(
      async () =>
        (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })))
          .Messages ?? [],
      (m) => m.length > 0,
      'the unparseable message in the DLQ',
      { timeoutMs: 30_000 },
    );
    expect(dead[0]!.Body).toContain('"detail": ');
    expect(poller.stats().startFailures).toBe(0);
  });

  describe('bad input over HTTP starts nothing', () => {
    const stranger = 'i-0fedcba9876543210';
    afterEach(async () => expect(await workflowExists(stranger)).toBe(false));

    it('401 without a token or with a wrong one', async () => {
      expect((await post(warningFor(stranger), null)).status).toBe(401);
      expect((await post(warningFor(stranger), `Bearer ${token.slice(0, -1)}x`)).status).toBe(401);
      expect((await post(warningFor(stranger), token)).status).toBe(401);
    });
    it('400 for malformed JSON', async () => {
      const res = await post('{"version": "0", ');
      expect(res.status).toBe(400);
    });
    it('400 naming the missing field', async () => {
      const { time: _t, ...noTime } = warningFor(stranger);
      const res = await post(noTime);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error).toMatch(/time/);
      const noInstance = warningFor(stranger);
      delete noInstance.detail['instance-id'];
      const res2 = await post(noInstance);
      expect(res2.status).toBe(400);
      expect(((await res2.json()) as any).error).toMatch(/instance-id/);
    });
    it('400 for a detail-type eksflow does not handle', async () => {
      const res = await post({ ...warningFor(stranger), 'detail-type': 'EC2 Spot Instance Request Fulfillment' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error).toMatch(/unsupported event/);
    });
    it('413 above the body limit', async () => {
      const res = await post({ ...warningFor(stranger), padding: 'x'.repeat(20 * 1024) });
      expect(res.status).toBe(413);
    });
  });

  it('reports counts per kind and rejection reason', async () => {
    const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const snap = (await res.json()) as any;
    expect(snap.events['spot-interruption-warning']).toBeGreaterThanOrEqual(3);
    expect(snap.rejected).toMatchObject({ unauthorized: 3, 'too-large': 1, 'unsupported-kind': 1 });
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
  });
});
