import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { esc } from '../src/report/escape';
import { lineChartSvg } from '../src/report/line-chart';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ActivityDeps } from './deps';
import { recordMutation } from './audit';
import { createFleetActivities } from './fleet';
import { cloudwatchGateway } from './gateways/cloudwatch';
import { jiraGateway } from './gateways/jira';
import { prometheusGateway, type PrometheusGateway } from './gateways/prometheus';
import type { AwsClientFactory } from '../src/aws/clients';
import type { ClusterConfig } from '../src/config/clusters';
import type { EksflowConfig } from '../src/config/schema';
import type { HealthClusterConfig } from '../src/config/health';
import { NotFoundError, ValidationError } from '../src/errors';
import { alertWorkflowId, fnv1a, normalizeDedupKey } from '../src/domain/alerts/dedup';
import {
  observationFromResult,
  resolveChecks,
  type Observation,
  type ResolvedCheck,
} from '../src/domain/health/checks';
import { planScaleUp } from '../src/domain/health/actions';
import { clusterKeyOf, clusterSpecOf, controllerWorkflowId } from '../src/domain/scaling/types';
import { alarmContext, type AlarmContext, type ScoredPoint } from '../src/domain/health/alarm-context';
import { createAnomalyDetector, DEFAULT_ANOMALY_PARAMS } from '../src/ml/anomaly';

/** Names shared with workflows (activities never import workflow code). */
const ALERT_RESOLVE_SIGNAL = 'resolve';
const CONTROLLER_CONFIGURE_SIGNAL = 'configure';
const CONTROLLER_STATE_QUERY = 'controlState';
const CONTROLLER_OVERRIDE_UPDATE = 'setOverride';

export interface HealthEvaluation {
  clusterKey: string;
  cluster: string;
  configured: boolean;
  prometheusUrl?: string;
  intervalSeconds: number;
  atMs: number;
  durationMs: number;
  checks: ResolvedCheck[];
  observations: Record<string, Observation>;
}

export interface HealthTarget {
  cluster: ClusterConfig;
  health?: HealthClusterConfig;
}

