import { executeChild, log, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ClusterStateExportResult } from '../../activities/cluster-state';
import type { AwsTarget } from '../../src/config/clusters';
import { raiseAlert } from '../lib/alerts';
import { pinRunConfig } from '../lib/config-pin';
import { failureMessage } from '../lib/failures';
import { mapLimit } from '../lib/concurrency';
import { awsBatch, awsRead } from '../lib/presets';
import { backupRestoreDrill, type RestoreDrillResult } from './restore-drill';

const read = proxyActivities<Activities>(awsRead);
const batch = proxyActivities<Activities>(awsBatch);

/** Clusters backed up at once: enough to overlap snapshot waits, few enough for EC2's API rate limits. */
const CLUSTERS_IN_FLIGHT = 8;

export interface BackupsInput {
  /** Cluster names or keys; all configured clusters when absent. */
  clusters?: string[];
  /** Select and report only: no snapshot, copy or delete. */
  dryRun?: boolean;
  /** `always` runs the restore drill after the backup; `auto` (default) / `never` do not (it has its own monthly schedule). */
  restoreDrill?: 'auto' | 'always' | 'never';
  /** Config version the run uses (config sync, ssm mode); the worker's version in force at the start when absent. */
  configVersion?: number;
}

export interface VolumeBackup {
  volumeId: string;
  snapshotId?: string;
  /** completed | error | gone | timeout | dry-run */
  state: string;
  copyId?: string;
  copyState?: string;
}

export interface ClusterBackupResult {
  cluster: string;
  volumes: VolumeBackup[];
  skipped: { volumeId: string; reason: string }[];
  pruned: string[];
  prunedDr: string[];
  kept: number;
  refused: { snapshotId: string; reason: string }[];
  /** The Kubernetes objects exported to S3 (clusters with a Kubernetes API configured). */
  clusterState?: ClusterStateExportResult | { error: string };
}

export interface BackupsResult {
  runKey: string;
  takenAt: string;
  policy: string;
  dryRun: boolean;
  clusters: ClusterBackupResult[];
  failures: string[];
  restoreDrill?: RestoreDrillResult;
  /** The config version the run used (ssm mode); absent with a config file. */
  configVersion?: number;
}

/**
 * Waits durably (workflow timers, not activity sleeps) until every snapshot leaves `pending`,
 * or the timeout passes; returns the final state of each.
 */
