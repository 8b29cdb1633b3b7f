import { ApplicationFailure } from '@temporalio/common';
import {
  AccessDeniedError,
  ConflictError,
  EksflowError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
  type FailureDetails,
} from '../errors';

/**
 * The one classifier of AWS (and network) errors. Every AWS call goes through a gateway that wraps
 * it in `awsCall`, and `activities/index.ts` applies `classifyError` to whatever leaves an
 * activity, so an AWS error becomes one of eksflow's failure types exactly once, with the call it
 * came from in the message and its AWS code, HTTP status and request id in the details — the
 * retryable ones (throttling, 5xx, busy resources) included.
 */
const THROTTLED =
  /^(Throttling|ThrottlingException|ThrottledException|RequestThrottled|RequestThrottledException|TooManyRequestsException|RequestLimitExceeded|SlowDown|EC2ThrottledException|BandwidthLimitExceeded|PriorRequestNotComplete|ProvisionedThroughputExceededException)$/;
const NOT_FOUND = /NotFound|NoSuch|ResourceNotFoundException/;
const ACCESS_DENIED =
  /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|AuthFailure|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|ExpiredTokenException|SignatureDoesNotMatch|OptInRequired)$/;
const CONFLICT =
  /^(ConflictException|IdempotentParameterMismatch|IdempotentParameterMismatchException|AlreadyExists|AlreadyExistsFault|ResourceAlreadyExistsException)$/;
/** The resource is busy with another change, or capacity is short for now: worth another attempt. */
const BUSY =
  /^(ResourceInUseException|ResourceInUse|ScalingActivityInProgress|ScalingActivityInProgressFault|ResourceContention|ResourceContentionFault|IncorrectState|IncorrectInstanceState|InsufficientInstanceCapacity|ServiceUnavailable|ServiceUnavailableException|ServerException|InternalError|InternalFailure|InternalServerError|RequestTimeout|RequestTimeoutException)$/;
const VALIDATION =
  /Validation|InvalidParameter|InvalidRequest|MissingParameter|MalformedQueryString|InvalidAction|^Invalid[A-Za-z]*(\.Malformed)?$/;
/** Node's socket errors and the SDK's own timeout: the service could not be reached. */
const NETWORK_CODES =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNABORTED)\b/;

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function networkCode(e: AwsLikeError): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  if (e.name === 'TimeoutError') return e.name;
  return (
    NETWORK_CODES.exec(e.code ?? '')?.[1] ??
    (e.$fault === undefined ? NETWORK_CODES.exec(e.message ?? '')?.[1] : undefined)
  );
}

function isAwsServiceError(e: AwsLikeError): boolean {
  return typeof e === 'object' && e !== null && (e.$fault !== undefined || e.$metadata?.httpStatusCode !== undefined);
}

/**
 * Classifies an error with a context such as "UpdateNodegroupConfig 123456789012/ap-south-1/prod/general".
 * eksflow's own errors and ApplicationFailures pass through; AWS errors become the matching
 * eksflow error (cause = the SDK error); network errors become UnavailableError; anything else
 * (a bug) is returned unchanged and stays retryable under the caller's preset.
 */
export function classifyError(err: unknown, context: string): unknown {
  if (err instanceof EksflowError || err instanceof ApplicationFailure) return err;
  const e = (err ?? {}) as AwsLikeError;
  // Checked first: the SDK's retry middleware adds $metadata to socket errors too (and may wrap one
  // whose only trace of the code is its message, "AWS SDK error wrapper for Error: connect ECONNREFUSED …").
  const network = networkCode(e);
  if (network)
    return new UnavailableError(`${context}: ${network}: ${e.message ?? ''}`, {
      cause: err,
      details: { awsCode: network },
    });
  if (isAwsServiceError(e)) {
    const code = e.name ?? 'UnknownError';
    const status = e.$metadata?.httpStatusCode;
    const details: FailureDetails = { awsCode: code, httpStatus: status, requestId: e.$metadata?.requestId };
    const message = `${context}: ${code}: ${e.message ?? ''}`.trim();
    const opts = { cause: err, details };
    if (THROTTLED.test(code) || e.$retryable?.throttling || status === 429) return new ThrottledError(message, opts);
    if (NOT_FOUND.test(code) || status === 404) return new NotFoundError(message, opts);
    if (ACCESS_DENIED.test(code) || status === 403 || status === 401) return new AccessDeniedError(message, opts);
    if (CONFLICT.test(code)) return new ConflictError(message, opts);
    if (BUSY.test(code) || e.$fault === 'server' || (status !== undefined && status >= 500))
      return new UnavailableError(message, opts);
    if (VALIDATION.test(code) || status === 400) return new ValidationError(message, opts);
    return new UnavailableError(message, opts);
  }
  return err;
}

/** Runs an AWS call and classifies its failure with the call and resource as context. */
export async function awsCall<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyError(err, context);
  }
}
