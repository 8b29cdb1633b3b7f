import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { heartbeatIfActivity, recordMutation, withLivenessHeartbeat } from './audit';
import { ebsGateway, type SnapshotInfo } from './gateways/ebs';
import { NotFoundError, ValidationError } from '../src/errors';
import type { AwsTarget, ClusterConfig } from '../src/config/clusters';
import { clusterKeyOf } from '../src/domain/scaling/types';
import { selectBackupVolumes, type VolumeFacts } from '../src/domain/backups/select';
import { planRetention, type KeepPolicy, type RetentionPlan } from '../src/domain/backups/retention';
import {
  BACKUP_OF_TAG,
  BACKUP_POLICY_TAG,
  BACKUP_RUN_TAG,
  CLUSTER_TAG,
  COPY_OF_TAG,
  PROTECT_TAG,
  RESTORE_DRILL_TAG,
  TAKEN_AT_TAG,
  tagValue,
  type Tags,
} from '../src/domain/backups/tags';

/** What one night's backup works on, read from the config once and recorded in the workflow's history. */
export interface BackupPlan {
  policy: string;
  keep: KeepPolicy;
  drRegion?: string;
  pollMs: number;
  waitTimeoutMs: number;
  restoreDrillDay: number;
  restoreDrillAz?: string;
  clusters: { key: string; name: string; target: AwsTarget; clusterState?: boolean }[];
}

export interface BackupVolumes {
  volumes: { volumeId: string; availabilityZone: string; sizeGiB: number }[];
  skipped: { volumeId: string; reason: string }[];
}

export interface TakenSnapshot {
  volumeId: string;
  snapshotId: string;
  state: string;
  /** false: an earlier attempt of this run had already taken it. */
  created: boolean;
}

export interface PruneResult {
  deleted: string[];
  /** Already gone when the delete came (an earlier attempt deleted it). */
  absent: string[];
  /** Not deleted because a fresh read no longer showed an eksflow snapshot of that volume, or it is protected. */
  refused: { snapshotId: string; reason: string }[];
}

export interface BackupSnapshotView extends SnapshotInfo {
  cluster: string;
  region: string;
}

const targetSchema = z
  .object({ accountId: z.string().regex(/^\d{12}$/), region: z.string().min(1), roleArn: z.string().optional() })
  .strict();
const snapshotId = z.string().regex(/^snap-[0-9a-f]{8,17}$/, 'a snapshot id');
const volumeId = z.string().regex(/^vol-[0-9a-f]{8,17}$/, 'a volume id');
const runKey = z.string().min(1).max(200);
const iso = z.iso.datetime({ offset: true });
const keepSchema = z
  .object({ daily: z.number().int().min(0), weekly: z.number().int().min(0), monthly: z.number().int().min(0) })
  .strict();

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const res = schema.safeParse(input);
  if (!res.success) throw new ValidationError(`${what}: ${z.prettifyError(res.error)}`);
  return res.data;
}

const targetOf = (c: ClusterConfig): AwsTarget => ({
  accountId: c.accountId,
  region: c.region,
  ...(c.roleArn ? { roleArn: c.roleArn } : {}),
});

