import type { Command } from 'commander';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { readEnv } from '../config/env';
import { loadConfigFile } from '../config/load';
import { connectClient } from '../client';
import { formatIst } from '../domain/timetable/ist';
import { ensureHealthMonitors } from '../client/health';
import { applySchedules, DEFAULT_PREFIX, DISABLED_NOTE, scheduleIdFor } from '../../schedules/apply';
import { applyOptionsFor, timetableFor } from '../../schedules/from-config';
import type { ResolvedEntry } from '../../schedules/timetable';
import { UsageError } from './usage-error';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface Ctx { client: Client; entries: ResolvedEntry[]; prefix: string; taskQueue: string; config: ReturnType<typeof loadConfigFile> }

async function context(opts: { prefix?: string }): Promise<Ctx> {
  const env = readEnv();
  const config = loadConfigFile(env.EKSFLOW_CONFIG);
  const client = await connectClient(env);
  return { client, entries: timetableFor(config), prefix: opts.prefix ?? DEFAULT_PREFIX, taskQueue: env.TEMPORAL_TASK_QUEUE, config };
}

function entryById(ctx: Ctx, id: string): ResolvedEntry {
  const e = ctx.entries.find((x) => x.id === id || scheduleIdFor(x.id, ctx.prefix) === id);
  if (!e) throw new UsageError(`unknown timetable entry "${id}" (known: ${ctx.entries.map((x) => x.id).join(', ')})`);
  return e;
}

function targets(ctx: Ctx, id: string | undefined, all: boolean | undefined, verb: string): ResolvedEntry[] {
  if (all && id) throw new UsageError(`${verb}: give an entry id or --all, not both`);
  if (!all && !id) throw new UsageError(`${verb}: give an entry id or --all`);
  return all ? ctx.entries : [entryById(ctx, id!)];
}

export function formatDays(days: number[]): string {
  if (days.length === 7) return 'daily';
  if (days.join() === '1,2,3,4,5') return 'Mon–Fri';
  return days.map((d) => DAY_NAMES[d]).join(',');
}

export function registerScheduleCommands(program: Command): void {
  const cmd = program.command('schedules').description('The IST timetable as Temporal Schedules');
  const prefixOpt = ['--prefix <prefix>', `schedule id prefix (default ${DEFAULT_PREFIX})`] as const;

  cmd.command('apply').description('Make the Temporal Schedules match the timetable (create, update, delete; identical ones untouched)')
    .option(...prefixOpt)
    .action(async (opts: { prefix?: string }) => {
      const ctx = await context(opts);
      const report = await applySchedules(ctx.client, ctx.entries, applyOptionsFor(ctx.config, ctx.taskQueue, ctx.prefix));
      for (const c of report.changes) if (c.change !== 'unchanged') process.stdout.write(`${c.change.padEnd(8)} ${c.scheduleId}${c.detail ? ` (${c.detail})` : ''}\n`);
      const total = report.created + report.updated + report.deleted;
      process.stdout.write(`${total} change(s): ${report.created} created, ${report.updated} updated, ${report.deleted} deleted, ${report.unchanged} unchanged\n`);
      // Long-lived monitors are not schedules, but apply is "make the deployment match the config".
      const monitors = await ensureHealthMonitors(ctx.client, ctx.config, ctx.taskQueue);
      if (monitors.length) process.stdout.write(`health monitors: ${monitors.filter((m) => m.started).length} started, ${monitors.filter((m) => !m.started).length} already running\n`);
    });

  cmd.command('list').description('Timetable entries with their schedule state and next runs (IST and UTC)')
    .option(...prefixOpt)
    .action(async (opts: { prefix?: string }) => {
      const ctx = await context(opts);
      const rows = [['ID', 'IST', 'DAYS', 'WORKFLOW', 'STATE', 'NEXT RUN', 'NOTE']];
      for (const e of ctx.entries) {
        const desc = await ctx.client.schedule.getHandle(scheduleIdFor(e.id, ctx.prefix)).describe().catch((err: unknown) => {
          if (err instanceof ScheduleNotFoundError) return undefined;
          throw err;
        });
        // A paused schedule still reports the times it would run; it will not, so show none.
        const next = desc && !desc.state.paused ? desc.info.nextActionTimes[0] : undefined;
        const state = !desc ? 'not applied' : !e.enabled ? 'disabled' : desc.state.paused ? 'paused' : 'active';
        const note = !e.enabled ? (e.disabledReason ?? '') : desc?.state.paused ? (desc.state.note ?? '').replace(DISABLED_NOTE, '') : e.description;
        rows.push([e.id, e.time, formatDays(e.days), e.workflow, state, next ? `${formatIst(next.getTime())} (${next.toISOString().slice(0, 16)}Z)` : '-', note]);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`);
    });

  cmd.command('pause [id]').description('Pause a schedule (or --all) with a note')
    .option('--all', 'every timetable entry').option('--note <text>', 'why (shown in list and the UI)').option(...prefixOpt)
    .action(async (id: string | undefined, opts: { all?: boolean; note?: string; prefix?: string }) => {
      const ctx = await context(opts);
      for (const e of targets(ctx, id, opts.all, 'pause')) {
        if (!e.enabled) continue;
        await ctx.client.schedule.getHandle(scheduleIdFor(e.id, ctx.prefix)).pause(opts.note ?? 'paused by an operator');
        process.stdout.write(`paused ${e.id}\n`);
      }
    });

  cmd.command('unpause [id]').description('Unpause a schedule (or --all); disabled entries stay paused')
    .option('--all', 'every enabled timetable entry').option('--note <text>', 'note').option(...prefixOpt)
    .action(async (id: string | undefined, opts: { all?: boolean; note?: string; prefix?: string }) => {
      const ctx = await context(opts);
      for (const e of targets(ctx, id, opts.all, 'unpause')) {
        if (!e.enabled) {
          if (!opts.all) throw new UsageError(`${e.id} is disabled: ${e.disabledReason}`);
          continue;
        }
        await ctx.client.schedule.getHandle(scheduleIdFor(e.id, ctx.prefix)).unpause(opts.note ?? 'unpaused by an operator');
        process.stdout.write(`unpaused ${e.id}\n`);
      }
    });

  cmd.command('trigger <id>').description('Run a schedule now (skipped if its previous run is still going)')
    .option(...prefixOpt)
    .action(async (id: string, opts: { prefix?: string }) => {
      const ctx = await context(opts);
      const e = entryById(ctx, id);
      if (!e.enabled) throw new UsageError(`${e.id} is disabled: ${e.disabledReason}`);
      await ctx.client.schedule.getHandle(scheduleIdFor(e.id, ctx.prefix)).trigger(ScheduleOverlapPolicy.SKIP);
      process.stdout.write(`triggered ${e.id} (${e.workflow})\n`);
    });
}
