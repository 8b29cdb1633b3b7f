import type { TimetableConfig } from '../src/config/timetable';

/**
 * The IST timetable as data: one entry per scheduled job. `schedules/apply.ts` makes the
 * Temporal Schedules match this list. Times are IST (Asia/Kolkata); `days` is `business`
 * (timetable.businessDays, holidays skipped), `daily` or `monthly` (on `dayOfMonth`). Entries whose workflow no issue has
 * delivered yet stay disabled with the reason, which `eksflow schedules list` prints.
 */
export interface TimetableEntry {
  id: string;
  /** HH:MM, IST. */
  time: string;
  days: 'business' | 'daily' | 'monthly';
  /** Monthly entries: the day of the month (IST) they run on. */
  dayOfMonth?: number;
  workflow: string;
  args: unknown[];
  enabled: boolean;
  /** Why the entry is disabled (shown by `schedules list`). */
  disabledReason?: string;
  description: string;
}

/** A resolved entry: config overrides applied, days as weekday numbers (0 = Sunday). */
export interface ResolvedEntry extends Omit<TimetableEntry, 'days'> {
  days: number[];
  /** Business-day entries skip holidays; daily ones (backups, scans) run every day. */
  skipHolidays: boolean;
}

export const TIMETABLE: readonly TimetableEntry[] = [
  {
    id: 'pre-work-analysis',
    time: '07:30',
    days: 'business',
    workflow: 'preWorkAnalysis',
    args: [{}],
    enabled: true,
    description: 'publish the plan the 08:00 scale-up will apply (dry run)',
  },
  {
    id: 'scale-up',
    time: '08:00',
    days: 'business',
    workflow: 'scaleUpFleet',
    args: [{}],
    enabled: true,
    description: 'production scale-up to business-hours sizes',
  },
  {
    id: 'health-verification',
    time: '08:30',
    days: 'business',
    workflow: 'verifyFleetHealth',
    args: [{}],
    enabled: true,
    description: 'node groups at target, ACTIVE, instances InService; the PromQL health checks',
  },
  {
    id: 'cost-analysis',
    time: '10:00',
    days: 'business',
    workflow: 'costAnalysis',
    args: [{}],
    enabled: true,
    description: 'daily cost analysis report',
  },
  {
    id: 'spot-optimization',
    time: '11:00',
    days: 'business',
    workflow: 'spotOptimization',
    args: [{}],
    enabled: true,
    description: 'spot opportunities and recommendations',
  },
  {
    id: 'performance-tuning',
    time: '14:00',
    days: 'business',
    workflow: 'performanceTuning',
    args: [{}],
    enabled: true,
    description: 'right-sizing proposals per node group (7 days of CPU/memory + forecast), each pending approval',
  },
  {
    id: 'traffic-analysis',
    time: '17:30',
    days: 'business',
    workflow: 'trafficAnalysis',
    args: [{}],
    enabled: true,
    description: "publish tonight's gradual scale-down plan (dry run with safety checks)",
  },
  {
    id: 'gradual-scale-down',
    time: '18:00',
    days: 'business',
    workflow: 'scaleDownFleet',
    args: [{}],
    enabled: true,
    description: 'gradual scale-down to off-hours sizes, 18:00–18:30',
  },
  {
    id: 'resource-cleanup',
    time: '19:00',
    days: 'business',
    workflow: 'resourceCleanup',
    args: [{}],
    enabled: true,
    description:
      'tag unused volumes, snapshots, EIPs, ENIs, launch templates, instances; delete expired ones (cleanup.mode)',
  },
  {
    id: 'backups',
    time: '02:00',
    days: 'daily',
    workflow: 'backups',
    args: [{}],
    enabled: true,
    description: 'EBS snapshots of tagged volumes, DR copy, GFS retention',
  },
  {
    id: 'restore-drill',
    time: '05:00',
    days: 'monthly',
    dayOfMonth: 1,
    workflow: 'backupRestoreDrill',
    args: [{ alertOnFailure: true }],
    enabled: true,
    description: 'restore drill: a volume from the newest eksflow snapshot, checked available, deleted',
  },
  {
    id: 'security-scans',
    time: '03:00',
    days: 'daily',
    workflow: 'securityScans',
    args: [{}],
    enabled: true,
    description:
      'security scan of every cluster (EKS, EC2, IAM, AWS services), report with the diff, alert on new critical/high',
  },
  {
    id: 'log-archival',
    time: '04:00',
    days: 'daily',
    workflow: 'logArchival',
    args: [{}],
    enabled: true,
    description: "yesterday's EKS log groups exported to S3 (one task per account at a time), then retention",
  },
];

/**
 * The timetable for a config: per-entry overrides from `timetable.entries` applied, and any
 * entry whose workflow type the worker does not register disabled with that reason (so a
 * schedule never starts a workflow nobody can run).
 */
export function resolveTimetable(
  tt: Pick<TimetableConfig, 'businessDays' | 'entries'>,
  registeredWorkflows: readonly string[],
  entries: readonly TimetableEntry[] = TIMETABLE,
): ResolvedEntry[] {
  const unknown = Object.keys(tt.entries).filter((id) => !entries.some((e) => e.id === id));
  if (unknown.length)
    throw new Error(
      `timetable.entries: unknown entry id(s) ${unknown.join(', ')} (known: ${entries.map((e) => e.id).join(', ')})`,
    );
  return entries.map((e) => {
    const o = tt.entries[e.id] ?? {};
    let enabled = o.enabled ?? e.enabled;
    let disabledReason = e.disabledReason;
    if (!e.enabled)
      enabled = false; // the config cannot enable a job nobody delivers
    else if (!registeredWorkflows.includes(e.workflow)) {
      enabled = false;
      disabledReason = `workflow ${e.workflow} is not registered by this worker (not delivered yet)`;
    } else if (o.enabled === false) disabledReason = 'disabled in the config (timetable.entries)';
    const days = o.days ?? (e.days === 'business' ? tt.businessDays : [0, 1, 2, 3, 4, 5, 6]);
    const dayOfMonth = e.days === 'monthly' ? (o.dayOfMonth ?? e.dayOfMonth ?? 1) : undefined;
    return {
      ...e,
      time: o.time ?? e.time,
      days: [...days].sort(),
      ...(dayOfMonth !== undefined ? { dayOfMonth } : {}),
      skipHolidays: e.days === 'business',
      enabled,
      ...(enabled ? { disabledReason: undefined } : { disabledReason }),
    };
  });
}
