import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { NotFoundError } from '../errors';

/** The status of any eksflow workflow by id, with its result once completed (the API's long-operation poll). */
export interface WorkflowStatus {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string;
  closeTime?: string;
  requestedBy?: string;
  result?: unknown;
  failure?: string;
}

export function temporalUiLink(uiBaseUrl: string, namespace: string, workflowId: string): string {
  return `${uiBaseUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export async function workflowStatus(client: Client, workflowId: string): Promise<WorkflowStatus> {
  const handle = client.workflow.getHandle(workflowId);
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no workflow "${workflowId}"`);
    throw err;
  }
  const out: WorkflowStatus = {
    workflowId,
    runId: desc.runId,
    type: desc.type,
    status: desc.status.name,
    startTime: desc.startTime.toISOString(),
    ...(desc.closeTime ? { closeTime: desc.closeTime.toISOString() } : {}),
    ...(typeof desc.memo?.requestedBy === 'string' ? { requestedBy: desc.memo.requestedBy } : {}),
  };
  if (desc.status.name === 'COMPLETED') out.result = await handle.result();
  if (desc.status.name === 'FAILED') {
    out.failure = await handle.result().then(
      () => undefined,
      (err: unknown) => (err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err)),
    );
  }
  return out;
}
