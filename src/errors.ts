import { ApplicationFailure } from '@temporalio/common';

/**
 * eksflow's one set of failure types. Activities throw these classes (or let AWS errors reach the
 * classifier in src/aws/errors.ts, which turns them into these); `activities/index.ts` converts
 * them once into ApplicationFailures whose `type` is the class name, so a workflow compares
 * `failureType(err)` against `ErrorType.*` and an operator reads the same name in the UI
 * (the message of a failure, for notes and alerts: `failureMessage` in workflows/lib/failures.ts).
 *
 * Safe to import from workflows: no I/O, only @temporalio/common.
 */
export const ErrorType = {
  /** The request itself is wrong (bad size, invalid parameter): retrying cannot help. */
  Validation: 'ValidationError',
  /** The thing asked for does not exist (cluster, node group, instance, metric data). */
  NotFound: 'NotFoundError',
  /** Credentials or role lack the permission: a human must grant it. */
  AccessDenied: 'AccessDeniedError',
  /** State changed under us (e.g. a client token reused with other parameters): re-plan, do not retry. */
  Conflict: 'ConflictError',
  /** The API rate-limited us: retry with backoff; the service's error code is kept. */
  Throttled: 'ThrottledError',
  /** The service (or the resource) is unavailable or busy for now: retry; the error code is kept. */
  Unavailable: 'UnavailableError',
} as const;
export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** What a failure carries besides its message; travels as the ApplicationFailure's first detail. */
export interface FailureDetails {
  /** The AWS (or other API's) error code, e.g. `ThrottlingException`, `InvalidParameterValue`. */
  awsCode?: string;
  httpStatus?: number;
  requestId?: string;
  [key: string]: unknown;
}

export interface EksflowErrorOptions {
  cause?: unknown;
  details?: FailureDetails;
  /** For throttling: when to try again (becomes the ApplicationFailure's nextRetryDelay). */
  retryAfterMs?: number;
}

export abstract class EksflowError extends Error {
  abstract readonly type: ErrorTypeName;
  abstract readonly retryable: boolean;
  readonly details: FailureDetails;
  readonly retryAfterMs?: number;

  constructor(message: string, options: EksflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** One class per failure type: its name is the type, its retryability fixed by the type. */
function failureClass<T extends ErrorTypeName>(type: T, retryable: boolean) {
  return class extends EksflowError {
    readonly type = type;
    readonly retryable = retryable;
  };
}

export class ValidationError extends failureClass(ErrorType.Validation, false) {}
export class NotFoundError extends failureClass(ErrorType.NotFound, false) {}
export class AccessDeniedError extends failureClass(ErrorType.AccessDenied, false) {}
export class ConflictError extends failureClass(ErrorType.Conflict, false) {}
export class ThrottledError extends failureClass(ErrorType.Throttled, true) {}
export class UnavailableError extends failureClass(ErrorType.Unavailable, true) {}

/** The types no retry can fix; presets need not list them (the failures say nonRetryable themselves). */
export const NON_RETRYABLE_TYPES: readonly ErrorTypeName[] = [
  ErrorType.Validation,
  ErrorType.NotFound,
  ErrorType.AccessDenied,
  ErrorType.Conflict,
];

/**
 * The one place an eksflow error becomes what Temporal records: type = class name, retryability
 * from the class, the details (AWS code, HTTP status, request id) kept, the original (e.g. the AWS
 * SDK error) as the cause, and the throwing site's stack.
 */
export function toApplicationFailure(err: EksflowError, context?: string): ApplicationFailure {
  const failure = ApplicationFailure.create({
    type: err.type,
    message: context ? `${context}: ${err.message}` : err.message,
    nonRetryable: !err.retryable,
    details: [err.details],
    cause: err.cause instanceof Error ? err.cause : undefined,
    nextRetryDelay: err.retryAfterMs,
  });
  if (err.stack) failure.stack = err.stack;
  return failure;
}

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && out.length < 8; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

/** The eksflow failure type of an error as a workflow sees it (through Activity/ChildWorkflow failures). */
export function failureType(err: unknown): string | undefined {
  for (const e of chain(err)) {
    if (e instanceof ApplicationFailure) return e.type ?? undefined;
    if (e instanceof EksflowError) return e.type;
  }
  return undefined;
}

/** The details an ApplicationFailure (or eksflow error) in the chain carries: the AWS code, HTTP status. */
export function failureDetails(err: unknown): FailureDetails {
  for (const e of chain(err)) {
    if (e instanceof ApplicationFailure) return (e.details?.[0] as FailureDetails | undefined) ?? {};
    if (e instanceof EksflowError) return e.details;
  }
  return {};
}

/**
 * `<code>: <message>` of an error for a report line: for a classified AWS error, the AWS error it
 * wraps (its code is the name an operator searches for).
 */
export function errorSummary(err: unknown): string {
  const e = (err instanceof EksflowError && err.cause instanceof Error ? err.cause : err) as
    { name?: string; message?: string } | undefined;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
