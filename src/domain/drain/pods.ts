/**
 * kubectl drain's pod rules, as pure functions over the few pod fields they read. No I/O.
 */

/** The fields of a Kubernetes pod the drain rules look at (structurally a V1Pod). */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: Date | string;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec?: { terminationGracePeriodSeconds?: number; volumes?: { name: string; emptyDir?: object }[] };
  status?: { phase?: string };
}

export interface DrainRuleSet {
  /** Evict pods with emptyDir volumes (`--delete-emptydir-data`). */
  deleteEmptyDirData: boolean;
  /** Evict pods no controller owns (`--force`). */
  force: boolean;
}

/** A pod the drain must evict (plain JSON across activity and workflow boundaries). */
export interface DrainPod {
  namespace: string;
  name: string;
  uid: string;
  /** Already being deleted (evicted earlier, by eksflow or anyone): never evicted again. */
  terminating: boolean;
  graceSeconds: number;
}

export type PodVerdict =
  | { action: 'evict'; pod: DrainPod }
  /** Left on the node, as kubectl drain leaves them. */
  | { action: 'skip'; pod: string; reason: 'daemonset' | 'mirror' }
  /** Not evicted because the configured rules forbid it; the drain reports it. */
  | { action: 'refuse'; pod: string; reason: string };

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const DEFAULT_GRACE_SECONDS = 30;

export const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

export function classifyPod(pod: PodLike, rules: DrainRuleSet): PodVerdict {
  const m = pod.metadata ?? {};
  const key = `${m.namespace ?? 'default'}/${m.name ?? ''}`;
  if (m.annotations?.[MIRROR_ANNOTATION] !== undefined) return { action: 'skip', pod: key, reason: 'mirror' };
  const controller = m.ownerReferences?.find((o) => o.controller) ?? undefined;
  if (controller?.kind === 'DaemonSet') return { action: 'skip', pod: key, reason: 'daemonset' };
  const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  const drainPod: DrainPod = {
    namespace: m.namespace ?? 'default',
    name: m.name ?? '',
    uid: m.uid ?? '',
    terminating: m.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
    graceSeconds: pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS,
  };
  // Finished pods hold nothing: kubectl drain deletes them whatever the rules say.
  if (finished || drainPod.terminating) return { action: 'evict', pod: drainPod };
  if (!controller && !rules.force) {
    return {
      action: 'refuse',
      pod: key,
      reason: 'not managed by a controller (nothing would recreate it); set drain.force to evict it',
    };
  }
  const emptyDirs = (pod.spec?.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name);
  if (emptyDirs.length > 0 && !rules.deleteEmptyDirData) {
    return {
      action: 'refuse',
      pod: key,
      reason: `uses emptyDir volume(s) ${emptyDirs.join(', ')} (data lost on eviction); set drain.deleteEmptyDirData to evict it`,
    };
  }
  return { action: 'evict', pod: drainPod };
}

export interface DrainPlan {
  evict: DrainPod[];
  skipped: { pod: string; reason: 'daemonset' | 'mirror' }[];
  refused: { pod: string; reason: string }[];
}

export function planDrain(pods: PodLike[], rules: DrainRuleSet): DrainPlan {
  const plan: DrainPlan = { evict: [], skipped: [], refused: [] };
  for (const p of pods) {
    const v = classifyPod(p, rules);
    if (v.action === 'evict') plan.evict.push(v.pod);
    else if (v.action === 'skip') plan.skipped.push({ pod: v.pod, reason: v.reason });
    else plan.refused.push({ pod: v.pod, reason: v.reason });
  }
  const byKey = (a: { pod: string } | DrainPod, b: { pod: string } | DrainPod) =>
    ('pod' in a ? a.pod : podKey(a)).localeCompare('pod' in b ? b.pod : podKey(b));
  plan.evict.sort(byKey);
  plan.skipped.sort(byKey);
  plan.refused.sort(byKey);
  return plan;
}

/** Backoff between eviction passes while a PodDisruptionBudget says no: 1 s doubling to 8 s, reset by progress. */
export function nextEvictionBackoffMs(previousMs: number | undefined, progressed: boolean): number {
  if (progressed || previousMs === undefined) return 1_000;
  return Math.min(previousMs * 2, 8_000);
}

/** Whether a pod's labels match a label selector (matchLabels + matchExpressions), as a PDB selects pods. */
export function selectorMatches(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
