/**
 * Workload downscaling, kube-downscaler's rules on eksflow's timetable. Pure: the caller reads
 * and patches the API. Annotations (on the workload, else on its namespace):
 *   eksflow.io/downscale: "true" | "false"       opt in / out
 *   eksflow.io/exclude: "true"                   never touched
 *   eksflow.io/exclude-until: 2026-12-24[T…]      not touched until then
 *   eksflow.io/uptime: "Mon-Fri 08:00-20:00 Asia/Kolkata"    only down outside these windows
 *   eksflow.io/downtime: "Sat-Sun 00:00-24:00 Asia/Kolkata"  only down inside these windows
 *   eksflow.io/downtime-replicas: "1"            replicas while down (default: config, 0)
 *   eksflow.io/original-replicas: "3"            written by eksflow while a workload is down
 */
export const ANN = {
  downscale: 'eksflow.io/downscale',
  exclude: 'eksflow.io/exclude',
  excludeUntil: 'eksflow.io/exclude-until',
  uptime: 'eksflow.io/uptime',
  downtime: 'eksflow.io/downtime',
  downtimeReplicas: 'eksflow.io/downtime-replicas',
  original: 'eksflow.io/original-replicas',
} as const;

export interface WorkloadView {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  replicas: number;
  annotations: Record<string, string>;
  namespaceAnnotations: Record<string, string>;
}

export interface DownscalePolicy {
  /** Namespaces in scope by config (all their workloads). */
  namespaces: string[];
  excludeNamespaces: string[];
  replicas: number;
}

export type WorkloadDecision =
  | { action: 'scale'; to: number; annotations: Record<string, string | null>; why: string }
  | { action: 'none'; why: string };

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Whether `nowMs` falls in a kube-downscaler time spec ("Mon-Fri 08:00-20:00 Asia/Kolkata", comma-separated). */
export function inTimeSpec(spec: string, nowMs: number): boolean {
  const parts = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error(`empty time spec`);
  return parts.some((p) => {
    const m = /^([A-Z][a-z]{2})(?:-([A-Z][a-z]{2}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s+(\S+)$/.exec(p);
    if (!m) throw new Error(`time spec "${p}" is not like "Mon-Fri 08:00-20:00 Asia/Kolkata"`);
    const [, d1, d2, h1, m1, h2, m2, tz] = m;
    const from = DAYS.indexOf(d1!);
    const to = DAYS.indexOf(d2 ?? d1!);
    if (from < 0 || to < 0) throw new Error(`time spec "${p}": unknown day`);
    const local = localParts(nowMs, tz!);
    const dayOk = from <= to ? local.day >= from && local.day <= to : local.day >= from || local.day <= to;
    const minute = local.hour * 60 + local.minute;
    const start = Number(h1) * 60 + Number(m1);
    const end = Number(h2) * 60 + Number(m2);
    return dayOk && minute >= start && minute < end;
  });
}

function localParts(ms: number, timeZone: string): { day: number; hour: number; minute: number } {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    throw new Error(`unknown time zone ${timeZone}`);
  }
  const parts = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { day: DAYS.indexOf(parts.weekday!), hour: Number(parts.hour), minute: Number(parts.minute) };
}

const ann = (w: WorkloadView, key: string): string | undefined => w.annotations[key] ?? w.namespaceAnnotations[key];

/** What to do with one workload at the timetable's `phase` ('down' at scale-down, 'up' at scale-up). */
export function decideWorkload(
  w: WorkloadView,
  policy: DownscalePolicy,
  phase: 'down' | 'up',
  nowMs: number,
): WorkloadDecision {
  const original = w.annotations[ANN.original];
  if (policy.excludeNamespaces.includes(w.namespace))
    return { action: 'none', why: `namespace ${w.namespace} is excluded` };
  const optIn = w.annotations[ANN.downscale] ?? w.namespaceAnnotations[ANN.downscale];
  const inScope = optIn === 'true' || (optIn !== 'false' && policy.namespaces.includes(w.namespace));
  // A workload eksflow scaled down is always brought back, even if it left the scope meanwhile.
  if (!inScope && original === undefined) return { action: 'none', why: 'not in scope' };
  if (phase === 'down' || original === undefined) {
    if (ann(w, ANN.exclude) === 'true') return { action: 'none', why: `${ANN.exclude}=true` };
    const until = ann(w, ANN.excludeUntil);
    if (until !== undefined) {
      const untilMs = Date.parse(until);
      if (Number.isNaN(untilMs))
        return { action: 'none', why: `${ANN.excludeUntil}="${until}" is not a date: left alone` };
      if (nowMs < untilMs) return { action: 'none', why: `excluded until ${until}` };
    }
  }
  let down = phase === 'down';
  try {
    const uptime = ann(w, ANN.uptime);
    const downtime = ann(w, ANN.downtime);
    if (uptime !== undefined) down = !inTimeSpec(uptime, nowMs);
    else if (downtime !== undefined) down = inTimeSpec(downtime, nowMs);
  } catch (err) {
    return { action: 'none', why: `bad time annotation: ${(err as Error).message}` };
  }
  if (down) {
    if (original !== undefined) return { action: 'none', why: `already down (original ${original})` };
    const raw = w.annotations[ANN.downtimeReplicas];
    const target = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : policy.replicas;
    if (w.replicas <= target)
      return { action: 'none', why: `${w.replicas} replicas, not above the downtime ${target}` };
    return {
      action: 'scale',
      to: target,
      annotations: { [ANN.original]: String(w.replicas) },
      why: `downtime: ${w.replicas} → ${target}`,
    };
  }
  if (original === undefined) return { action: 'none', why: 'up, and not scaled down by eksflow' };
  const restore = Number(original);
  if (!Number.isInteger(restore) || restore < 0)
    return { action: 'none', why: `${ANN.original}="${original}" is not a replica count` };
  return {
    action: 'scale',
    to: restore,
    annotations: { [ANN.original]: null },
    why: `uptime: restored ${w.replicas} → ${restore}`,
  };
}