async function waitForSnapshots(
  target: AwsTarget,
  ids: string[],
  pollMs: number,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const final: Record<string, string> = {};
  let pending = ids.filter((id) => id);
  const deadline = Date.now() + timeoutMs;
  while (pending.length > 0) {
    const states = await batch.backupSnapshotStates({ target, snapshotIds: pending });
    for (const id of pending) if (states[id] !== 'pending') final[id] = states[id] ?? 'gone';
    pending = pending.filter((id) => final[id] === undefined);
    if (pending.length === 0) break;
    if (Date.now() >= deadline) {
      for (const id of pending) final[id] = 'timeout';
      break;
    }
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
  return final;
}

/** The IST day of the month of a UTC epoch time. */
function istDayOfMonth(ms: number): number {
  return new Date(ms + 330 * 60_000).getUTCDate();
}

/**
 * 02:00 IST: snapshot the selected EBS volumes of every cluster, wait until each is `completed`,
 * copy to the DR region when configured, then prune eksflow's own snapshots of each volume by
 * grandfather-father-son retention — only for volumes whose new snapshot completed.
 */
export async function backups(input: BackupsInput = {}): Promise<BackupsResult> {
  const configVersion = await pinRunConfig(input.configVersion);
  const runKey = workflowInfo().workflowId;
  const startedMs = Date.now();
  const takenAt = new Date(startedMs).toISOString();
  const dryRun = input.dryRun ?? false;
  const plan = await read.backupPlan({ clusters: input.clusters });
  const result: BackupsResult = {
    runKey,
    takenAt,
    policy: plan.policy,
    dryRun,
    clusters: [],
    failures: [],
    ...(configVersion !== undefined ? { configVersion } : {}),
  };

  result.clusters = await mapLimit(plan.clusters, CLUSTERS_IN_FLIGHT, async (c): Promise<ClusterBackupResult> => {
    const sel = await read.backupVolumes({ clusterKey: c.key });
    const out: ClusterBackupResult = {
      cluster: c.key,
      volumes: [],
      skipped: sel.skipped,
      pruned: [],
      prunedDr: [],
      kept: 0,
      refused: [],
    };
    if (c.clusterState && patched('cluster-state-export')) {
      try {
        out.clusterState = await batch.exportClusterState({ clusterKey: c.key, runKey, takenAt, dryRun });
      } catch (err) {
        const error = failureMessage(err);
        out.clusterState = { error };
        result.failures.push(`${c.key}: cluster-state export failed: ${error}`);
      }
    }
    if (sel.volumes.length === 0) return out;
    const taken = await batch.takeBackupSnapshots({
      clusterKey: c.key,
      volumeIds: sel.volumes.map((v) => v.volumeId),
      runKey,
      takenAt,
      dryRun,
    });
    if (dryRun) {
      out.volumes = taken.map((t) => ({
        volumeId: t.volumeId,
        ...(t.snapshotId ? { snapshotId: t.snapshotId } : {}),
        state: t.snapshotId ? t.state : 'dry-run',
      }));
      return out;
    }
    const states = await waitForSnapshots(
      c.target,
      taken.map((t) => t.snapshotId),
      plan.pollMs,
      plan.waitTimeoutMs,
    );
    out.volumes = taken.map((t) => ({
      volumeId: t.volumeId,
      snapshotId: t.snapshotId,
      state: states[t.snapshotId] ?? 'gone',
    }));
    const completed = out.volumes.filter((v) => v.state === 'completed');
    for (const v of out.volumes)
      if (v.state !== 'completed') result.failures.push(`${c.key}/${v.volumeId}: snapshot ${v.snapshotId} ${v.state}`);

    let drDone = new Set<string>();
    if (plan.drRegion && completed.length > 0) {
      const dr: AwsTarget = { ...c.target, region: plan.drRegion };
      const copies = await batch.copyBackupSnapshots({
        clusterKey: c.key,
        snapshots: completed.map((v) => ({ snapshotId: v.snapshotId!, volumeId: v.volumeId })),
        runKey,
        takenAt,
      });
      const copyStates = await waitForSnapshots(
        dr,
        copies.map((x) => x.copyId),
        plan.pollMs,
        plan.waitTimeoutMs,
      );
      for (const v of completed) {
        const copy = copies.find((x) => x.snapshotId === v.snapshotId);
        v.copyId = copy?.copyId;
        v.copyState = copy ? (copyStates[copy.copyId] ?? 'gone') : 'missing';
        if (v.copyState !== 'completed')
          result.failures.push(`${c.key}/${v.volumeId}: DR copy ${v.copyId ?? '-'} ${v.copyState}`);
      }
      drDone = new Set(completed.filter((v) => v.copyState === 'completed').map((v) => v.volumeId));
    }

    // Pruning only after the new snapshot completed: a volume whose backup failed keeps all it had.
    const prune = async (target: AwsTarget, volumeIds: string[]) => {
      const plans = await batch.planBackupPruning({ target, volumeIds, policy: plan.policy, keep: plan.keep });
      const deletions = plans.flatMap((p) => p.plan.remove.map((r) => ({ snapshotId: r.id, volumeId: p.volumeId })));
      out.kept += plans.reduce((n, p) => n + p.plan.keep.length, 0);
      if (deletions.length === 0) return [];
      const res = await batch.deleteBackupSnapshots({ target, deletions });
      out.refused.push(...res.refused);
      return res.deleted;
    };
    out.pruned = await prune(
      c.target,
      completed.map((v) => v.volumeId),
    );
    if (plan.drRegion && drDone.size > 0)
      out.prunedDr = await prune({ ...c.target, region: plan.drRegion }, [...drDone]);
    return out;
  });

  const drill = input.restoreDrill ?? 'auto';
  // The drill has its own monthly schedule (timetable `restore-drill`); runs started before that
  // keep the day-of-month check they were started with.
  const drillToday =
    drill === 'always' ||
    (drill === 'auto' &&
      !patched('restore-drill-own-schedule') &&
      plan.restoreDrillDay > 0 &&
      istDayOfMonth(startedMs) === plan.restoreDrillDay);
  if (!dryRun && drillToday) {
    try {
      result.restoreDrill = await executeChild(backupRestoreDrill, {
        workflowId: `${runKey}/restore-drill`,
        args: [{ clusters: input.clusters }],
      });
      if (!result.restoreDrill.ok) result.failures.push(`restore drill: ${result.restoreDrill.detail}`);
    } catch (err) {
      result.failures.push(`restore drill failed: ${String(err)}`);
    }
  }

  if (result.failures.length > 0) {
    try {
      await raiseAlert({
        severity: 'warning',
        type: 'backup_failed',
        dedupKey: `backups/${takenAt.slice(0, 10)}`,
        summary: `Nightly backup: ${result.failures.length} problem(s)`,
        details: { failures: result.failures.slice(0, 20).join('; '), count: result.failures.length, runKey },
      });
    } catch (err) {
      log.warn('backup alert failed', { error: String(err) });
    }
  }
  return result;
}
