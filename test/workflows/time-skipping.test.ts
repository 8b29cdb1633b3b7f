import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv, workflowBundle } from '../support/stack';
import { timerProbe } from '../support/test-workflows';

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('completes a 2-hour durable timer in seconds of wall time, with the server clock advanced by >= 2 h', async () => {
    const taskQueue = 'time-skipping-probe';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    const twoHoursMs = 2 * 60 * 60 * 1000;
    const serverBefore = await env.currentTimeMs();
    const wallBefore = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(timerProbe, { args: [twoHoursMs], taskQueue, workflowId: 'timer-probe' }),
    );
    const wallMs = Date.now() - wallBefore;
    const serverAfter = await env.currentTimeMs();

    expect(serverAfter - serverBefore).toBeGreaterThanOrEqual(twoHoursMs);
    expect(result.endedAtMs - result.startedAtMs).toBeGreaterThanOrEqual(twoHoursMs);
    // Real time passed is a small fraction of the timer; the exact figure is machine-dependent.
    expect(wallMs).toBeLessThan(twoHoursMs / 60);
  });
});
