import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { LogArchivalInput, LogArchivalSummary } from '../../workflows/logs/messages';

export const LOG_ARCHIVAL_WORKFLOW = 'logArchival';

/**
 * Runs the log archival for a date. One workflow id per date: asking again while it runs attaches
 * to the running one; asking after it finished starts a run that finds the days already archived.
 */
export async function runLogArchival(
  client: Client,
  opts: { taskQueue: string; input: LogArchivalInput & { date: string }; wait?: boolean },
): Promise<{ workflowId: string; result?: LogArchivalSummary }> {
  const workflowId = `log-archival/${opts.input.date}${opts.input.dryRun ? '/dry-run' : ''}`;
  const handle = await client.workflow.start<(i: LogArchivalInput) => Promise<LogArchivalSummary>>(
    LOG_ARCHIVAL_WORKFLOW,
    {
      taskQueue: opts.taskQueue,
      workflowId,
      args: [opts.input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    },
  );
  if (opts.wait === false) return { workflowId };
  return { workflowId, result: await handle.result() };
}
