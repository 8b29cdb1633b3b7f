import { createHash } from 'node:crypto';
import { z } from 'zod';
import { recordMutation } from './audit';
import type { ActivityDeps } from './deps';
import { logsGateway } from './gateways/logs';
import { s3Gateway } from './gateways/s3';
import type { AwsTarget } from '../src/config/clusters';
import { ValidationError } from '../src/errors';
import {
  archiveDays,
  expandTemplate,
  exportKey,
  isIsoDate,
  planExports,
  type ArchiveGroup,
  type ExportItem,
} from '../src/domain/logs/plan';

export const MARKER = '_eksflow-archived.json';
const ACTIVE = new Set(['PENDING', 'RUNNING', 'PENDING_CANCEL']);

export interface LogArchivalPlan {
  date: string;
  days: string[];
  groups: ArchiveGroup[];
  items: ExportItem[];
  alreadyArchived: { key: string; objects: number; bytes: number }[];
  problems: string[];
  settings: { pollSeconds: number; maxAttempts: number; exportTimeoutMinutes: number; retentionDays: number };
}

export type StartExportResult =
  | { status: 'started' | 'resumed'; taskId: string }
  | { status: 'already-archived'; objects: number; bytes: number }
  | { status: 'busy'; activeTaskId: string; activeGroup?: string };

export interface VerifyResult {
  ok: boolean;
  empty: boolean;
  objects: number;
  bytes: number;
  reason?: string;
}

interface Marker {
  taskId: string;
  objects: number;
  bytes: number;
  archivedAt: string;
  from: number;
  to: number;
}

const targetSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  roleArn: z.string().optional(),
});
const planSchema = z
  .object({
    date: z.string().refine(isIsoDate, 'a date as YYYY-MM-DD'),
    clusters: z.array(z.string().min(1)).optional(),
  })
  .strict();
const itemSchema = z
  .object({
    key: z.string(),
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string(),
    roleArn: z.string().optional(),
    cluster: z.string(),
    group: z.string().startsWith('/'),
    bucket: z.string().min(3),
    day: z.string().refine(isIsoDate),
    fromMs: z.number().int(),
    toMs: z.number().int(),
    destinationPrefix: z.string().min(1),
  })
  .strict();
const startSchema = z.object({ item: itemSchema, ignoreTaskIds: z.array(z.string()).default([]) }).strict();
const taskSchema = z.object({ target: targetSchema, taskId: z.string().min(1) }).strict();
const verifySchema = z.object({ item: itemSchema, taskId: z.string().min(1) }).strict();
const retentionSchema = z
  .object({ target: targetSchema, group: z.string().startsWith('/'), days: z.number().int().positive() })
  .strict();

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const res = schema.safeParse(input ?? {});
  if (!res.success) throw new ValidationError(`${what}: ${z.prettifyError(res.error)}`);
  return res.data;
}

const targetOf = (i: { accountId: string; region: string; roleArn?: string }): AwsTarget => ({
  accountId: i.accountId,
  region: i.region,
  ...(i.roleArn ? { roleArn: i.roleArn } : {}),
});
const markerKey = (item: ExportItem) => `${item.destinationPrefix}/${MARKER}`;
/** Export task names are limited to 512 chars; a short hash keeps them unique per (group, day). */
const taskName = (item: ExportItem) =>
  `eksflow-${item.day}-${createHash('sha256').update(item.key).digest('hex').slice(0, 12)}`;