export function createHealthActivities(deps: ActivityDeps) {
  const gateways = new Map<string, PrometheusGateway>();
  const targetOf = (c: ClusterConfig) => ({
    accountId: c.accountId,
    region: c.region,
    ...(c.roleArn ? { roleArn: c.roleArn } : {}),
  });

  function find(clusterKey: string): HealthTarget {
    const cluster = deps.config.clusters.find((c) => clusterKeyOf(c) === clusterKey);
    if (!cluster) throw new NotFoundError(`no cluster ${clusterKey} in the config`);
    return findIn(cluster);
  }
  function findIn(cluster: ClusterConfig): HealthTarget {
    const health = deps.config.health.clusters.find(
      (h) =>
        h.cluster === cluster.name &&
        (!h.accountId || h.accountId === cluster.accountId) &&
        (!h.region || h.region === cluster.region),
    );
    return { cluster, ...(health ? { health } : {}) };
  }

  function prom(t: Required<HealthTarget>): PrometheusGateway {
    const key = `${clusterKeyOf(t.cluster)} ${JSON.stringify(t.health.prometheus)}`;
    let g = gateways.get(key);
    if (!g) {
      g = prometheusGateway({ aws: deps.aws, target: targetOf(t.cluster), endpoint: t.health.prometheus });
      gateways.set(key, g);
    }
    return g;
  }

  /** Every configured check of one cluster, asked in parallel; failures come back as observations. */
  async function evaluate(clusterKey: string): Promise<HealthEvaluation> {
    const known = deps.config.clusters.find((c) => clusterKeyOf(c) === clusterKey);
    // A cluster removed from the config is "not configured" (shown by status), not a crash loop.
    const t: HealthTarget = known
      ? findIn(known)
      : { cluster: { name: clusterKey.split('/').pop() ?? clusterKey } as ClusterConfig };
    const started = deps.now().getTime();
    const base = { clusterKey, cluster: t.cluster.name, intervalSeconds: deps.config.health.intervalSeconds };
    if (!t.health || !deps.config.health.enabled) {
      return { ...base, configured: false, atMs: started, durationMs: 0, checks: [], observations: {} };
    }
    const checks = resolveChecks(deps.config.health, t.health);
    const g = prom(t as Required<HealthTarget>);
    const results = await Promise.all(
      checks.map(async (c): Promise<[string, Observation]> => {
        try {
          const r = await g.query(c.query, started);
          if (!r.ok) return [c.name, { kind: 'error', message: `${r.errorType}: ${r.error}` }];
          return [c.name, observationFromResult(r.data)];
        } catch (err) {
          return [c.name, { kind: 'error', message: (err as Error).message }];
        }
      }),
    );
    return {
      ...base,
      configured: true,
      prometheusUrl: g.url,
      atMs: started,
      durationMs: deps.now().getTime() - started,
      checks,
      observations: Object.fromEntries(results),
    };
  }

  return {
    /** One evaluation of a cluster's checks (the monitor's loop and `eksflow health check`). */
    evaluateHealthChecks(input: { clusterKey: string }): Promise<HealthEvaluation> {
      return evaluate(input.clusterKey);
    },

    /** PromQL validation of every configured check (see validateHealthQueries). */
    validateHealthQueries(input: { clusterKeys?: string[] } = {}) {
      return validateHealthQueries(deps.config, deps.aws, input.clusterKeys);
    },

    /** The check values as CloudWatch metrics (namespace eksflow/health, dimensions Cluster and Check). */
    async publishHealthMetrics(input: {
      clusterKey: string;
      atMs: number;
      values: { check: string; value: number; state: string }[];
    }): Promise<{ published: number }> {
      if (input.values.length === 0) return { published: 0 };
      const { cluster } = find(input.clusterKey);
      const ns = deps.config.health.actions.metrics.namespace;
      const data: MetricDatum[] = input.values.flatMap((v) => [
        {
          MetricName: 'CheckValue',
          Timestamp: new Date(input.atMs),
          Value: v.value,
          Dimensions: [
            { Name: 'Cluster', Value: cluster.name },
            { Name: 'Check', Value: v.check },
          ],
        },
        {
          MetricName: 'CheckFiring',
          Timestamp: new Date(input.atMs),
          Value: v.state === 'firing' ? 1 : 0,
          Dimensions: [
            { Name: 'Cluster', Value: cluster.name },
            { Name: 'Check', Value: v.check },
          ],
        },
      ]);
      const n = await cloudwatchGateway({ aws: deps.aws, target: targetOf(cluster) }).putMetricData(ns, data);
      return { published: n };
    },

    /** One Jira issue per alert: found by its label first, so a retry never files a second one. */
    async createHealthTicket(input: {
      dedupKey: string;
      summary: string;
      description: string;
      clusterKey: string;
    }): Promise<{ key: string; created: boolean } | { skipped: string }> {
      const jira = deps.config.health.actions.jira;
      if (!jira) return { skipped: 'health.actions.jira is not configured' };
      const { cluster } = find(input.clusterKey);
      const g = jiraGateway({ aws: deps.aws, target: targetOf(cluster), jira });
      const label = `eksflow-${fnv1a(normalizeDedupKey(input.dedupKey))}`;
      const existing = await g.findByLabel(label);
      if (existing) return { key: existing, created: false };
      const key = await g.createIssue({
        summary: input.summary,
        description: input.description,
        labels: ['eksflow', 'eksflow-health', label],
      });
      recordMutation(deps.audit, 'jira:CreateIssue', key, { dedupKey: input.dedupKey, label });
      return { key, created: true };
    },

    /**
     * The anomaly report linked from the alert: the last `chartHours` of the metric as an inline
     * SVG line chart with the flagged points marked, written as one HTML file under reportsDir.
     */
    async writeAnomalyReport(input: {
      id: string;
      anomalies: { timestamp: string; value: number; score: number }[];
    }): Promise<{ path: string; url: string; points: number }> {
      const m = deps.config.health.anomalies.find((a) => a.id === input.id);
      if (!m) throw new NotFoundError(`no anomaly metric ${input.id} in health.anomalies`);
      const end = deps.now().getTime();
      const target = { accountId: m.accountId, region: m.region, ...(m.roleArn ? { roleArn: m.roleArn } : {}) };
      const data = await cloudwatchGateway({ aws: deps.aws, target }).getMetricData(
        [
          {
            id: 'm',
            namespace: m.namespace,
            metricName: m.metricName,
            dimensions: m.dimensions,
            stat: m.stat,
            periodSeconds: m.periodSeconds,
          },
        ],
        end - m.chartHours * 3_600_000,
        end,
      );
      const points = (data.m ?? []).filter((p) => Number.isFinite(p.v));
      const title = `${m.namespace} ${m.metricName}${m.dimensions.map((d) => ` ${d.name}=${d.value}`).join('')} (${m.stat}, ${m.periodSeconds}s), last ${m.chartHours} h`;
      const svg = lineChartSvg({
        points,
        marks: input.anomalies.map((a) => ({ t: Date.parse(a.timestamp), v: a.value })),
        title,
        yLabel: m.stat,
      });
      const rows = input.anomalies
        .map((a) => `<tr><td>${esc(a.timestamp)}</td><td>${esc(a.value)}</td><td>${esc(a.score.toFixed(3))}</td></tr>`)
        .join('');
      const html = `<!doctype html><html><head><meta charset="utf-8"><title>Anomaly ${esc(m.id)}</title></head><body><h1>Anomaly on ${esc(m.id)}</h1>${svg}<table><thead><tr><th>time</th><th>value</th><th>score</th></tr></thead><tbody>${rows}</tbody></table></body></html>`;
      const dir = join(deps.reportsDir, 'anomalies');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${m.id}-${deps.now().toISOString().replace(/[:.]/g, '-')}.html`);
      writeFileSync(path, html);
      return { path, url: `file://${path}`, points: points.length };
    },

    /**
     * Context for a CloudWatch alarm's alert: the alarm's metric over enough recent history to warm
     * the streaming anomaly detector up (GetMetricData at the alarm's period), scored point by
     * point; the verdict is on the alarm's last half hour (at least 3 periods). The role is the
     * one configured for a cluster in the alarm's account, if any.
     */
    async alarmMetricContext(input: {
      account: string;
      region: string;
      metric: {
        namespace: string;
        name: string;
        dimensions: Record<string, string>;
        stat?: string;
        periodSeconds?: number;
      };
      atMs: number;
    }): Promise<AlarmContext> {
      const period = Math.max(60, Math.round((input.metric.periodSeconds ?? 300) / 60) * 60);
      const params = DEFAULT_ANOMALY_PARAMS;
      // Twice the warm-up, within the detector's two-week memory.
      const historyMs = Math.min(params.memoryMs, 2 * (params.warmupPoints + 1) * period * 1000);
      const role = deps.config.clusters.find((c) => c.accountId === input.account && c.roleArn)?.roleArn;
      const target = { accountId: input.account, region: input.region, ...(role ? { roleArn: role } : {}) };
      const end = Math.min(input.atMs, deps.now().getTime()) + period * 1000;
      const data = await cloudwatchGateway({ aws: deps.aws, target }).getMetricData(
        [
          {
            id: 'm',
            namespace: input.metric.namespace,
            metricName: input.metric.name,
            dimensions: Object.entries(input.metric.dimensions).map(([name, value]) => ({ name, value })),
            stat: input.metric.stat ?? 'Average',
            periodSeconds: period,
          },
        ],
        end - historyMs,
        end,
      );
      const detector = createAnomalyDetector(params);
      const scored: ScoredPoint[] = (data.m ?? [])
        .filter((p) => Number.isFinite(p.v))
        .map((p) => ({ t: p.t, v: p.v, score: detector.update(p.t, p.v).score }));
      return alarmContext(scored, {
        recentPoints: Math.max(3, Math.ceil(1800 / period)),
        threshold: params.threshold,
        warmupPoints: params.warmupPoints,
        historyHours: Math.round(historyMs / 3_600_000),
      });
    },

    /** Resolves the alert with this dedup key if it is open (nothing to do otherwise). */
    async resolveHealthAlert(input: { dedupKey: string; note: string }): Promise<{ resolved: boolean }> {
      try {
        await deps.temporal.client.workflow
          .getHandle(alertWorkflowId(normalizeDedupKey(input.dedupKey)))
          .signal(ALERT_RESOLVE_SIGNAL, { by: 'eksflow-health', via: 'api', note: input.note.slice(0, 1000) });
        return { resolved: true };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { resolved: false };
        throw err;
      }
    },

    /**
     * `scale_up_nodes`: asks the cluster controller for a temporary override of one node group
     * (desired + step, never above the group's max), unless the cluster is paused. The controller
     * applies it and records it with the reason; `requestId` makes a retried request one change.
     */
    async requestHealthScaleUp(input: {
      clusterKey: string;
      reason: string;
      requestId: string;
      holdMinutes?: number;
    }): Promise<{ applied: boolean; summary: string }> {
      const { cluster } = find(input.clusterKey);
      const cfg = deps.config.health.actions.scaleUp;
      const ng = cfg.nodegroup
        ? cluster.nodegroups.find((n) => n.name === cfg.nodegroup)
        : (cluster.nodegroups.find((n) => n.capacityType === 'ON_DEMAND') ?? cluster.nodegroups[0]);
      if (!ng)
        throw new ValidationError(
          `health.actions.scaleUp.nodegroup ${cfg.nodegroup} is not a node group of ${cluster.name}`,
        );
      const client = deps.temporal.client;
      const tt = deps.config.timetable;
      const handle = await client.workflow.signalWithStart('clusterController', {
        workflowId: controllerWorkflowId(clusterKeyOf(cluster)),
        taskQueue: deps.temporal.taskQueue,
        args: [{ clusterKey: clusterKeyOf(cluster) }],
        signal: CONTROLLER_CONFIGURE_SIGNAL,
        signalArgs: [
          { cluster: clusterSpecOf(cluster), calendar: { businessDays: tt.businessDays, holidays: tt.holidays } },
        ],
      });
      const state = await handle.query<{
        paused?: { by: string; reason: string };
        overrides: Record<string, { by: string; atMs: number; desired?: number }>;
      }>(CONTROLLER_STATE_QUERY);
      const fleet = createFleetActivities(deps);
      const reading = await fleet.readGroup({
        target: targetOf(cluster),
        cluster: cluster.name,
        nodegroup: ng.name,
        kind: ng.kind,
        asgName: ng.asgName,
      });
      const nowMs = deps.now().getTime();
      const plan = planScaleUp({
        mode: ng.scalingMode,
        paused: state.paused ? `${state.paused.by}: ${state.paused.reason}` : undefined,
        current: reading.size,
        configuredMax: Math.max(ng.businessHours.max, ng.offHours.max),
        step: cfg.step,
        lastScaleUpMs: Object.values(state.overrides).find((o) => o.by === 'eksflow-health')?.atMs,
        cooldownMs: cfg.cooldownMinutes * 60_000,
        nowMs,
      });
      if (!plan.apply) return { applied: false, summary: `${ng.name}: scale-up skipped, ${plan.reason}` };
      await handle.executeUpdate(CONTROLLER_OVERRIDE_UPDATE, {
        updateId: input.requestId,
        args: [
          {
            nodegroup: ng.name,
            [plan.field]: plan.value,
            untilMs: nowMs + (input.holdMinutes ?? 120) * 60_000,
            reason: input.reason.slice(0, 500),
            by: 'eksflow-health',
          },
        ],
      });
      return {
        applied: true,
        summary: `${ng.name}: ${plan.field} ${plan.field === 'min' ? reading.size.min : reading.size.desired} → ${plan.value} (${input.reason})`,
      };
    },
  };
}

