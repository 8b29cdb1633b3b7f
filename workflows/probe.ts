import { sleep } from '@temporalio/workflow';

/**
 * A durable timer and nothing else: proves that the server's clock (and time skipping in
 * tests) drives eksflow's waits. Returns the workflow clock before and after the sleep.
 */
export async function timerProbe(durationMs: number): Promise<{ startedAtMs: number; endedAtMs: number }> {
  const startedAtMs = Date.now(); // workflow Date.now() is the deterministic workflow clock
  await sleep(durationMs);
  return { startedAtMs, endedAtMs: Date.now() };
}
