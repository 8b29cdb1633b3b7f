/**
 * eksflow's typed errors. Activities turn them into non-retryable ApplicationFailures whose
 * `type` is the class name, so workflows and operators see what went wrong without retries
 * hammering something that will never succeed.
 */
export class EksflowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request itself is wrong (bad size, unknown node group): retrying cannot help. */
export class ValidationError extends EksflowError {}
/** The thing asked for does not exist (cluster, node group, instance). */
export class NotFoundError extends EksflowError {}
/** Credentials or role lack the permission: a human must grant it. */
export class AccessDeniedError extends EksflowError {}
