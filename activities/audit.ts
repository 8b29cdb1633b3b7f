import { Context } from '@temporalio/activity';
import type { AuditLog } from '../src/audit';

/** Activity info when called inside an activity; undefined when a test calls the function directly. */
export function activityInfoOrUndefined() {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

/** Records one applied mutation with the workflow, activity and attempt that applied it. */
export function recordMutation(audit: AuditLog, action: string, target: string, detail: Record<string, unknown>): void {
  const info = activityInfoOrUndefined();
  audit.record({
    action,
    target,
    workflowId: info?.workflowExecution?.workflowId,
    activityId: info?.activityId,
    attempt: info?.attempt,
    detail,
  });
}

/** Heartbeats when running inside an activity (batches call it per item); a no-op when a test calls the function directly. */
export function heartbeatIfActivity(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not in an activity context
  }
}

/**
 * Runs `fn` heartbeating every few seconds while it runs: the heartbeat says "this worker is alive",
 * so a batch stuck behind a slow AWS call is not timed out, while a killed worker is noticed
 * within the preset's heartbeat timeout.
 */
export async function withLivenessHeartbeat<T>(fn: () => Promise<T>, everyMs = 3_000): Promise<T> {
  heartbeatIfActivity();
  const timer = setInterval(() => heartbeatIfActivity(), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
