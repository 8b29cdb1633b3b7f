import { defineQuery } from '@temporalio/workflow';
import type { ExportOutcome } from '../../src/domain/logs/plan';

export interface LogArchivalInput {
  /** Config version the run uses (config sync, ssm mode); the worker's version in force at the start when absent. */
  configVersion?: number;
  /** IST date to archive (YYYY-MM-DD); yesterday (IST) at the run's start when absent. */
  date?: string;
  clusters?: string[];
  /** Plan only: list what would be exported, export nothing, change no retention. */
  dryRun?: boolean;
}

export interface ExportRecord {
  key: string;
  accountId: string;
  group: string;
  day: string;
  outcome: ExportOutcome;
}

export interface LogArchivalSummary {
  /** The config version the run used (ssm mode); absent with a config file. */
  configVersion?: number;
  date: string;
  days: string[];
  dryRun: boolean;
  groups: number;
  /** (group, day) pairs the run owed at its start. */
  planned: number;
  exported: number;
  empty: number;
  alreadyArchived: number;
  failed: { key: string; reason: string }[];
  /** Export tasks created or resumed (all attempts). */
  tasks: number;
  objects: number;
  bytes: number;
  retention: { days: number; changed: string[]; unchanged: number; skipped: string[] };
  durationMs: number;
  exports: ExportRecord[];
  problems: string[];
  headline: string;
}

export interface LogArchivalProgress {
  date?: string;
  planned: number;
  finished: number;
  /** Per account, the (group, day) being exported now: at most one per account. */
  current: Record<string, string | undefined>;
  phase: 'planning' | 'exporting' | 'retention' | 'done';
}

export const logArchivalProgressQuery = defineQuery<LogArchivalProgress>('logArchivalProgress');
