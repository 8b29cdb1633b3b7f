import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import { failureDetails, failureType, type FailureDetails } from '../../src/errors';
import { awsFor } from '../../workflows/lib/targets';

/**
 * The workflows of test bundles: every production workflow plus the test-only ones below. The
 * production worker bundles workflows/index.ts, so these are never registered there.
 */
export * from '../../workflows';

/**
 * A durable timer and nothing else: proves that the server's clock (and time skipping in
 * tests) drives eksflow's waits. Returns the workflow clock before and after the sleep.
 */
export async function timerProbe(durationMs: number): Promise<{ startedAtMs: number; endedAtMs: number }> {
  const startedAtMs = Date.now(); // workflow Date.now() is the deterministic workflow clock
  await sleep(durationMs);
  return { startedAtMs, endedAtMs: Date.now() };
}

/**
 * Runs one activity once (no retries) and reports how its failure reached the workflow: the
 * ActivityFailure's cause type, retryability and details as the workflow sees them, and the same
 * through `failureType`/`failureDetails` of src/errors.ts (what production workflows use).
 */
export async function failureProbe(input: { activity: string; args: unknown[] }): Promise<FailureProbeResult> {
  const acts = proxyActivities<Record<string, (...args: unknown[]) => Promise<unknown>>>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
  });
  try {
    await acts[input.activity](...input.args);
    return { failed: false };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    return {
      failed: true,
      wrapper: err instanceof ActivityFailure ? 'ActivityFailure' : String((err as Error).name),
      causeType: cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined,
      nonRetryable: cause instanceof ApplicationFailure ? (cause.nonRetryable ?? undefined) : undefined,
      message: cause?.message,
      type: failureType(err),
      details: failureDetails(err),
    };
  }
}

export interface FailureProbeResult {
  failed: boolean;
  wrapper?: string;
  causeType?: string;
  nonRetryable?: boolean;
  message?: string;
  type?: string;
  details?: FailureDetails;
}

/**
 * Runs `calls` AWS mutations of one target at once through `awsFor(target).mutate` (the production
 * routing to per-service queues), so a test can watch at a real server how each queue dispatches.
 */
export async function awsMutationProbe(input: {
  target: { accountId: string; region: string };
  calls: { activity: string; input: unknown }[];
}): Promise<number> {
  const mutate = awsFor(input.target).mutate as unknown as Record<string, (arg: unknown) => Promise<unknown>>;
  await Promise.all(input.calls.map((c) => mutate[c.activity]!(c.input)));
  return input.calls.length;
}
