import type { FastifyInstance } from 'fastify';
import { buildIngressServer } from '../../src/ingress/server';
import { main as cli } from '../../src/cli/main';
import { spotInterruptionWorkflowId } from '../../src/domain/interruption/types';
import { connectDevServer, uniqueName } from '../support/stack';

/** `eksflow events spot-warning` posts an EventBridge-shaped event that the real ingress accepts. */
describe('eksflow events (CLI) → ingress → Temporal', () => {
  const token = 'events-cli-test-token-0123456789';
  const taskQueue = uniqueName('events-cli');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let app: FastifyInstance;
  let url: string;
  const saved = process.env.EKSFLOW_INGRESS_TOKEN;

  beforeAll(async () => {
    stack = await connectDevServer();
    app = buildIngressServer({ client: stack.client, taskQueue, token });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    process.env.EKSFLOW_INGRESS_TOKEN = token;
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env.EKSFLOW_INGRESS_TOKEN;
    else process.env.EKSFLOW_INGRESS_TOKEN = saved;
    await app?.close();
    await stack?.close();
  });

  it('starts spot-interruption/<instance-id> for a spot warning', async () => {
    const instanceId = `i-0${Date.now().toString(16).padStart(16, '0')}`.slice(0, 19);
    const code = await cli([
      'events',
      'spot-warning',
      '--instance',
      instanceId,
      '--region',
      'us-east-1',
      '--account',
      '123456789012',
      '--url',
      url,
    ]);
    expect(code).toBe(0);
    const handle = stack.client.workflow.getHandle(spotInterruptionWorkflowId(instanceId));
    const description = await handle.describe();
    expect(description.type).toBe('spotInterruption');
    expect(description.taskQueue).toBe(taskQueue);
    await handle.terminate('test done');
  });

  it('rejects a malformed instance id with exit code 2 and sends nothing', async () => {
    const before = (await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { events: Record<string, number> };
    const code = await cli([
      'events',
      'spot-warning',
      '--instance',
      'not-an-instance',
      '--region',
      'us-east-1',
      '--account',
      '123456789012',
      '--url',
      url,
    ]);
    expect(code).toBe(2);
    const after = (await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      events: Record<string, number>;
    };
    expect(after.events).toEqual(before.events);
  });
});
