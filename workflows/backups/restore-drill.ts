import { log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { raiseAlert } from '../lib/alerts';
import { awsMutate, awsRead } from '../lib/presets';

const read = proxyActivities<Activities>(awsRead);
const mutate = proxyActivities<Activities>(awsMutate);

export interface RestoreDrillInput {
  clusters?: string[];
  /** AZ for the test volume; the source volume's AZ (or backups.restoreDrill.availabilityZone) otherwise. */
  availabilityZone?: string;
  pollMs?: number;
  timeoutMs?: number;
  /** Raise a `backup_failed` warning when the drill fails (its own schedule; a caller that reports itself leaves it off). */
  alertOnFailure?: boolean;
}

export interface RestoreDrillResult {
  ok: boolean;
  detail: string;
  snapshotId?: string;
  cluster?: string;
  volumeId?: string;
  availabilityZone?: string;
  /** Workflow-clock time from CreateVolume to `available`. */
  availableAfterMs?: number;
  deleted?: boolean;
}

/**
 * Restore drill (`eksflow backups verify --latest`, and monthly on its own timetable entry `restore-drill`): a volume from
 * the newest eksflow snapshot in a test AZ, checked until `available`, then deleted.
 */
export async function backupRestoreDrill(input: RestoreDrillInput = {}): Promise<RestoreDrillResult> {
  const result = await drill(input);
  if (!result.ok && input.alertOnFailure) {
    try {
      await raiseAlert({
        severity: 'warning',
        type: 'backup_failed',
        dedupKey: `restore-drill/${workflowInfo().workflowId}`,
        summary: `Restore drill failed: ${result.detail}`,
        details: { snapshotId: result.snapshotId ?? '', cluster: result.cluster ?? '', detail: result.detail },
      });
    } catch (err) {
      log.warn('restore drill alert failed', { error: String(err) });
    }
  }
  return result;
}

async function drill(input: RestoreDrillInput): Promise<RestoreDrillResult> {
  const plan = await read.backupPlan({ clusters: input.clusters });
  const latest = await read.latestBackupSnapshot({ clusters: input.clusters });
  if (!latest) return { ok: false, detail: 'no completed eksflow snapshot to restore' };
  const az = input.availabilityZone ?? plan.restoreDrillAz ?? latest.availabilityZone ?? `${latest.target.region}a`;
  const pollMs = input.pollMs ?? Math.min(plan.pollMs, 15_000);
  const timeoutMs = input.timeoutMs ?? 30 * 60_000;
  const base = { snapshotId: latest.snapshotId, cluster: latest.cluster, availabilityZone: az };
  const started = Date.now();
  const vol = await mutate.createDrillVolume({
    target: latest.target,
    snapshotId: latest.snapshotId,
    availabilityZone: az,
    runKey: workflowInfo().workflowId,
  });
  let state = vol.state;
  while (state !== 'available' && state !== 'error' && state !== 'gone' && Date.now() - started < timeoutMs) {
    await sleep(pollMs);
    state = await read.volumeState({ target: latest.target, volumeId: vol.volumeId });
  }
  const availableAfterMs = Date.now() - started;
  // The test volume is deleted whatever happened: a drill must not leave a billed volume behind.
  await mutate.deleteDrillVolume({ target: latest.target, volumeId: vol.volumeId });
  const deleted = true;
  const ok = state === 'available';
  return {
    ok,
    detail: ok
      ? `volume from ${latest.snapshotId} became available`
      : `volume from ${latest.snapshotId} ended ${state === 'creating' ? 'still creating (timeout)' : state}`,
    ...base,
    volumeId: vol.volumeId,
    availableAfterMs,
    deleted,
  };
}
