import type { Command } from 'commander';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import { connectClient } from '../client';
import {
  applyTimetable,
  listSchedules,
  pauseSchedule,
  timetableEntries,
  timetableEntry,
  triggerSchedule,
  unpauseSchedule,
  type ScheduleContext,
} from '../client/schedules';
import { formatIst } from '../domain/timetable/ist';
import { EksflowError } from '../errors';
import { DEFAULT_PREFIX } from '../../schedules/apply';
import { ensureHealthMonitors } from '../client/health';
import type { ResolvedEntry } from '../../schedules/timetable';
import { UsageError } from './usage-error';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

type Ctx = ScheduleContext & { entries: ResolvedEntry[] };

async function context(opts: { prefix?: string }): Promise<Ctx> {
  const env = readEnv();
  const config = loadConfigFile(env.EKSFLOW_CONFIG);
  const client = await connectClient(env);
  const ctx = { client, config, prefix: opts.prefix ?? DEFAULT_PREFIX, taskQueue: env.TEMPORAL_TASK_QUEUE };
  return { ...ctx, entries: timetableEntries(ctx) };
}

/** Errors of src/client/schedules.ts (unknown or disabled entry) are the operator's input: exit 2. */
async function asUsage<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EksflowError) throw new UsageError(err.message);
    throw err;
  }
}

function targets(ctx: Ctx, id: string | undefined, all: boolean | undefined, verb: string): Promise<ResolvedEntry[]> {
  if (all && id) throw new UsageError(`${verb}: give an entry id or --all, not both`);
  if (!all && !id) throw new UsageError(`${verb}: give an entry id or --all`);
  return asUsage(() => (all ? ctx.entries : [timetableEntry(ctx, id!)]));
}

export function formatDays(days: number[], dayOfMonth?: number): string {
  if (dayOfMonth !== undefined) return `monthly(${dayOfMonth})`;
  if (days.length === 7) return 'daily';
  if (days.join() === '1,2,3,4,5') return 'Mon–Fri';
  return days.map((d) => DAY_NAMES[d]).join(',');
}

export function registerScheduleCommands(program: Command): void {
  const cmd = program.command('schedules').description('The IST timetable as Temporal Schedules');
  const prefixOpt = ['--prefix <prefix>', `schedule id prefix (default ${DEFAULT_PREFIX})`] as const;

  cmd
    .command('apply')
    .description('Make the Temporal Schedules match the timetable (create, update, delete; identical ones untouched)')
    .option(...prefixOpt)
    .action(async (opts: { prefix?: string }) => {
      const ctx = await context(opts);
      const report = await applyTimetable(ctx);
      for (const c of report.changes)
        if (c.change !== 'unchanged')
          process.stdout.write(`${c.change.padEnd(8)} ${c.scheduleId}${c.detail ? ` (${c.detail})` : ''}\n`);
      const total = report.created + report.updated + report.deleted;
      process.stdout.write(
        `${total} change(s): ${report.created} created, ${report.updated} updated, ${report.deleted} deleted, ${report.unchanged} unchanged\n`,
      );
      // Long-lived monitors are not schedules, but apply is "make the deployment match the config".
      const monitors = await ensureHealthMonitors(ctx.client, ctx.config, ctx.taskQueue);
      if (monitors.length)
        process.stdout.write(
          `health monitors: ${monitors.filter((m) => m.started).length} started, ${monitors.filter((m) => !m.started).length} already running\n`,
        );
    });

  cmd
    .command('list')
    .description('Timetable entries with their schedule state and next runs (IST and UTC)')
    .option(...prefixOpt)
    .action(async (opts: { prefix?: string }) => {
      const ctx = await context(opts);
      const rows = [['ID', 'IST', 'DAYS', 'WORKFLOW', 'STATE', 'NEXT RUN', 'NOTE']];
      for (const v of await listSchedules(ctx)) {
        const next = v.nextRun ? `${formatIst(Date.parse(v.nextRun.utc))} (${v.nextRun.utc.slice(0, 16)}Z)` : '-';
        rows.push([v.id, v.time, formatDays(v.days, v.dayOfMonth), v.workflow, v.state, next, v.note]);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows)
        process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`);
    });

  cmd
    .command('pause [id]')
    .description('Pause a schedule (or --all) with a note')
    .option('--all', 'every timetable entry')
    .option('--note <text>', 'why (shown in list and the UI)')
    .option(...prefixOpt)
    .action(async (id: string | undefined, opts: { all?: boolean; note?: string; prefix?: string }) => {
      const ctx = await context(opts);
      for (const e of await targets(ctx, id, opts.all, 'pause')) {
        if (!e.enabled) continue;
        await pauseSchedule(ctx, e.id, opts.note);
        process.stdout.write(`paused ${e.id}\n`);
      }
    });

  cmd
    .command('unpause [id]')
    .description('Unpause a schedule (or --all); disabled entries stay paused')
    .option('--all', 'every enabled timetable entry')
    .option('--note <text>', 'note')
    .option(...prefixOpt)
    .action(async (id: string | undefined, opts: { all?: boolean; note?: string; prefix?: string }) => {
      const ctx = await context(opts);
      for (const e of await targets(ctx, id, opts.all, 'unpause')) {
        if (!e.enabled && opts.all) continue;
        await asUsage(() => unpauseSchedule(ctx, e.id, opts.note));
        process.stdout.write(`unpaused ${e.id}\n`);
      }
    });

  cmd
    .command('trigger <id>')
    .description('Run a schedule now (skipped if its previous run is still going)')
    .option(...prefixOpt)
    .action(async (id: string, opts: { prefix?: string }) => {
      const ctx = await context(opts);
      const e = await asUsage(() => triggerSchedule(ctx, id));
      process.stdout.write(`triggered ${e.id} (${e.workflow})\n`);
    });
}
