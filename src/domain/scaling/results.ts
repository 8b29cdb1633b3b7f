import type { NodegroupSize } from '../size';
import type { SafetyCheck } from './safety';

/** What a scheduled or manual scaling run did to one node group. Plain JSON. */
export interface GroupResult {
  nodegroup: string;
  kind: 'eks-managed' | 'self-managed';
  mode: 'desired' | 'bounds';
  status: 'planned' | 'no_change' | 'scaled' | 'timeout' | 'failed' | 'skipped' | 'blocked' | 'healthy' | 'unhealthy';
  before?: NodegroupSize;
  after?: NodegroupSize;
  target?: NodegroupSize;
  inService?: number;
  reason: string;
  forecast?: string;
  /** USD per hour the change adds (negative: saves), when the node price is known. */
  costImpactUsdPerHour?: number;
  /** Scale-down: the planned sizes of each step. */
  steps?: NodegroupSize[];
  checks?: SafetyCheck[];
  recommendation?: string;
}

export interface StepRecord {
  index: number;
  atMs: number;
  groups: GroupResult[];
}

export interface ClusterRunResult {
  cluster: string;
  clusterKey: string;
  kind: 'scale-up' | 'scale-down' | 'health';
  dryRun: boolean;
  status: 'done' | 'planned' | 'skipped' | 'stopped' | 'failed';
  reason?: string;
  groups: GroupResult[];
  steps?: StepRecord[];
  /** 08:30 verification: the cluster's PromQL health checks, one look each (issue 12). */
  healthChecks?: { check: string; severity: string; status: 'healthy' | 'unhealthy'; value?: number; reason: string }[];
  /** Workload downscaling of this run (when the cluster's Kubernetes API and downscaling are configured). */
  workloads?: {
    changes: { kind: string; workload: string; from: number; to: number; why: string }[];
    unchanged: number;
    error?: string;
  };
  startedAtMs: number;
  finishedAtMs: number;
}

export interface FleetRunResult {
  kind: ClusterRunResult['kind'];
  date: string;
  dryRun: boolean;
  clusters: ClusterRunResult[];
  /** Counts by cluster status and by node group status. */
  summary: Record<string, number>;
  publishedTo?: string;
}

export function summarize(clusters: ClusterRunResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of clusters) {
    out[`clusters_${c.status}`] = (out[`clusters_${c.status}`] ?? 0) + 1;
    for (const g of c.groups) out[`groups_${g.status}`] = (out[`groups_${g.status}`] ?? 0) + 1;
    for (const h of c.healthChecks ?? []) out[`checks_${h.status}`] = (out[`checks_${h.status}`] ?? 0) + 1;
  }
  return out;
}

/** A plan or result as a fixed-width table for the terminal. */
export function resultTable(clusters: ClusterRunResult[]): string {
  const fmt = (s?: NodegroupSize) => (s ? `${s.min}/${s.desired}/${s.max}` : '-');
  const rows = [['CLUSTER', 'NODEGROUP', 'MODE', 'STATUS', 'BEFORE', 'TARGET', 'AFTER', 'COST $/h', 'REASON']];
  for (const c of clusters) {
    if (c.groups.length === 0) rows.push([c.cluster, '-', '-', c.status, '-', '-', '-', '-', c.reason ?? '']);
    for (const g of c.groups) {
      rows.push([
        c.cluster,
        g.nodegroup,
        g.mode,
        g.status,
        fmt(g.before),
        fmt(g.target),
        fmt(g.after),
        g.costImpactUsdPerHour === undefined ? '-' : g.costImpactUsdPerHour.toFixed(3),
        c.status === 'skipped' ? (c.reason ?? '') : g.reason,
      ]);
    }
    for (const h of c.healthChecks ?? [])
      rows.push([c.cluster, `check:${h.check}`, h.severity, h.status, '-', '-', '-', '-', h.reason]);
  }
  const widths = rows[0]!.map((_, i) => Math.min(60, Math.max(...rows.map((r) => (r[i] ?? '').length))));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