/** The 04:00 log archival: plan, export one task at a time per account, verify, set retention. */
export function createLogActivities(deps: ActivityDeps) {
  const settings = () => {
    const l = deps.config.logs;
    return {
      pollSeconds: l.pollSeconds,
      maxAttempts: l.maxAttempts,
      exportTimeoutMinutes: l.exportTimeoutMinutes,
      retentionDays: l.retentionDays,
    };
  };

  async function readMarker(item: ExportItem): Promise<Marker | undefined> {
    const text = await s3Gateway(deps.aws, targetOf(item)).get(item.bucket, markerKey(item));
    if (!text) return undefined;
    try {
      return JSON.parse(text) as Marker;
    } catch {
      return undefined;
    }
  }

  async function planLogArchival(input: { date: string; clusters?: string[] }): Promise<LogArchivalPlan> {
    const args = parse(planSchema, input, 'planLogArchival');
    const cfg = deps.config.logs;
    const clusters = args.clusters
      ? deps.config.clusters.filter((c) => args.clusters!.includes(c.name))
      : deps.config.clusters;
    const unknown = (args.clusters ?? []).filter((n) => !deps.config.clusters.some((c) => c.name === n));
    if (unknown.length) throw new ValidationError(`unknown cluster(s) ${unknown.join(', ')}`);
    const problems: string[] = [];
    const groups: ArchiveGroup[] = [];
    const bucketOk = new Map<string, boolean>();
    for (const c of clusters) {
      const target = targetOf(c);
      const bucket = expandTemplate(cfg.bucket, { accountId: c.accountId, region: c.region });
      const bk = `${c.accountId}/${c.region}/${bucket}`;
      if (!bucketOk.has(bk)) {
        const exists = await s3Gateway(deps.aws, target).bucketExists(bucket);
        bucketOk.set(bk, exists);
        if (!exists)
          problems.push(
            `bucket ${bucket} does not exist in ${c.accountId}/${c.region}: nothing of ${c.name} exported (create it with a policy allowing logs.${c.region}.amazonaws.com)`,
          );
      }
      if (!bucketOk.get(bk)) continue;
      const seen = new Set(groups.map((g) => `${g.accountId}/${g.region}${g.group}`));
      for (const template of cfg.groupPrefixes) {
        const prefix = expandTemplate(template, { cluster: c.name });
        for (const g of await logsGateway(deps.aws, target).groupsByPrefix(prefix)) {
          const k = `${c.accountId}/${c.region}${g.logGroupName}`;
          if (!g.logGroupName || seen.has(k)) continue;
          seen.add(k);
          groups.push({ ...target, cluster: c.name, group: g.logGroupName, bucket });
        }
      }
    }
    const days = archiveDays(args.date, cfg.catchUpDays);
    const candidates = planExports(groups, days, [], cfg.prefix);
    const alreadyArchived: LogArchivalPlan['alreadyArchived'] = [];
    for (const item of candidates) {
      const m = await readMarker(item);
      if (m) alreadyArchived.push({ key: item.key, objects: m.objects, bytes: m.bytes });
    }
    const items = planExports(
      groups,
      days,
      alreadyArchived.map((a) => a.key),
      cfg.prefix,
    );
    return { date: args.date, days, groups, items, alreadyArchived, problems, settings: settings() };
  }

  /**
   * Starts the export of one (group, day) unless it is already archived or already running
   * (a retry after a crash finds its own task and resumes it). One export per account at a time:
   * an active task of something else means "busy", and the workflow waits.
   */
  async function startLogExport(input: { item: ExportItem; ignoreTaskIds?: string[] }): Promise<StartExportResult> {
    const { item, ignoreTaskIds } = parse(startSchema, input, 'startLogExport');
    const marker = await readMarker(item);
    if (marker) return { status: 'already-archived', objects: marker.objects, bytes: marker.bytes };
    const logs = logsGateway(deps.aws, targetOf(item));
    const tasks = (await logs.exportTasks()).filter((t) => t.taskId && !ignoreTaskIds.includes(t.taskId));
    const ours = (t: (typeof tasks)[number]) =>
      t.logGroupName === item.group &&
      t.destination === item.bucket &&
      t.destinationPrefix === item.destinationPrefix &&
      t.from === item.fromMs &&
      t.to === item.toMs;
    const mine = tasks.find((t) => ours(t) && (ACTIVE.has(t.status?.code ?? '') || t.status?.code === 'COMPLETED'));
    if (mine) return { status: 'resumed', taskId: mine.taskId! };
    const other = tasks.find((t) => ACTIVE.has(t.status?.code ?? ''));
    if (other) return { status: 'busy', activeTaskId: other.taskId!, activeGroup: other.logGroupName };
    const taskId = await logs.createExportTask({
      taskName: taskName(item),
      logGroupName: item.group,
      fromMs: item.fromMs,
      toMs: item.toMs,
      bucket: item.bucket,
      prefix: item.destinationPrefix,
    });
    recordMutation(deps.audit, 'logs:CreateExportTask', `${item.accountId}/${item.region}${item.group}`, {
      taskId,
      day: item.day,
      from: item.fromMs,
      to: item.toMs,
      destination: `s3://${item.bucket}/${item.destinationPrefix}`,
    });
    return { status: 'started', taskId };
  }

  async function logExportStatus(input: {
    target: AwsTarget;
    taskId: string;
  }): Promise<{ code: string; message?: string }> {
    const { target, taskId } = parse(taskSchema, input, 'logExportStatus');
    const t = await logsGateway(deps.aws, target).exportTask(taskId);
    return { code: t?.status?.code ?? 'UNKNOWN', message: t?.status?.message };
  }

  async function cancelLogExport(input: { target: AwsTarget; taskId: string }): Promise<{ cancelled: boolean }> {
    const { target, taskId } = parse(taskSchema, input, 'cancelLogExport');
    const logs = logsGateway(deps.aws, target);
    const t = await logs.exportTask(taskId);
    if (!t || !ACTIVE.has(t.status?.code ?? '') || t.status?.code === 'PENDING_CANCEL') return { cancelled: false };
    await logs.cancelExportTask(taskId);
    recordMutation(deps.audit, 'logs:CancelExportTask', `${target.accountId}/${target.region}${t.logGroupName ?? ''}`, {
      taskId,
    });
    return { cancelled: true };
  }

  /**
   * Checks the export wrote objects under its dated prefix (or that the day really had no events),
   * then writes the marker that makes the day "archived" for every later run.
   */
  async function verifyLogExport(input: { item: ExportItem; taskId: string }): Promise<VerifyResult> {
    const { item, taskId } = parse(verifySchema, input, 'verifyLogExport');
    const s3 = s3Gateway(deps.aws, targetOf(item));
    const objects = (await s3.list(item.bucket, `${item.destinationPrefix}/`)).filter(
      (o) => !o.key.endsWith(`/${MARKER}`) && !o.key.endsWith('/aws-logs-write-test'),
    );
    const bytes = objects.reduce((n, o) => n + o.size, 0);
    let empty = false;
    if (objects.length === 0) {
      if (await logsGateway(deps.aws, targetOf(item)).hasEvents(item.group, item.fromMs, item.toMs)) {
        return {
          ok: false,
          empty: false,
          objects: 0,
          bytes: 0,
          reason: `export ${taskId} COMPLETED but wrote nothing under s3://${item.bucket}/${item.destinationPrefix}/ although the day has events`,
        };
      }
      empty = true;
    }
    const marker: Marker = {
      taskId,
      objects: objects.length,
      bytes,
      archivedAt: deps.now().toISOString(),
      from: item.fromMs,
      to: item.toMs,
    };
    await s3.put(item.bucket, markerKey(item), JSON.stringify(marker));
    recordMutation(deps.audit, 's3:PutObject', `s3://${item.bucket}/${markerKey(item)}`, { ...marker });
    return { ok: true, empty, objects: objects.length, bytes };
  }

  /** Sets the group's retention (read first; written only when different). */
  async function setLogRetention(input: {
    target: AwsTarget;
    group: string;
    days: number;
  }): Promise<{ changed: boolean; before?: number }> {
    const { target, group, days } = parse(retentionSchema, input, 'setLogRetention');
    const logs = logsGateway(deps.aws, target);
    const g = await logs.group(group);
    if (!g) throw new ValidationError(`log group ${group} does not exist in ${target.accountId}/${target.region}`);
    if (g.retentionInDays === days) return { changed: false, before: days };
    await logs.putRetention(group, days);
    recordMutation(deps.audit, 'logs:PutRetentionPolicy', `${target.accountId}/${target.region}${group}`, {
      before: g.retentionInDays ?? null,
      after: days,
    });
    return { changed: true, before: g.retentionInDays };
  }

  return { planLogArchival, startLogExport, logExportStatus, cancelLogExport, verifyLogExport, setLogRetention };
}

export { exportKey };
