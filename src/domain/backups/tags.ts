/**
 * The tags eksflow writes on what it creates and what it marks. Snapshots carrying
 * `eksflow:backup-of` are eksflow's: retention and cleanup only ever look at those.
 */
export const BACKUP_OF_TAG = 'eksflow:backup-of';
export const BACKUP_POLICY_TAG = 'eksflow:backup-policy';
/** `<run key>`: the run that made a snapshot; a retry finds its snapshot by it instead of taking another. */
export const BACKUP_RUN_TAG = 'eksflow:backup-run';
/** ISO time of the scheduled run (the workflow's clock); retention buckets are computed from it. */
export const TAKEN_AT_TAG = 'eksflow:taken-at';
export const CLUSTER_TAG = 'eksflow:cluster';
/** On a DR copy: the source snapshot id (a retry finds the copy by it). */
export const COPY_OF_TAG = 'eksflow:copy-of';
/** On a restore-drill volume: the drill's run key. */
export const RESTORE_DRILL_TAG = 'eksflow:restore-drill';
/** Resources carrying this tag (any value) are never touched by cleanup. */
export const PROTECT_TAG = 'eksflow:protect';
/** Phase one of cleanup: the time after which a still-unused resource may be deleted. */
export const CLEANUP_AFTER_TAG = 'eksflow:cleanup-after';

export type Tags = Record<string, string>;

/** EC2 tag values allow letters, digits, spaces and `+-=._:/@`; anything else becomes `-`. */
export function tagValue(v: string): string {
  return v.replace(/[^A-Za-z0-9 +\-=._:/@]/g, '-').slice(0, 256);
}
