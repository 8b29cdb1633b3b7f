import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { EksflowConfig } from '../config/schema';
import { ConflictError, NotFoundError } from '../errors';
import { applySchedules, DEFAULT_PREFIX, DISABLED_NOTE, scheduleIdFor, type ApplyReport } from '../../schedules/apply';
import { applyOptionsFor, timetableFor } from '../../schedules/from-config';
import type { ResolvedEntry } from '../../schedules/timetable';

/**
 * Client-side helpers of the timetable's Temporal Schedules, shared by the CLI (`eksflow
 * schedules …`), the operator API and the status page.
 */

export interface ScheduleContext {
  client: Client;
  config: EksflowConfig;
  taskQueue: string;
  prefix?: string;
}

export interface ScheduleView {
  id: string;
  scheduleId: string;
  time: string;
  days: number[];
  /** Monthly entries (the restore drill): the day of the month they run on. */
  dayOfMonth?: number;
  workflow: string;
  enabled: boolean;
  state: 'active' | 'paused' | 'disabled' | 'not applied';
  note: string;
  description: string;
  /** Next run as an ISO instant (UTC) and as the IST wall clock; absent when it will not run. */
  nextRun?: { utc: string; ist: string };
  /** The most recent runs this schedule started (newest last). */
  recentRuns: { at: string; workflowId: string }[];
}

const prefixOf = (ctx: ScheduleContext) => ctx.prefix ?? DEFAULT_PREFIX;

/** `2026-07-21T02:30:00.000Z` → `2026-07-21 08:00 IST`. */
export function istClock(ms: number): string {
  return `${new Date(ms + 5.5 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} IST`;
}

export function timetableEntries(ctx: ScheduleContext): ResolvedEntry[] {
  return timetableFor(ctx.config);
}

export function timetableEntry(ctx: ScheduleContext, id: string): ResolvedEntry {
  const entries = timetableEntries(ctx);
  const e = entries.find((x) => x.id === id || scheduleIdFor(x.id, prefixOf(ctx)) === id);
  if (!e) throw new NotFoundError(`unknown timetable entry "${id}" (known: ${entries.map((x) => x.id).join(', ')})`);
  return e;
}

async function describe(ctx: ScheduleContext, entry: ResolvedEntry) {
  return ctx.client.schedule
    .getHandle(scheduleIdFor(entry.id, prefixOf(ctx)))
    .describe()
    .catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
}

/** Every timetable entry with its schedule's state, next run (IST and UTC) and recent runs. */
export async function listSchedules(ctx: ScheduleContext): Promise<ScheduleView[]> {
  const out: ScheduleView[] = [];
  for (const e of timetableEntries(ctx)) {
    const desc = await describe(ctx, e);
    // A paused schedule still reports the times it would run; it will not, so show none.
    const next = desc && !desc.state.paused ? desc.info.nextActionTimes[0] : undefined;
    const state = !desc ? 'not applied' : !e.enabled ? 'disabled' : desc.state.paused ? 'paused' : 'active';
    const note = !e.enabled
      ? (e.disabledReason ?? '')
      : desc?.state.paused
        ? (desc.state.note ?? '').replace(DISABLED_NOTE, '')
        : e.description;
    out.push({
      id: e.id,
      scheduleId: scheduleIdFor(e.id, prefixOf(ctx)),
      time: e.time,
      days: e.days,
      ...(e.dayOfMonth !== undefined ? { dayOfMonth: e.dayOfMonth } : {}),
      workflow: e.workflow,
      enabled: e.enabled,
      state,
      note,
      description: e.description,
      ...(next ? { nextRun: { utc: next.toISOString(), ist: istClock(next.getTime()) } } : {}),
      recentRuns: (desc?.info.recentActions ?? []).map((a) => ({
        at: a.takenAt.toISOString(),
        workflowId: a.action.workflow.workflowId,
      })),
    });
  }
  return out;
}

/** Pauses one entry's schedule (disabled entries are always paused: a no-op). */
export async function pauseSchedule(ctx: ScheduleContext, id: string, note?: string): Promise<ResolvedEntry> {
  const e = timetableEntry(ctx, id);
  if (!e.enabled) return e;
  await ctx.client.schedule.getHandle(scheduleIdFor(e.id, prefixOf(ctx))).pause(note ?? 'paused by an operator');
  return e;
}

/** Unpauses one entry's schedule; a disabled entry cannot be unpaused (ConflictError). */
export async function unpauseSchedule(ctx: ScheduleContext, id: string, note?: string): Promise<ResolvedEntry> {
  const e = timetableEntry(ctx, id);
  if (!e.enabled) throw new ConflictError(`${e.id} is disabled: ${e.disabledReason}`);
  await ctx.client.schedule.getHandle(scheduleIdFor(e.id, prefixOf(ctx))).unpause(note ?? 'unpaused by an operator');
  return e;
}

/** Runs an entry's schedule now (skipped by Temporal when its previous run still goes). */
export async function triggerSchedule(ctx: ScheduleContext, id: string): Promise<ResolvedEntry> {
  const e = timetableEntry(ctx, id);
  if (!e.enabled) throw new ConflictError(`${e.id} is disabled: ${e.disabledReason}`);
  try {
    await ctx.client.schedule.getHandle(scheduleIdFor(e.id, prefixOf(ctx))).trigger(ScheduleOverlapPolicy.SKIP);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new ConflictError(`${e.id} is not applied yet: run "eksflow schedules apply"`);
    throw err;
  }
  return e;
}

/** Makes the Temporal Schedules match the timetable. */
export function applyTimetable(ctx: ScheduleContext): Promise<ApplyReport> {
  return applySchedules(ctx.client, timetableEntries(ctx), applyOptionsFor(ctx.config, ctx.taskQueue, prefixOf(ctx)));
}
