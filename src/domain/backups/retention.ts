/**
 * Grandfather-father-son retention over the snapshots eksflow made of one volume.
 *
 * Semantics (the same as restic's `forget --keep-daily/--keep-weekly/--keep-monthly`): walk the
 * snapshots newest first; for each rule, a snapshot is kept when its bucket (day, ISO week,
 * month) differs from the bucket of the last snapshot that rule kept, until the rule has kept
 * its count. The newest snapshot is always kept. The result depends only on the snapshots and
 * their times, never on "now", so a plan recomputed after some of its deletions were applied
 * deletes nothing new: deleting the removed set leaves the kept set unchanged.
 */

export interface KeepPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

export interface RetentionInput {
  id: string;
  /** ISO 8601. */
  takenAt: string;
}

export type KeepReason = 'latest' | 'daily' | 'weekly' | 'monthly';

export interface RetentionPlan {
  keep: { id: string; takenAt: string; reasons: KeepReason[] }[];
  remove: { id: string; takenAt: string }[];
}

/** Buckets are computed in a fixed offset from UTC (default IST, +05:30), the timetable's zone. */
export const IST_OFFSET_MINUTES = 330;

function local(iso: string, offsetMinutes: number): Date {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO time: ${iso}`);
  return new Date(ms + offsetMinutes * 60_000);
}

export function dayBucket(iso: string, offsetMinutes = IST_OFFSET_MINUTES): string {
  return local(iso, offsetMinutes).toISOString().slice(0, 10);
}

export function monthBucket(iso: string, offsetMinutes = IST_OFFSET_MINUTES): string {
  return local(iso, offsetMinutes).toISOString().slice(0, 7);
}

/** ISO 8601 week, e.g. `2026-W49` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function weekBucket(iso: string, offsetMinutes = IST_OFFSET_MINUTES): string {
  const d = local(iso, offsetMinutes);
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function planRetention(
  snapshots: readonly RetentionInput[],
  keep: KeepPolicy,
  offsetMinutes = IST_OFFSET_MINUTES,
): RetentionPlan {
  const sorted = [...snapshots].sort(
    (a, b) => Date.parse(b.takenAt) - Date.parse(a.takenAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  const rules: { reason: Exclude<KeepReason, 'latest'>; count: number; bucket: (iso: string) => string }[] = [
    { reason: 'daily', count: keep.daily, bucket: (t) => dayBucket(t, offsetMinutes) },
    { reason: 'weekly', count: keep.weekly, bucket: (t) => weekBucket(t, offsetMinutes) },
    { reason: 'monthly', count: keep.monthly, bucket: (t) => monthBucket(t, offsetMinutes) },
  ];
  const state = rules.map(() => ({ last: undefined as string | undefined, left: 0 }));
  rules.forEach((r, i) => (state[i]!.left = r.count));
  const plan: RetentionPlan = { keep: [], remove: [] };
  sorted.forEach((s, index) => {
    const reasons: KeepReason[] = index === 0 ? ['latest'] : [];
    rules.forEach((rule, i) => {
      const st = state[i]!;
      const b = rule.bucket(s.takenAt);
      if (st.left > 0 && b !== st.last) {
        reasons.push(rule.reason);
        st.last = b;
        st.left -= 1;
      }
    });
    if (reasons.length > 0) plan.keep.push({ id: s.id, takenAt: s.takenAt, reasons });
    else plan.remove.push({ id: s.id, takenAt: s.takenAt });
  });
  return plan;
}

/**
 * How long a policy can keep a snapshot at most (days): cleanup treats an eksflow snapshot
 * older than this (e.g. of a volume that no longer exists, which no backup run prunes) as past
 * its retention.
 */
export function retentionHorizonDays(keep: KeepPolicy): number {
  return Math.max(keep.daily, keep.weekly * 7, keep.monthly * 31, 1);
}
