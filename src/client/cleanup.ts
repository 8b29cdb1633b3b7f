import type { Client } from '@temporalio/client';
import type { ResourceCleanupInput, ResourceCleanupResult } from '../../workflows/cleanup/cleanup';

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Runs `resourceCleanup` (a plan when `dryRun`) and waits for its result. */
export async function runCleanup(
  s: { client: Client; taskQueue: string },
  input: ResourceCleanupInput,
  workflowId = `cleanup/${input.dryRun ? 'plan' : 'manual'}/${stamp()}`,
): Promise<ResourceCleanupResult> {
  const h = await s.client.workflow.start('resourceCleanup', { taskQueue: s.taskQueue, workflowId, args: [input] });
  return h.result() as Promise<ResourceCleanupResult>;
}
