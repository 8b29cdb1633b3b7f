import { log, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { LogArchivalPlan } from '../../activities/logs';
import {
  groupsReadyForRetention,
  queuesByAccount,
  yesterdayIst,
  type ExportItem,
  type ExportOutcome,
} from '../../src/domain/logs/plan';
import { raiseAlert } from '../lib/alerts';
import { awsMutate, awsRead } from '../lib/presets';
import {
  logArchivalProgressQuery,
  type ExportRecord,
  type LogArchivalInput,
  type LogArchivalProgress,
  type LogArchivalSummary,
} from './messages';
import { pinRunConfig } from '../lib/config-pin';

const { planLogArchival, logExportStatus } = proxyActivities<Activities>(awsRead);
const { startLogExport, verifyLogExport, cancelLogExport, setLogRetention } = proxyActivities<Activities>(awsMutate);

export type { LogArchivalInput, LogArchivalSummary };

/**
 * One (group, day): start (or resume) the export, wait for it with durable timers, verify the
 * objects. A FAILED or CANCELLED task, or one that wrote nothing for a day with events, is started
 * again (a new task) up to maxAttempts; a day already archived is never exported again.
 */
const targetOf = (i: ExportItem) => ({
  accountId: i.accountId,
  region: i.region,
  ...(i.roleArn ? { roleArn: i.roleArn } : {}),
});

async function exportOne(
  item: ExportItem,
  s: LogArchivalPlan['settings'],
  counters: { tasks: number },
): Promise<ExportOutcome> {
  const tried: string[] = [];
  let attempts = 0;
  let reason = 'not started';
  const busySince = Date.now();
  while (attempts < s.maxAttempts) {
    const started = await startLogExport({ item, ignoreTaskIds: tried });
    if (started.status === 'already-archived')
      return { status: 'already-archived', objects: started.objects, bytes: started.bytes };
    if (started.status === 'busy') {
      // Another export (not ours) holds the account's one slot: wait for it, within the timeout.
      if (Date.now() - busySince > s.exportTimeoutMinutes * 60_000)
        return {
          status: 'failed',
          attempts,
          reason: `account busy with export ${started.activeTaskId} (${started.activeGroup ?? '?'}) for over ${s.exportTimeoutMinutes} min`,
        };
      await sleep(s.pollSeconds * 1000);
      continue;
    }
    attempts++;
    counters.tasks++;
    const taskId = started.taskId;
    const t0 = Date.now();
    for (;;) {
      await sleep(s.pollSeconds * 1000);
      const st = await logExportStatus({ target: targetOf(item), taskId });
      if (st.code === 'COMPLETED') {
        const v = await verifyLogExport({ item, taskId });
        if (v.ok) {
          return v.empty
            ? { status: 'empty', taskId, attempts, startedMs: t0, endedMs: Date.now() }
            : {
                status: 'exported',
                taskId,
                attempts,
                objects: v.objects,
                bytes: v.bytes,
                startedMs: t0,
                endedMs: Date.now(),
              };
        }
        reason = v.reason ?? 'verification failed';
        break;
      }
      if (st.code === 'FAILED' || st.code === 'CANCELLED') {
        reason = `task ${taskId} ${st.code}${st.message ? `: ${st.message}` : ''}`;
        break;
      }
      if (Date.now() - t0 > s.exportTimeoutMinutes * 60_000) {
        await cancelLogExport({ target: targetOf(item), taskId });
        reason = `task ${taskId} still ${st.code} after ${s.exportTimeoutMinutes} min: cancelled`;
        break;
      }
    }
    tried.push(taskId);
    log.warn('log export attempt failed', { key: item.key, attempt: attempts, reason });
  }
  return { status: 'failed', attempts, reason, ...(tried.length ? { taskId: tried[tried.length - 1] } : {}) };
}

/**
 * 04:00 IST: yesterday's events of each cluster's log groups exported to S3 under a dated prefix,
 * one export task at a time per account (the CloudWatch Logs limit), waited for with durable
 * timers, verified; then the retention policy on every group whose days are all archived.
 * Days an earlier run did not finish (within catchUpDays) are exported too; finished days never again.
 */
export async function logArchival(input: LogArchivalInput = {}): Promise<LogArchivalSummary> {
  const configVersion = await pinRunConfig(input.configVersion);
  const startedMs = Date.now();
  const progress: LogArchivalProgress = { planned: 0, finished: 0, current: {}, phase: 'planning' };
  setHandler(logArchivalProgressQuery, () => progress);
  const date = input.date ?? yesterdayIst(startedMs);
  progress.date = date;
  const plan = await planLogArchival({ date, ...(input.clusters ? { clusters: input.clusters } : {}) });
  progress.planned = plan.items.length;
  const outcomes: Record<string, ExportOutcome> = {};
  for (const a of plan.alreadyArchived)
    outcomes[a.key] = { status: 'already-archived', objects: a.objects, bytes: a.bytes };
  const counters = { tasks: 0 };
  const retention: LogArchivalSummary['retention'] = {
    days: plan.settings.retentionDays,
    changed: [],
    unchanged: 0,
    skipped: [],
  };

  if (!input.dryRun) {
    progress.phase = 'exporting';
    await Promise.all(
      Object.entries(queuesByAccount(plan.items)).map(async ([account, queue]) => {
        for (const item of queue) {
          progress.current[account] = item.key;
          outcomes[item.key] = await exportOne(item, plan.settings, counters);
          progress.finished++;
        }
        progress.current[account] = undefined;
      }),
    );
    progress.phase = 'retention';
    const ready = new Set(groupsReadyForRetention(plan.items, outcomes, plan.groups));
    for (const g of plan.groups) {
      const k = `${g.accountId}/${g.region}${g.group}`;
      if (!ready.has(k)) {
        retention.skipped.push(k);
        continue;
      }
      const r = await setLogRetention({
        target: { accountId: g.accountId, region: g.region, ...(g.roleArn ? { roleArn: g.roleArn } : {}) },
        group: g.group,
        days: plan.settings.retentionDays,
      });
      if (r.changed) retention.changed.push(k);
      else retention.unchanged++;
    }
  }

  const exports: ExportRecord[] = plan.items
    .filter((i) => outcomes[i.key])
    .map((i) => ({ key: i.key, accountId: i.accountId, group: i.group, day: i.day, outcome: outcomes[i.key]! }));
  const all = Object.values(outcomes);
  const failed = exports
    .filter((e) => e.outcome.status === 'failed')
    .map((e) => ({ key: e.key, reason: (e.outcome as { reason: string }).reason }));
  const objects = all.reduce((n, o) => n + ('objects' in o ? o.objects : 0), 0);
  const bytes = all.reduce((n, o) => n + ('bytes' in o ? o.bytes : 0), 0);
  const count = (st: ExportOutcome['status']) => all.filter((o) => o.status === st).length;
  const summary: LogArchivalSummary = {
    ...(configVersion !== undefined ? { configVersion } : {}),
    date,
    days: plan.days,
    dryRun: input.dryRun === true,
    groups: plan.groups.length,
    planned: plan.items.length,
    exported: count('exported'),
    empty: count('empty'),
    alreadyArchived: count('already-archived'),
    failed,
    tasks: counters.tasks,
    objects,
    bytes,
    retention,
    durationMs: Date.now() - startedMs,
    exports,
    problems: plan.problems,
    headline: input.dryRun
      ? `log archival ${date} (dry run): ${plan.items.length} export(s) owed over ${plan.groups.length} group(s); ${plan.alreadyArchived.length} already archived`
      : `log archival ${date}: ${count('exported')} exported, ${count('empty')} empty, ${count('already-archived')} already archived, ${failed.length} failed; ${counters.tasks} task(s), ${objects} object(s), ${bytes} bytes; retention ${plan.settings.retentionDays} d set on ${retention.changed.length} group(s)`,
  };
  progress.phase = 'done';
  if (failed.length > 0 || plan.problems.length > 0) {
    try {
      await raiseAlert({
        severity: 'warning',
        type: 'log_archival_failed',
        dedupKey: `log-archival/${date}`,
        summary: `Log archival ${date}: ${failed.length} export(s) failed${plan.problems.length ? `, ${plan.problems.length} problem(s)` : ''}; retention not changed on those groups`,
        details: { failed: failed.map((f) => `${f.key}: ${f.reason}`).join('\n'), problems: plan.problems.join('\n') },
      });
    } catch (err) {
      log.warn('log archival alert failed', { error: String(err) });
    }
  }
  return summary;
}
