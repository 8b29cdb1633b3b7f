import type { Client } from '@temporalio/client';
import type { SecurityScanInput, SecurityScanResult } from '../../workflows/security/messages';

export const SECURITY_SCAN_WORKFLOW = 'securityScans';

/** Workflow id of an on-demand scan: `security-scan/manual/<ISO time>` (the schedule uses its own ids). */
export function manualScanId(now: Date): string {
  return `security-scan/manual/${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/** Starts a security scan and, unless `wait` is false, waits for its summary. */
export async function runSecurityScan(
  client: Client,
  opts: { taskQueue: string; input: SecurityScanInput; now?: Date; wait?: boolean },
): Promise<{ workflowId: string; result?: SecurityScanResult }> {
  const workflowId = manualScanId(opts.now ?? new Date());
  const handle = await client.workflow.start<(i: SecurityScanInput) => Promise<SecurityScanResult>>(
    SECURITY_SCAN_WORKFLOW,
    {
      taskQueue: opts.taskQueue,
      workflowId,
      args: [opts.input],
    },
  );
  if (opts.wait === false) return { workflowId };
  return { workflowId, result: await handle.result() };
}