export function createBackupActivities(deps: ActivityDeps) {
  const audit = (action: string, target: string, detail: Record<string, unknown>) =>
    recordMutation(deps.audit, action, target, detail);
  const clusterByKey = (key: string): ClusterConfig => {
    const c = deps.config.clusters.find((x) => clusterKeyOf(x) === key);
    if (!c) throw new NotFoundError(`no configured cluster ${key}`);
    return c;
  };
  const b = () => deps.config.backups;

  /** The clusters to back up and the policy in force (from the config; no AWS call). */
  async function backupPlan(input: { clusters?: string[] } = {}): Promise<BackupPlan> {
    const { clusters: wantedList } = parse(
      z.object({ clusters: z.array(z.string().min(1)).optional() }).strict(),
      input,
      'backupPlan',
    );
    const wanted = wantedList?.length ? new Set(wantedList) : undefined;
    const clusters = deps.config.clusters.filter((c) => !wanted || wanted.has(c.name) || wanted.has(clusterKeyOf(c)));
    if (wanted && clusters.length === 0)
      throw new NotFoundError(`no configured cluster matches ${[...wanted].join(', ')}`);
    const cfg = b();
    const out: BackupPlan = {
      policy: cfg.policy,
      keep: cfg.keep,
      ...(cfg.drRegion ? { drRegion: cfg.drRegion } : {}),
      pollMs: cfg.pollSeconds * 1000,
      waitTimeoutMs: cfg.waitTimeoutMinutes * 60_000,
      restoreDrillDay: cfg.restoreDrill.dayOfMonth,
      ...(cfg.restoreDrill.availabilityZone ? { restoreDrillAz: cfg.restoreDrill.availabilityZone } : {}),
      clusters: [],
    };
    for (const c of clusters)
      out.clusters.push({
        key: clusterKeyOf(c),
        name: c.name,
        target: targetOf(c),
        // The cluster-state export runs where a Kubernetes API is configured.
        ...(cfg.clusterState.enabled && c.kubernetes ? { clusterState: true } : {}),
      });
    return out;
  }

  /** The volumes of one cluster the backup takes, selected by tags. */
  async function backupVolumes(input: { clusterKey: string }): Promise<BackupVolumes> {
    const i = parse(z.object({ clusterKey: z.string().min(1) }).strict(), input, 'backupVolumes');
    const c = clusterByKey(i.clusterKey);
    const ebs = ebsGateway(deps.aws, targetOf(c));
    // One call per ownership tag, each narrowed to this cluster (moto matches a multi-valued
    // tag-key filter only when a volume has all the keys).
    const byId = new Map<string, VolumeFacts>();
    const filters = [
      [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${c.name}`] }],
      [{ Name: 'tag:KubernetesCluster', Values: [c.name] }],
      [{ Name: 'tag:eks:cluster-name', Values: [c.name] }],
    ];
    for (const f of filters) for (const v of await ebs.volumes(f)) byId.set(v.volumeId, v);
    const sel = selectBackupVolumes([...byId.values()], c.name, deps.config.backups.selector);
    return {
      volumes: sel.selected.map((v) => ({
        volumeId: v.volumeId,
        availabilityZone: v.availabilityZone,
        sizeGiB: v.sizeGiB,
      })),
      skipped: sel.skipped,
    };
  }

  /**
   * One snapshot per volume for this run. CreateSnapshot has no client token, so the run key is a
   * tag written atomically with the snapshot and looked for first: a retry (or a second worker)
   * finds the snapshot instead of taking another.
   */
  async function takeBackupSnapshots(input: {
    clusterKey: string;
    volumeIds: string[];
    runKey: string;
    takenAt: string;
    dryRun?: boolean;
  }): Promise<TakenSnapshot[]> {
    const i = parse(
      z
        .object({
          clusterKey: z.string().min(1),
          volumeIds: z.array(volumeId),
          runKey,
          takenAt: iso,
          dryRun: z.boolean().optional(),
        })
        .strict(),
      input,
      'takeBackupSnapshots',
    );
    const c = clusterByKey(i.clusterKey);
    const ebs = ebsGateway(deps.aws, targetOf(c));
    const run = tagValue(i.runKey);
    const existing = await ebs.snapshots([{ Name: `tag:${BACKUP_RUN_TAG}`, Values: [run] }]);
    const out: TakenSnapshot[] = [];
    for (const vol of i.volumeIds) {
      heartbeatIfActivity(vol);
      const found = existing.find((s) => s.tags[BACKUP_OF_TAG] === vol);
      if (found) {
        out.push({ volumeId: vol, snapshotId: found.snapshotId, state: found.state, created: false });
        continue;
      }
      if (i.dryRun) {
        out.push({ volumeId: vol, snapshotId: '', state: 'dry-run', created: false });
        continue;
      }
      const tags: Tags = {
        [BACKUP_OF_TAG]: vol,
        [BACKUP_POLICY_TAG]: deps.config.backups.policy,
        [BACKUP_RUN_TAG]: run,
        [TAKEN_AT_TAG]: i.takenAt,
        [CLUSTER_TAG]: tagValue(c.name),
        Name: tagValue(`eksflow ${c.name} ${vol}`),
      };
      const snap = await ebs.createSnapshot({
        volumeId: vol,
        description: `eksflow backup of ${vol} (${c.name}, policy ${deps.config.backups.policy})`,
        tags,
      });
      audit('ec2:CreateSnapshot', `${i.clusterKey}/${vol}`, {
        snapshotId: snap.snapshotId,
        runKey: run,
        takenAt: i.takenAt,
        policy: deps.config.backups.policy,
      });
      out.push({ volumeId: vol, snapshotId: snap.snapshotId, state: snap.state, created: true });
    }
    return out;
  }

  /** State of each snapshot (`gone` when it no longer exists). */
  async function backupSnapshotStates(input: {
    target: AwsTarget;
    snapshotIds: string[];
  }): Promise<Record<string, string>> {
    const i = parse(
      z.object({ target: targetSchema, snapshotIds: z.array(snapshotId) }).strict(),
      input,
      'backupSnapshotStates',
    );
    const found = await ebsGateway(deps.aws, i.target).snapshotsById(i.snapshotIds);
    return Object.fromEntries(i.snapshotIds.map((id) => [id, found.find((s) => s.snapshotId === id)?.state ?? 'gone']));
  }

  /** Copies completed snapshots to the DR region; an existing copy (tag `eksflow:copy-of`) is reused. */
  async function copyBackupSnapshots(input: {
    clusterKey: string;
    snapshots: { snapshotId: string; volumeId: string }[];
    runKey: string;
    takenAt: string;
  }): Promise<{ snapshotId: string; copyId: string; created: boolean }[]> {
    const i = parse(
      z
        .object({
          clusterKey: z.string().min(1),
          snapshots: z.array(z.object({ snapshotId, volumeId }).strict()),
          runKey,
          takenAt: iso,
        })
        .strict(),
      input,
      'copyBackupSnapshots',
    );
    const cfg = deps.config.backups;
    if (!cfg.drRegion) throw new ValidationError('backups.drRegion is not configured');
    const c = clusterByKey(i.clusterKey);
    const dr = ebsGateway(deps.aws, { ...targetOf(c), region: cfg.drRegion });
    const existing = i.snapshots.length
      ? await dr.snapshots([{ Name: `tag:${COPY_OF_TAG}`, Values: i.snapshots.map((s) => s.snapshotId) }])
      : [];
    const out: { snapshotId: string; copyId: string; created: boolean }[] = [];
    for (const s of i.snapshots) {
      heartbeatIfActivity(s.snapshotId);
      const found = existing.find((x) => x.tags[COPY_OF_TAG] === s.snapshotId);
      if (found) {
        out.push({ snapshotId: s.snapshotId, copyId: found.snapshotId, created: false });
        continue;
      }
      const copyId = await dr.copySnapshot({
        sourceRegion: c.region,
        sourceSnapshotId: s.snapshotId,
        description: `eksflow DR copy of ${s.snapshotId} (${c.name})`,
        kmsKeyId: cfg.drKmsKeyId,
        tags: {
          [BACKUP_OF_TAG]: s.volumeId,
          [BACKUP_POLICY_TAG]: cfg.policy,
          [BACKUP_RUN_TAG]: tagValue(i.runKey),
          [TAKEN_AT_TAG]: i.takenAt,
          [CLUSTER_TAG]: tagValue(c.name),
          [COPY_OF_TAG]: s.snapshotId,
        },
      });
      audit('ec2:CopySnapshot', `${c.accountId}/${cfg.drRegion}/${s.snapshotId}`, {
        copyId,
        sourceRegion: c.region,
        volumeId: s.volumeId,
      });
      out.push({ snapshotId: s.snapshotId, copyId, created: true });
    }
    return out;
  }

  /**
   * The retention plan per volume over eksflow's completed snapshots of it under this policy, in
   * one region. Pending, failed and other policies' snapshots are never in it.
   */
  async function planBackupPruning(input: {
    target: AwsTarget;
    volumeIds: string[];
    policy: string;
    keep: KeepPolicy;
  }): Promise<{ volumeId: string; plan: RetentionPlan }[]> {
    const i = parse(
      z
        .object({ target: targetSchema, volumeIds: z.array(volumeId), policy: z.string().min(1), keep: keepSchema })
        .strict(),
      input,
      'planBackupPruning',
    );
    if (i.volumeIds.length === 0) return [];
    const snaps = await ebsGateway(deps.aws, i.target).snapshots([
      { Name: `tag:${BACKUP_OF_TAG}`, Values: i.volumeIds },
      { Name: `tag:${BACKUP_POLICY_TAG}`, Values: [i.policy] },
      { Name: 'status', Values: ['completed'] },
    ]);
    return i.volumeIds.map((vol) => {
      const mine = snaps.filter(
        (s) =>
          s.tags[BACKUP_OF_TAG] === vol &&
          s.tags[BACKUP_POLICY_TAG] === i.policy &&
          s.state === 'completed' &&
          s.tags[PROTECT_TAG] === undefined,
      );
      const plan = planRetention(
        mine.map((s) => ({ id: s.snapshotId, takenAt: takenAtOf(s) })),
        i.keep,
      );
      return { volumeId: vol, plan };
    });
  }

  /**
   * Deletes snapshots a retention plan removed. Each is read again first: only an existing,
   * unprotected eksflow snapshot of the named volume is deleted; one already gone counts as
   * `absent` (a retry after its delete succeeded), so nothing is deleted or recorded twice.
   */
  async function deleteBackupSnapshots(input: {
    target: AwsTarget;
    deletions: { snapshotId: string; volumeId: string }[];
    dryRun?: boolean;
  }): Promise<PruneResult> {
    const i = parse(
      z
        .object({
          target: targetSchema,
          deletions: z.array(z.object({ snapshotId, volumeId }).strict()),
          dryRun: z.boolean().optional(),
        })
        .strict(),
      input,
      'deleteBackupSnapshots',
    );
    const ebs = ebsGateway(deps.aws, i.target);
    const current = await ebs.snapshotsById(i.deletions.map((d) => d.snapshotId));
    const out: PruneResult = { deleted: [], absent: [], refused: [] };
    for (const d of i.deletions) {
      heartbeatIfActivity(d.snapshotId);
      const s = current.find((x) => x.snapshotId === d.snapshotId);
      if (!s) {
        out.absent.push(d.snapshotId);
        continue;
      }
      if (s.tags[BACKUP_OF_TAG] !== d.volumeId) {
        out.refused.push({ snapshotId: d.snapshotId, reason: `not an eksflow snapshot of ${d.volumeId}` });
        continue;
      }
      if (s.tags[PROTECT_TAG] !== undefined) {
        out.refused.push({ snapshotId: d.snapshotId, reason: 'protected (eksflow:protect)' });
        continue;
      }
      if (i.dryRun) {
        out.refused.push({ snapshotId: d.snapshotId, reason: 'dry run' });
        continue;
      }
      const result = await ebs.deleteSnapshot(d.snapshotId);
      if (result === 'absent') {
        out.absent.push(d.snapshotId);
        continue;
      }
      audit('ec2:DeleteSnapshot', `${i.target.accountId}/${i.target.region}/${d.snapshotId}`, {
        volumeId: d.volumeId,
        takenAt: takenAtOf(s),
        reason: 'retention',
      });
      out.deleted.push(d.snapshotId);
    }
    return out;
  }

  /** eksflow's snapshots of the configured clusters (newest first), for `eksflow backups list` and the drill. */
  async function listBackupSnapshots(
    input: { clusters?: string[]; limit?: number } = {},
  ): Promise<BackupSnapshotView[]> {
    const i = parse(
      z
        .object({
          clusters: z.array(z.string().min(1)).optional(),
          limit: z.number().int().positive().max(10_000).optional(),
        })
        .strict(),
      input,
      'listBackupSnapshots',
    );
    const wanted = i.clusters?.length ? new Set(i.clusters) : undefined;
    const out: BackupSnapshotView[] = [];
    const regions = (c: ClusterConfig) => [
      c.region,
      ...(deps.config.backups.drRegion && deps.config.backups.drRegion !== c.region
        ? [deps.config.backups.drRegion]
        : []),
    ];
    for (const c of deps.config.clusters.filter((x) => !wanted || wanted.has(x.name) || wanted.has(clusterKeyOf(x)))) {
      for (const region of regions(c)) {
        const snaps = await ebsGateway(deps.aws, { ...targetOf(c), region }).snapshots([
          { Name: `tag:${CLUSTER_TAG}`, Values: [tagValue(c.name)] },
          { Name: 'tag-key', Values: [BACKUP_OF_TAG] },
        ]);
        out.push(...snaps.map((s) => ({ ...s, cluster: clusterKeyOf(c), region })));
      }
    }
    out.sort(
      (a, z2) => Date.parse(takenAtOf(z2)) - Date.parse(takenAtOf(a)) || (a.snapshotId < z2.snapshotId ? -1 : 1),
    );
    return i.limit ? out.slice(0, i.limit) : out;
  }

  /** The newest completed eksflow snapshot in a cluster's own region (the restore drill's subject). */
  async function latestBackupSnapshot(
    input: { clusters?: string[] } = {},
  ): Promise<(BackupSnapshotView & { target: AwsTarget; availabilityZone?: string }) | undefined> {
    const all = (await listBackupSnapshots({ clusters: input.clusters })).filter((s) => s.state === 'completed');
    for (const s of all) {
      const c = clusterByKey(s.cluster);
      if (s.region !== c.region) continue;
      const vol = await ebsGateway(deps.aws, targetOf(c))
        .volume(s.volumeId)
        .catch(() => undefined);
      return { ...s, target: targetOf(c), ...(vol ? { availabilityZone: vol.availabilityZone } : {}) };
    }
    return undefined;
  }

  /** Restore drill: a volume from the snapshot (client token + drill tag, so a retry never makes two). */
  async function createDrillVolume(input: {
    target: AwsTarget;
    snapshotId: string;
    availabilityZone: string;
    runKey: string;
  }): Promise<{ volumeId: string; state: string; created: boolean }> {
    const i = parse(
      z.object({ target: targetSchema, snapshotId, availabilityZone: z.string().min(1), runKey }).strict(),
      input,
      'createDrillVolume',
    );
    const ebs = ebsGateway(deps.aws, i.target);
    const key = tagValue(i.runKey);
    const found = await ebs.volumes([{ Name: `tag:${RESTORE_DRILL_TAG}`, Values: [key] }]);
    if (found[0]) return { volumeId: found[0].volumeId, state: found[0].state, created: false };
    const v = await ebs.createVolume({
      availabilityZone: i.availabilityZone,
      snapshotId: i.snapshotId,
      clientToken: i.runKey.replace(/[^A-Za-z0-9-_]/g, '-').slice(-64),
      tags: { [RESTORE_DRILL_TAG]: key, Name: `eksflow restore drill ${i.snapshotId}` },
    });
    audit('ec2:CreateVolume', `${i.target.accountId}/${i.target.region}/${v.volumeId}`, {
      snapshotId: i.snapshotId,
      availabilityZone: i.availabilityZone,
      purpose: 'restore-drill',
    });
    return { volumeId: v.volumeId, state: v.state, created: true };
  }

  async function volumeState(input: { target: AwsTarget; volumeId: string }): Promise<string> {
    const i = parse(z.object({ target: targetSchema, volumeId }).strict(), input, 'volumeState');
    return (await ebsGateway(deps.aws, i.target).volume(i.volumeId))?.state ?? 'gone';
  }

  async function deleteDrillVolume(input: { target: AwsTarget; volumeId: string }): Promise<'deleted' | 'absent'> {
    const i = parse(z.object({ target: targetSchema, volumeId }).strict(), input, 'deleteDrillVolume');
    const ebs = ebsGateway(deps.aws, i.target);
    const v = await ebs.volume(i.volumeId);
    if (!v) return 'absent';
    if (v.tags[RESTORE_DRILL_TAG] === undefined)
      throw new ValidationError(`volume ${i.volumeId} is not a restore-drill volume`);
    const r = await ebs.deleteVolume(i.volumeId);
    if (r === 'deleted')
      audit('ec2:DeleteVolume', `${i.target.accountId}/${i.target.region}/${i.volumeId}`, { purpose: 'restore-drill' });
    return r;
  }

  const live =
    <A, R>(fn: (a: A) => Promise<R>) =>
    (a: A) =>
      withLivenessHeartbeat(() => fn(a));
  return {
    backupPlan,
    backupVolumes,
    latestBackupSnapshot,
    createDrillVolume,
    volumeState,
    deleteDrillVolume,
    // Batches (the awsBatch preset, with a heartbeat timeout).
    takeBackupSnapshots: live(takeBackupSnapshots),
    copyBackupSnapshots: live(copyBackupSnapshots),
    deleteBackupSnapshots: live(deleteBackupSnapshots),
    listBackupSnapshots: live(listBackupSnapshots),
    backupSnapshotStates: live(backupSnapshotStates),
    planBackupPruning: live(planBackupPruning),
  };
}

/** The scheduled run's time (tag) when present, else EBS's start time. */
export function takenAtOf(s: Pick<SnapshotInfo, 'tags' | 'startTime'>): string {
  const t = s.tags[TAKEN_AT_TAG];
  return t && !Number.isNaN(Date.parse(t)) ? t : s.startTime;
}
