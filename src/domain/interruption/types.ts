/** What starts a `spot-interruption/<instance-id>` workflow (plain JSON: it is workflow input). */
export interface InterruptionTrigger {
  kind: 'spot-interruption-warning' | 'rebalance-recommendation' | 'scheduled-change';
  eventId: string;
  instanceId: string;
  /** ISO 8601 event time; a warning's deadline is this + 120 s. */
  time: string;
  region: string;
  account: string;
  /** ISO 8601 receipt time at the ingress; the deadline never counts from later than this. */
  receivedAt?: string;
}

export const SPOT_WORKFLOW_PREFIX = 'spot-interruption/';

/** The business key that makes the same event (twice, or via HTTP and SQS) one workflow. */
export function spotInterruptionWorkflowId(instanceId: string): string {
  return `${SPOT_WORKFLOW_PREFIX}${instanceId}`;
}

// The workflow's signals and query are defined in workflows/interruption/messages.ts.
