/**
 * Log archival planning: which (log group, day) exports a run still owes, in which order, and
 * what to call them. Pure: the workflow and the activities hand in what they read.
 */

const DAY_MS = 86_400_000;
const IST_OFFSET_MS = 5.5 * 3_600_000;

/** The IST calendar date of an instant. */
export function istDate(ms: number): string {
  return new Date(ms + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Yesterday in IST, as seen at `ms` (the 04:00 IST run archives the previous IST day). */
export function yesterdayIst(ms: number): string {
  return istDate(ms - DAY_MS);
}

export function isIsoDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

/** [from, to] in ms of an IST day, both inclusive (CreateExportTask's bounds): 00:00:00.000 to 23:59:59.999 IST. */
export function istDayWindow(date: string): { fromMs: number; toMs: number } {
  const fromMs = Date.parse(`${date}T00:00:00Z`) - IST_OFFSET_MS;
  return { fromMs, toMs: fromMs + DAY_MS - 1 };
}

/** `date` and the `catchUpDays` days before it, oldest first. */
export function archiveDays(date: string, catchUpDays: number): string[] {
  const base = Date.parse(`${date}T00:00:00Z`);
  return Array.from({ length: catchUpDays + 1 }, (_, i) =>
    new Date(base - (catchUpDays - i) * DAY_MS).toISOString().slice(0, 10),
  );
}

export function expandTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
}

/** `<prefix>/<account>/<region>/<group without leading slash>/<YYYY>/<MM>/<DD>`: one folder per group and day. */
export function datedPrefix(prefix: string, accountId: string, region: string, group: string, date: string): string {
  const [y, m, d] = date.split('-');
  return `${prefix}/${accountId}/${region}/${group.replace(/^\/+/, '')}/${y}/${m}/${d}`;
}

export interface ArchiveGroup {
  accountId: string;
  region: string;
  roleArn?: string;
  cluster: string;
  group: string;
  bucket: string;
}

export interface ExportItem extends ArchiveGroup {
  /** Stable key of (account, region, group, day). */
  key: string;
  day: string;
  fromMs: number;
  toMs: number;
  destinationPrefix: string;
}

export function exportKey(g: Pick<ArchiveGroup, 'accountId' | 'region' | 'group'>, day: string): string {
  return `${g.accountId}/${g.region}${g.group}@${day}`;
}

/**
 * The exports still owed: every (group, day) not already archived, oldest day first, in a
 * deterministic order (account, region, group, day). A group's creation time is not used to skip
 * days: events can be ingested with earlier timestamps, and an empty day costs one quick task.
 */
export function planExports(
  groups: ArchiveGroup[],
  days: string[],
  archived: ReadonlySet<string> | readonly string[],
  prefix: string,
): ExportItem[] {
  const done = new Set(archived);
  const out: ExportItem[] = [];
  const sorted = [...groups].sort((a, b) =>
    cmp(`${a.accountId}/${a.region}/${a.group}`, `${b.accountId}/${b.region}/${b.group}`),
  );
  for (const g of sorted) {
    for (const day of days) {
      const w = istDayWindow(day);
      const key = exportKey(g, day);
      if (done.has(key)) continue;
      out.push({
        ...g,
        key,
        day,
        fromMs: w.fromMs,
        toMs: w.toMs,
        destinationPrefix: datedPrefix(prefix, g.accountId, g.region, g.group, day),
      });
    }
  }
  return out;
}

/** CloudWatch Logs runs one export task at a time per account: one queue per account, in plan order. */
export function queuesByAccount(items: ExportItem[]): Record<string, ExportItem[]> {
  const out: Record<string, ExportItem[]> = {};
  for (const i of items) (out[i.accountId] ??= []).push(i);
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export type ExportOutcome =
  | {
      status: 'exported';
      taskId: string;
      attempts: number;
      objects: number;
      bytes: number;
      startedMs: number;
      endedMs: number;
    }
  | { status: 'already-archived'; objects: number; bytes: number }
  | { status: 'empty'; taskId: string; attempts: number; startedMs: number; endedMs: number }
  | { status: 'failed'; attempts: number; reason: string; taskId?: string };

/** Groups whose every planned day is archived (exported, empty, or done before) get the retention policy. */
export function groupsReadyForRetention(
  items: Pick<ExportItem, 'accountId' | 'region' | 'group' | 'key'>[],
  outcomes: Record<string, ExportOutcome>,
  allGroups: Pick<ArchiveGroup, 'accountId' | 'region' | 'group'>[],
): string[] {
  const failed = new Set(
    items
      .filter((i) => outcomes[i.key]?.status === 'failed' || !outcomes[i.key])
      .map((i) => `${i.accountId}/${i.region}${i.group}`),
  );
  return allGroups
    .map((g) => `${g.accountId}/${g.region}${g.group}`)
    .filter((k) => !failed.has(k))
    .sort(cmp);
}

/** True when two export intervals of one account overlap (the one-at-a-time rule broken). */
export function overlaps(intervals: { startedMs: number; endedMs: number }[]): boolean {
  const s = [...intervals].sort((a, b) => a.startedMs - b.startedMs);
  return s.some((x, i) => i > 0 && x.startedMs < s[i - 1]!.endedMs);
}
