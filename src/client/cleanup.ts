import type { Client } from '@temporalio/client';
import type { ResourceCleanupInput, ResourceCleanupResult } from '../../workflows/cleanup/cleanup';

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Runs `resourceCleanup` (a plan when `dryRun`) and waits for its result. */
export async function runCleanup(
  s: { client: Client; taskQueue: string },
  input: ResourceCleanupInput,
  workflowId = `cleanup/${input.dryRun ? 'plan' : 'manual'}/${stamp()}`,
): Promise<ResourceCleanupResult> {
  await startCleanup(s, input, workflowId);
  return s.client.workflow.getHandle(workflowId).result() as Promise<ResourceCleanupResult>;
}

/** Starts `resourceCleanup` (a plan when `dryRun`) and returns its workflow id without waiting. */
export async function startCleanup(
  s: { client: Client; taskQueue: string },
  input: ResourceCleanupInput,
  workflowId = `cleanup/${input.dryRun ? 'plan' : 'manual'}/${stamp()}`,
): Promise<string> {
  await s.client.workflow.start('resourceCleanup', { taskQueue: s.taskQueue, workflowId, args: [input] });
  return workflowId;
}
