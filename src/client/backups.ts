import type { Client } from '@temporalio/client';
import type { BackupSnapshotView } from '../../activities/backups';
import type { BackupsInput, BackupsResult } from '../../workflows/backups/backups';
import type { RestoreDrillInput, RestoreDrillResult } from '../../workflows/backups/restore-drill';
import type { BackupObjectVerificationInput } from '../../workflows/backups/verify-object';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';

/** Start helpers for the backup workflows, shared by the CLI, tests and the ingress. */
export interface Starter {
  client: Client;
  taskQueue: string;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

export async function runBackups(
  s: Starter,
  input: BackupsInput,
  workflowId = `backups/manual/${stamp()}`,
): Promise<BackupsResult> {
  await startBackups(s, input, workflowId);
  return s.client.workflow.getHandle(workflowId).result() as Promise<BackupsResult>;
}

export async function runRestoreDrill(
  s: Starter,
  input: RestoreDrillInput,
  workflowId = `backups/restore-drill/${stamp()}`,
): Promise<RestoreDrillResult> {
  await startRestoreDrill(s, input, workflowId);
  return s.client.workflow.getHandle(workflowId).result() as Promise<RestoreDrillResult>;
}

export async function listBackups(
  s: Starter,
  input: { clusters?: string[]; limit?: number },
): Promise<BackupSnapshotView[]> {
  const h = await s.client.workflow.start('listBackups', {
    taskQueue: s.taskQueue,
    workflowId: `backups/list/${stamp()}`,
    args: [input],
  });
  return h.result() as Promise<BackupSnapshotView[]>;
}

/** Starts the backup run and returns its workflow id without waiting (the API answers 202 with it). */
export async function startBackups(
  s: Starter,
  input: BackupsInput,
  workflowId = `backups/manual/${stamp()}`,
): Promise<string> {
  await s.client.workflow.start('backups', { taskQueue: s.taskQueue, workflowId, args: [input] });
  return workflowId;
}

/** Starts a restore drill and returns its workflow id without waiting. */
export async function startRestoreDrill(
  s: Starter,
  input: RestoreDrillInput,
  workflowId = `backups/restore-drill/${stamp()}`,
): Promise<string> {
  await s.client.workflow.start('backupRestoreDrill', { taskQueue: s.taskQueue, workflowId, args: [input] });
  return workflowId;
}

/**
 * Starts `backup-verify/<bucket>/<key>@<write>` for one S3 `Object Created` event: a redelivered
 * event (same sequencer/ETag) finds the workflow already there and starts nothing new.
 */
export async function startBackupObjectVerification(
  s: Starter,
  input: BackupObjectVerificationInput & { write: string },
): Promise<string> {
  const { write, ...args } = input;
  const workflowId = `backup-verify/${input.bucket}/${input.key}@${write}`;
  try {
    await s.client.workflow.start('backupObjectVerification', { taskQueue: s.taskQueue, workflowId, args: [args] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}
