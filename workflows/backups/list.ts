import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { BackupSnapshotView } from '../../activities/backups';
import { awsBatch } from '../lib/presets';

const { listBackupSnapshots } = proxyActivities<Activities>(awsBatch);

/** eksflow's snapshots of the configured clusters, newest first (`eksflow backups list`). */
export async function listBackups(input: { clusters?: string[]; limit?: number } = {}): Promise<BackupSnapshotView[]> {
  return listBackupSnapshots(input);
}
