import { classifyError } from '../src/aws/errors';
import { EksflowError, toApplicationFailure } from '../src/errors';

type AnyFn = (...args: never[]) => Promise<unknown>;

/**
 * Wraps every activity so that errors are classified once, at the boundary: eksflow's typed errors
 * and AWS's equivalents (through the classifier) become ApplicationFailures whose type is one of
 * `ErrorType`, prefixed with the activity's name; anything else stays retryable under the preset.
 */
export function withErrorClassification<T extends Record<string, AnyFn>>(activities: T): T {
  const wrapped: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = (async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const classified = classifyError(err, name);
        throw classified instanceof EksflowError ? toApplicationFailure(classified, name) : classified;
      }
    }) as AnyFn;
  }
  return wrapped as T;
}
