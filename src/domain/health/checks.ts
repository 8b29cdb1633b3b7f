import type {
  HealthAction,
  HealthCheckConfig,
  HealthConfig,
  HealthClusterConfig,
  PrometheusEndpoint,
} from '../../config/health';

/**
 * The original design's six health checks, with PromQL that measures what each one names. Each
 * query returns one number per cluster (aggregated), and `{{selector}}` picks the cluster's series
 * out of a shared Prometheus (empty for a per-cluster Prometheus).
 */
export const DEFAULT_CHECKS: readonly HealthCheckConfig[] = [
  {
    name: 'node-not-ready',
    description: 'nodes whose Ready condition is not true',
    query: 'sum(kube_node_status_condition{condition="Ready",status="true",{{selector}}} == bool 0)',
    operator: '>',
    threshold: 0,
    for: 2,
    resolveAfter: 2,
    severity: 'critical',
    noData: 'nodata',
    unit: 'nodes',
    enabled: true,
  },
  {
    name: 'node-memory-pressure',
    description: 'nodes reporting MemoryPressure',
    query: 'sum(kube_node_status_condition{condition="MemoryPressure",status="true",{{selector}}})',
    operator: '>',
    threshold: 0,
    for: 2,
    resolveAfter: 2,
    severity: 'warning',
    noData: 'nodata',
    unit: 'nodes',
    enabled: true,
  },
  {
    name: 'pod-restart-rate',
    description: 'highest container restart rate, restarts per minute over 5 minutes',
    query: 'max(rate(kube_pod_container_status_restarts_total{{{selector}}}[5m])) * 60',
    operator: '>',
    threshold: 0.1,
    for: 3,
    resolveAfter: 2,
    severity: 'warning',
    noData: 'nodata',
    unit: 'restarts/min',
    enabled: true,
  },
  {
    name: 'failed-pods',
    description: 'pods in phase Failed',
    query: 'sum(kube_pod_status_phase{phase="Failed",{{selector}}})',
    operator: '>',
    threshold: 5,
    for: 2,
    resolveAfter: 2,
    severity: 'critical',
    noData: 'nodata',
    unit: 'pods',
    enabled: true,
  },
  {
    name: 'apiserver-latency-p99',
    description: 'API server p99 request latency (non-streaming verbs), seconds over 5 minutes',
    query:
      'histogram_quantile(0.99, sum by (le) (rate(apiserver_request_duration_seconds_bucket{verb!~"WATCH|CONNECT",{{selector}}}[5m])))',
    operator: '>',
    threshold: 1,
    for: 3,
    resolveAfter: 2,
    severity: 'warning',
    noData: 'nodata',
    unit: 's',
    enabled: true,
  },
  {
    name: 'autoscaler-errors',
    description: 'Cluster Autoscaler errors in the last 10 minutes (absent with Karpenter: not a failure)',
    query: 'sum(increase(cluster_autoscaler_errors_total{{{selector}}}[10m]))',
    operator: '>',
    threshold: 10,
    for: 1,
    resolveAfter: 2,
    severity: 'critical',
    noData: 'ok',
    unit: 'errors',
    enabled: true,
  },
];

/** A check as the monitor runs it: query rendered for the cluster, actions resolved from severity. */
export interface ResolvedCheck {
  name: string;
  description?: string;
  query: string;
  operator: HealthCheckConfig['operator'];
  threshold: number;
  for: number;
  resolveAfter: number;
  severity: HealthCheckConfig['severity'];
  actions: HealthAction[];
  noData: HealthCheckConfig['noData'];
  unit?: string;
}

/** Puts the cluster's matchers where the query says `{{selector}}`. */
export function renderQuery(query: string, selector: string): string {
  return query.split('{{selector}}').join(selector.trim());
}

/** Defaults, then global checks, then the cluster's own, later ones replacing earlier ones by name. */
export function resolveChecks(
  health: Pick<HealthConfig, 'defaultChecks' | 'checks' | 'severityActions'>,
  cluster: Pick<HealthClusterConfig, 'checks' | 'disable' | 'prometheus'>,
): ResolvedCheck[] {
  const byName = new Map<string, HealthCheckConfig>();
  for (const c of [...(health.defaultChecks ? DEFAULT_CHECKS : []), ...health.checks, ...cluster.checks])
    byName.set(c.name, c);
  return [...byName.values()]
    .filter((c) => c.enabled && !cluster.disable.includes(c.name))
    .map((c) => ({
      name: c.name,
      ...(c.description ? { description: c.description } : {}),
      query: renderQuery(c.query, cluster.prometheus.selector),
      operator: c.operator,
      threshold: c.threshold,
      for: c.for,
      resolveAfter: c.resolveAfter,
      severity: c.severity,
      actions: c.actions ?? health.severityActions[c.severity],
      noData: c.noData,
      ...(c.unit ? { unit: c.unit } : {}),
    }));
}

export function compare(value: number, op: ResolvedCheck['operator'], threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** What one evaluation of one check saw. */
export type Observation =
  { kind: 'value'; value: number } | { kind: 'nodata'; reason: string } | { kind: 'error'; message: string };

/**
 * Reduces a Prometheus `/api/v1/query` success payload to one observation: the largest numeric
 * sample of a vector, a scalar's value; empty results, NaN and ±Inf are "no data".
 */
export function observationFromResult(data: unknown): Observation {
  const d = data as { resultType?: string; result?: unknown };
  const num = (s: unknown) => (typeof s === 'string' ? Number(s) : NaN);
  let values: number[] = [];
  if (d?.resultType === 'vector' && Array.isArray(d.result)) {
    values = (d.result as { value?: [number, string] }[]).map((r) => num(r.value?.[1]));
  } else if (d?.resultType === 'scalar' && Array.isArray(d.result)) {
    values = [num((d.result as [number, string])[1])];
  } else if (d?.resultType === 'matrix') {
    return { kind: 'error', message: 'the query returns a range vector; a check needs an instant vector or scalar' };
  } else if (d?.resultType === 'string') {
    return { kind: 'error', message: 'the query returns a string; a check needs a number' };
  }
  if (values.length === 0) return { kind: 'nodata', reason: 'empty result' };
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { kind: 'nodata', reason: `non-numeric result (${values.map(String).join(', ')})` };
  return { kind: 'value', value: Math.max(...finite) };
}

/** Where a health monitor lives: one per cluster. */
export function healthWorkflowId(c: { accountId: string; region: string; name: string }): string {
  return `health/${c.accountId}/${c.region}/${c.name}`;
}

/** One incident per cluster and check: a re-fire while open merges into it. */
export const checkDedupKey = (clusterKey: string, check: string) => `health/${clusterKey}/${check}`;
export const blindDedupKey = (clusterKey: string) => `health/${clusterKey}/blind`;

/** `cw-alarm/<alarm name>-<hash of the ARN>`: readable, unique per alarm. */
export function alarmWorkflowId(alarmArn: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < alarmArn.length; i++) h = Math.imul(h ^ alarmArn.charCodeAt(i), 0x01000193) >>> 0;
  const name = (alarmArn.split(':alarm:')[1] ?? 'alarm').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  return `cw-alarm/${name}-${h.toString(16).padStart(8, '0')}`;
}

export function endpointLabel(p: PrometheusEndpoint): string {
  return p.url.replace(/\/+$/, '');
}
