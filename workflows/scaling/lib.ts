import { executeChild, log, proxyActivities, workflowInfo, ParentClosePolicy } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { NodegroupConfig } from '../../src/config/clusters';
import type { ForecastOutcome } from '../../src/domain/scaling/plan';
import type { ClusterSpec, GroupRef, ScalingSettings } from '../../src/domain/scaling/types';
import type { ClusterRunResult } from '../../src/domain/scaling/results';
import type { AlertInput } from '../../src/domain/alerts/types';
import type { NodegroupSize } from '../../src/domain/size';
import { raiseAlert } from '../lib/alerts';
import { awsMutate, awsRead, compute } from '../lib/presets';
import { scaleNodegroupTo, type ScaleNodegroupResult } from '../scale-nodegroup';
import { scaleSelfManagedGroupTo, type ScaleInOutcome } from './scale-asg';

/** Helpers shared by the scaling workflows (not workflow types: workflows/index.ts does not export them). */
export const read = proxyActivities<Activities>(awsRead);
export const mutate = proxyActivities<Activities>(awsMutate);
export const publish = proxyActivities<Activities>(compute);
/** Talking to the cluster's controller: quick, a few retries. */
export const control = proxyActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/** Forecasts: a couple of quick tries, then the scale-up goes on without one ("forecast unavailable"). */
const ml = proxyActivities<Activities>({ ...compute, retry: { initialInterval: '2 seconds', maximumAttempts: 2 } });

/** The business-hours ramp the forecast looks at: 08:00 onwards, 4 hours of horizon from the run. */
const FORECAST_HORIZON_MINUTES = 240;

export async function forecastFor(cluster: ClusterSpec, ng: NodegroupConfig): Promise<ForecastOutcome | undefined> {
  if (!ng.demandMetric) return undefined;
  try {
    const f = await ml.forecastNodegroupDemand({ target: cluster.target, metric: ng.demandMetric, horizonMinutes: FORECAST_HORIZON_MINUTES });
    return { kind: 'forecast', predictedLoadIncrease: f.predictedLoadIncrease, peak: Math.max(...f.point), peakUpper: Math.max(...f.upper) };
  } catch (err) {
    return { kind: 'unavailable', reason: messageOf(err) };
  }
}

/** Applies a size and waits (durable timers) for ACTIVE + InService: scaleNodegroupTo for EKS groups. */
export async function applyAndVerify(
  ref: GroupRef,
  mode: NodegroupConfig['scalingMode'],
  size: Partial<NodegroupSize>,
  settings: ScalingSettings,
  workflowId: string,
  scaleIn?: { clusterKey: string },
): Promise<ScaleNodegroupResult & { scaleIn?: ScaleInOutcome }> {
  const common = { verifyTimeoutMs: settings.verifyTimeoutMs, pollIntervalMs: settings.pollIntervalMs };
  if (ref.kind === 'self-managed') {
    return executeChild(scaleSelfManagedGroupTo, { workflowId, args: [{ ref, size, ...common, ...(scaleIn ? { scaleIn } : {}) }], parentClosePolicy: ParentClosePolicy.TERMINATE });
  }
  return executeChild(scaleNodegroupTo, {
    workflowId,
    args: [{ ref: { target: ref.target, cluster: ref.cluster, nodegroup: ref.nodegroup }, size, ...common, waitForInstances: mode === 'desired' }],
    parentClosePolicy: ParentClosePolicy.TERMINATE,
  });
}

/** Raises an alert; a failing alert path is logged, never allowed to fail the scaling run. */
export async function alertSafely(alert: AlertInput): Promise<void> {
  try {
    await raiseAlert(alert);
  } catch (err) {
    log.warn('raising an alert failed', { type: alert.type, dedupKey: alert.dedupKey, error: messageOf(err) });
  }
}

export async function reportSafely(clusterKey: string, action: string, summary: string): Promise<void> {
  try {
    await control.reportToController({ clusterKey, action, summary, workflowId: workflowInfo().workflowId });
  } catch (err) {
    log.warn('reporting to the cluster controller failed', { clusterKey, error: messageOf(err) });
  }
}

export function messageOf(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  // Child/activity failures wrap the real cause; the innermost message is the useful one.
  while (e && typeof e === 'object' && e.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/** Request tokens and child ids must be safe identifiers. */
export function childId(...parts: string[]): string {
  return parts.join('/');
}

export function priceFor(prices: Record<string, number>, cluster: ClusterSpec, ng: NodegroupConfig): number | undefined {
  return ng.capacityType === 'ON_DEMAND' ? prices[`${cluster.target.region}/${ng.instanceTypes[0]}`] : undefined;
}

/**
 * Workload downscaling for one cluster at a timetable phase. Only runs when the cluster has a
 * Kubernetes API; a failure is reported in the run's result, never fails the node scaling.
 */
export async function scaleWorkloads(cluster: ClusterSpec, phase: 'down' | 'up'): Promise<ClusterRunResult['workloads']> {
  if (!cluster.kubernetes) return undefined;
  try {
    const r = await mutate.downscaleWorkloads({ clusterKey: cluster.key, phase });
    if (r.skipped) return undefined;
    if (r.changes.length) await reportSafely(cluster.key, `workloads-${phase}`, r.changes.map((c) => `${c.kind} ${c.workload} ${c.from}→${c.to}`).join(', '));
    return { changes: r.changes, unchanged: r.unchanged };
  } catch (err) {
    return { changes: [], unchanged: 0, error: messageOf(err) };
  }
}
