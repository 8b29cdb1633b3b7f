import { ApplicationFailure } from '@temporalio/common';
import { AccessDeniedError, EksflowError, NotFoundError, ValidationError } from '../errors';

const NOT_FOUND = /NotFound|NoSuch|ResourceNotFoundException|InvalidInstanceID\.NotFound|\.NotFound$/;
const ACCESS_DENIED = /AccessDenied|UnauthorizedOperation|AuthFailure|UnrecognizedClient|InvalidClientTokenId/;
const VALIDATION = /Validation|InvalidParameter|InvalidRequest|InvalidParameterValue|InvalidParameterException|MissingParameter/;

/**
 * Classifies an error once, at the activity boundary. Throttling, 5xx and network errors are
 * returned unchanged (retryable, with the preset's backoff); validation, not-found and
 * access-denied become non-retryable ApplicationFailures with a message a human can act on.
 */
export function classifyAwsError(err: unknown, context: string): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof EksflowError) {
    const retryable = !(err instanceof ValidationError || err instanceof NotFoundError || err instanceof AccessDeniedError);
    return ApplicationFailure.create({ message: `${context}: ${err.message}`, type: err.name, nonRetryable: !retryable, cause: err });
  }
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const message = `${context}: ${name}: ${e?.message ?? String(err)}`;
  const status = e?.$metadata?.httpStatusCode;
  const nonRetryable = (type: string) => ApplicationFailure.create({ message, type, nonRetryable: true });
  if (NOT_FOUND.test(name)) return nonRetryable('NotFoundError');
  if (ACCESS_DENIED.test(name) || status === 403) return nonRetryable('AccessDeniedError');
  if (VALIDATION.test(name) || (status === 400 && !/Throttl|TooManyRequests|RequestLimitExceeded/.test(name))) {
    return nonRetryable('ValidationError');
  }
  return err instanceof Error ? err : new Error(message);
}

/** Runs an AWS call and classifies its failure with a context such as "UpdateNodegroupConfig prod/ng-1". */
export async function awsCall<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyAwsError(err, context);
  }
}