export interface HealthValidation {
  invalid: { cluster: string; check: string; error: string }[];
  unreachable: { cluster: string; error: string }[];
}

/**
 * Asks each cluster's Prometheus to run every check once: a PromQL error (`bad_data`) names the
 * cluster and check. Prometheus 2.42 has no /api/v1/parse_query, so the query itself is sent.
 * Used by the worker at start-up and by `eksflow config validate`-style callers.
 */
export async function validateHealthQueries(
  config: EksflowConfig,
  aws: AwsClientFactory,
  clusterKeys?: string[],
): Promise<HealthValidation> {
  const out: HealthValidation = { invalid: [], unreachable: [] };
  for (const h of config.health.clusters) {
    const cluster = config.clusters.find(
      (c) =>
        c.name === h.cluster && (!h.accountId || h.accountId === c.accountId) && (!h.region || h.region === c.region),
    );
    if (!cluster || (clusterKeys && !clusterKeys.includes(clusterKeyOf(cluster)))) continue;
    const g = prometheusGateway({
      aws,
      target: {
        accountId: cluster.accountId,
        region: cluster.region,
        ...(cluster.roleArn ? { roleArn: cluster.roleArn } : {}),
      },
      endpoint: h.prometheus,
    });
    for (const c of resolveChecks(config.health, h)) {
      const r = await g.query(c.query);
      if (r.ok) continue;
      if (r.errorType === 'bad_data') out.invalid.push({ cluster: cluster.name, check: c.name, error: r.error });
      else {
        out.unreachable.push({ cluster: cluster.name, error: `${r.errorType}: ${r.error}` });
        break;
      }
    }
  }
  return out;
}
