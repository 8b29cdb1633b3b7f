import * as workflows from '../workflows';
import type { EksflowConfig } from '../src/config/schema';
import { resolveTimetable, TIMETABLE, type ResolvedEntry, type TimetableEntry } from './timetable';
import type { ApplyOptions } from './apply';

/** Workflow types the worker registers: every export of workflows/index.ts. */
export function registeredWorkflowTypes(): string[] {
  return Object.keys(workflows).filter((k) => typeof (workflows as Record<string, unknown>)[k] === 'function');
}

/**
 * The timetable of a config, resolved against what this codebase's worker registers. The restore
 * drill's day of the month comes from `backups.restoreDrill.dayOfMonth` (0 = the entry is off).
 */
export function timetableFor(config: EksflowConfig, entries: readonly TimetableEntry[] = TIMETABLE): ResolvedEntry[] {
  const drillDay = config.backups.restoreDrill.dayOfMonth;
  const withDrillDay = entries.map((e) =>
    e.workflow !== 'backupRestoreDrill'
      ? e
      : drillDay > 0
        ? { ...e, dayOfMonth: drillDay }
        : { ...e, enabled: false, disabledReason: 'backups.restoreDrill.dayOfMonth is 0 (no monthly drill)' },
  );
  return resolveTimetable(config.timetable, registeredWorkflowTypes(), withDrillDay);
}

export function applyOptionsFor(config: EksflowConfig, taskQueue: string, prefix?: string): ApplyOptions {
  return {
    taskQueue,
    holidays: config.timetable.holidays,
    catchupWindowMs: config.timetable.catchupWindowMinutes * 60_000,
    ...(prefix ? { prefix } : {}),
  };
}
