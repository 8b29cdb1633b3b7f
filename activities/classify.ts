import { classifyAwsError } from '../src/aws/errors';

type AnyFn = (...args: never[]) => Promise<unknown>;

/**
 * Wraps every activity so that errors are classified once, at the boundary: eksflow's typed
 * validation/not-found/access-denied errors and AWS's equivalents become non-retryable
 * ApplicationFailures; everything else stays retryable under the caller's preset.
 */
export function withErrorClassification<T extends Record<string, AnyFn>>(activities: T): T {
  const wrapped: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = (async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw classifyAwsError(err, name);
      }
    }) as AnyFn;
  }
  return wrapped as T;
}
