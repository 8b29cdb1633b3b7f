import { createHash } from 'node:crypto';
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type CalendarSpec,
  type Client,
  type DayOfWeek,
  type Month,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import { SA_ACTION } from '../src/search-attributes';
import { IST_TIMEZONE, parseClock } from '../src/domain/timetable/ist';
import type { ResolvedEntry } from './timetable';

/**
 * Makes the Temporal Schedules match the timetable: creates missing ones, updates changed ones,
 * deletes removed ones and leaves identical ones untouched, so applying twice changes nothing.
 * A schedule counts as eksflow's when its id starts with the prefix (default `eksflow/`).
 */
export interface ApplyOptions {
  taskQueue: string;
  holidays: string[];
  catchupWindowMs: number;
  /** Schedule id prefix; tests use their own so they never touch each other's schedules. */
  prefix?: string;
}

export type ChangeKind = 'created' | 'updated' | 'deleted' | 'unchanged';
export interface ApplyReport {
  changes: { scheduleId: string; change: ChangeKind; detail?: string }[];
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

export const DEFAULT_PREFIX = 'eksflow/';
/** Notes of schedules paused because their entry is disabled start with this; operator pauses do not. */
export const DISABLED_NOTE = 'disabled: ';
/** Action-memo key holding the hash of the definition a schedule was last applied from. */
export const DEFINITION_MEMO = 'eksflowDefinition';

const WEEKDAYS: DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
const MONTHS: Month[] = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];

export function scheduleIdFor(entryId: string, prefix = DEFAULT_PREFIX): string {
  return `${prefix}${entryId}`;
}

/**
 * A whole-day skip for a holiday. Skip calendars match to the second, so hour, minute and second
 * must each match every value ('*'): with the defaults (0) only 00:00:00 would be skipped.
 */
export function holidaySkip(date: string): CalendarSpec {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return {
    year: y,
    month: MONTHS[m - 1]!,
    dayOfMonth: d,
    hour: '*',
    minute: '*',
    second: '*',
    comment: `holiday ${date}`,
  };
}

/** The definition a schedule is built from; its hash decides "changed". */
function definition(entry: ResolvedEntry, opts: ApplyOptions) {
  return {
    time: entry.time,
    days: entry.days,
    dayOfMonth: entry.dayOfMonth,
    holidays: entry.skipHolidays ? [...opts.holidays].sort() : [],
    workflow: entry.workflow,
    args: entry.args,
    taskQueue: opts.taskQueue,
    catchupWindowMs: opts.catchupWindowMs,
    timezone: IST_TIMEZONE,
    enabled: entry.enabled,
  };
}

export function definitionHash(entry: ResolvedEntry, opts: ApplyOptions): string {
  return createHash('sha256')
    .update(JSON.stringify(definition(entry, opts)))
    .digest('hex')
    .slice(0, 16);
}

export function scheduleOptionsFor(entry: ResolvedEntry, opts: ApplyOptions): ScheduleOptions {
  const [hour, minute] = parseClock(entry.time);
  const scheduleId = scheduleIdFor(entry.id, opts.prefix);
  return {
    scheduleId,
    spec: {
      calendars: [
        {
          hour,
          minute,
          dayOfWeek: entry.days.map((d) => WEEKDAYS[d]!),
          ...(entry.dayOfMonth !== undefined ? { dayOfMonth: entry.dayOfMonth } : {}),
          comment: `${entry.time} IST ${entry.description}`,
        },
      ],
      skip: entry.skipHolidays ? [...opts.holidays].sort().map(holidaySkip) : [],
      timezone: IST_TIMEZONE,
    },
    action: {
      type: 'startWorkflow',
      workflowType: entry.workflow,
      // The server appends the scheduled time, so each run has its own id.
      workflowId: `${scheduleId}`,
      taskQueue: opts.taskQueue,
      args: entry.args,
      memo: { [DEFINITION_MEMO]: definitionHash(entry, opts) },
      typedSearchAttributes: [{ key: SA_ACTION, value: entry.id }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: opts.catchupWindowMs },
    memo: { managedBy: 'eksflow', entry: entry.id },
    typedSearchAttributes: [{ key: SA_ACTION, value: entry.id }],
    state: entry.enabled
      ? { paused: false }
      : { paused: true, note: `${DISABLED_NOTE}${entry.disabledReason ?? 'entry disabled'}` },
  };
}

function isUpToDate(desc: ScheduleDescription, entry: ResolvedEntry, opts: ApplyOptions): boolean {
  const action = desc.action as {
    type: string;
    workflowType?: string;
    taskQueue?: string;
    memo?: Record<string, unknown>;
  };
  if (action.type !== 'startWorkflow' || action.workflowType !== entry.workflow || action.taskQueue !== opts.taskQueue)
    return false;
  if (action.memo?.[DEFINITION_MEMO] !== definitionHash(entry, opts)) return false;
  if (desc.spec.timezone !== IST_TIMEZONE) return false;
  const disabledPause = desc.state.paused && (desc.state.note ?? '').startsWith(DISABLED_NOTE);
  // An operator's pause of an enabled entry is theirs to lift; apply does not undo it.
  return entry.enabled ? !disabledPause : desc.state.paused;
}

async function listManagedIds(client: Client, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(prefix)) ids.push(s.scheduleId);
  return ids;
}

export async function applySchedules(
  client: Client,
  entries: ResolvedEntry[],
  opts: ApplyOptions,
): Promise<ApplyReport> {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const report: ApplyReport = { changes: [], created: 0, updated: 0, deleted: 0, unchanged: 0 };
  const note = (scheduleId: string, change: ChangeKind, detail?: string) => {
    report.changes.push({ scheduleId, change, ...(detail ? { detail } : {}) });
    report[change]++;
  };
  const wanted = new Set(entries.map((e) => scheduleIdFor(e.id, prefix)));
  for (const entry of entries) {
    const options = scheduleOptionsFor(entry, { ...opts, prefix });
    const handle = client.schedule.getHandle(options.scheduleId);
    // Describe (strongly consistent) rather than trust the list (eventually consistent).
    const desc = await handle.describe().catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
    if (!desc) {
      await client.schedule.create(options);
      note(options.scheduleId, 'created');
      continue;
    }
    if (isUpToDate(desc, entry, opts)) {
      note(options.scheduleId, 'unchanged');
      continue;
    }
    await handle.update((prev) => {
      const keepOperatorPause =
        entry.enabled && prev.state.paused && !(prev.state.note ?? '').startsWith(DISABLED_NOTE);
      const { scheduleId: _id, memo: _memo, ...rest } = options;
      return { ...rest, state: keepOperatorPause ? { paused: true, note: prev.state.note } : options.state! };
    });
    note(options.scheduleId, 'updated');
  }
  for (const id of await listManagedIds(client, prefix)) {
    if (wanted.has(id)) continue;
    await client.schedule
      .getHandle(id)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
    note(id, 'deleted', 'no longer in the timetable');
  }
  return report;
}
