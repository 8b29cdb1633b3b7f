import { ActivityFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/**
 * What went wrong, for notes, results and alerts: the failure's cause chain (up to four
 * messages), without the wrappers' own "Activity task failed" / "Child Workflow execution failed"
 * lines that say nothing about the cause.
 */
export function failureMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e && typeof e === 'object' && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    if ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) continue;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && message && !parts.includes(message)) parts.push(message);
  }
  return parts.length > 0 ? parts.join(': ') : String(err);
}
