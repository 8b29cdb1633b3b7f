import {
  executeChild,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { NodegroupConfig } from '../../src/config/clusters';
import type { ForecastOutcome } from '../../src/domain/scaling/plan';
import {
  controllerWorkflowId,
  type ClusterSpec,
  type GroupRef,
  type ScalingSettings,
} from '../../src/domain/scaling/types';
import type { ClusterRunResult } from '../../src/domain/scaling/results';
import type { AlertInput } from '../../src/domain/alerts/types';
import type { NodegroupSize } from '../../src/domain/size';
import { raiseAlert } from '../lib/alerts';
import { failureMessage } from '../lib/failures';
import { awsMutate, awsRead, compute, controllerCall, forecast } from '../lib/presets';
import { recordActionSignal } from './messages';
import {
  scaleNodegroupTo,
  scaleSelfManagedGroupTo,
  type ScaleInOutcome,
  type ScaleNodegroupResult,
} from './scale-group';

/** Helpers shared by the scaling workflows (not workflow types: workflows/index.ts does not export them). */
export const read = proxyActivities<Activities>(awsRead);
export const mutate = proxyActivities<Activities>(awsMutate);
export const publish = proxyActivities<Activities>(compute);
/** Talking to the cluster's controller (signal-with-start, then a query). */
export const control = proxyActivities<Activities>(controllerCall);

/** Forecasts: a couple of quick tries, then the scale-up goes on without one ("forecast unavailable"). */
const ml = proxyActivities<Activities>(forecast);

/**
 * Runs recorded before the controller was signalled directly called this activity (it only sent
 * the signal); replaying them needs the same command, so it stays behind `patched()` below.
 */
const legacyControl = proxyActivities<{
  reportToController(input: {
    clusterKey: string;
    action: string;
    summary: string;
    workflowId?: string;
  }): Promise<void>;
}>(controllerCall);

/** The business-hours ramp the forecast looks at: 08:00 onwards, 4 hours of horizon from the run. */
const FORECAST_HORIZON_MINUTES = 240;

export async function forecastFor(cluster: ClusterSpec, ng: NodegroupConfig): Promise<ForecastOutcome | undefined> {
  if (!ng.demandMetric) return undefined;
  try {
    const f = await ml.forecastNodegroupDemand({
      target: cluster.target,
      metric: ng.demandMetric,
      horizonMinutes: FORECAST_HORIZON_MINUTES,
    });
    // Sized for the upper bound of the 80% interval: under-provisioning costs more than one spare node.
    return {
      kind: 'forecast',
      predictedLoadIncrease: f.predictedLoadIncreaseUpper80,
      basis: 'upper-80',
      pointIncrease: f.predictedLoadIncrease,
      peak: Math.max(...f.point),
      peakUpper: Math.max(...f.intervals.p80.upper),
    };
  } catch (err) {
    return { kind: 'unavailable', reason: failureMessage(err) };
  }
}

/**
 * Spot groups before a scale-up: the note naming pools whose predicted price 24 h ahead exceeds
 * the group's ceiling (a fraction of On-Demand) with the recommended diversification, or null.
 * A failed check never blocks the scale-up; it says so instead.
 */
export async function spotOutlookFor(cluster: ClusterSpec, ng: NodegroupConfig, count: number): Promise<string | null> {
  if (ng.capacityType !== 'SPOT') return null;
  try {
    const ceiling = ng.spotPriceCeiling ?? 0.6;
    const r = await ml.checkSpotGroupOutlook({
      region: cluster.target.region,
      instanceTypes: ng.instanceTypes,
      count,
      ceiling,
    });
    return r.note;
  } catch (err) {
    return `spot price outlook unavailable: ${failureMessage(err)}`;
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
    return executeChild(scaleSelfManagedGroupTo, {
      workflowId,
      args: [{ ref, size, ...common, ...(scaleIn ? { scaleIn } : {}) }],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
  }
  return executeChild(scaleNodegroupTo, {
    workflowId,
    args: [
      {
        ref: { target: ref.target, cluster: ref.cluster, nodegroup: ref.nodegroup },
        size,
        ...common,
        waitForInstances: mode === 'desired',
      },
    ],
    parentClosePolicy: ParentClosePolicy.TERMINATE,
  });
}

/** Raises an alert; a failing alert path is logged, never allowed to fail the scaling run. */
export async function alertSafely(alert: AlertInput): Promise<void> {
  try {
    await raiseAlert(alert);
  } catch (err) {
    log.warn('raising an alert failed', { type: alert.type, dedupKey: alert.dedupKey, error: failureMessage(err) });
  }
}

/** Tells the cluster's controller what a run did (its `status` shows the last actions); never fails the run. */
export async function reportSafely(clusterKey: string, action: string, summary: string): Promise<void> {
  const workflowId = workflowInfo().workflowId;
  try {
    if (patched('report-by-external-signal')) {
      await getExternalWorkflowHandle(controllerWorkflowId(clusterKey)).signal(recordActionSignal, {
        action,
        summary,
        workflowId,
      });
    } else {
      await legacyControl.reportToController({ clusterKey, action, summary, workflowId });
    }
  } catch (err) {
    log.warn('reporting to the cluster controller failed', { clusterKey, error: failureMessage(err) });
  }
}

/** Request tokens and child ids must be safe identifiers. */
export function childId(...parts: string[]): string {
  return parts.join('/');
}

export function priceFor(
  prices: Record<string, number>,
  cluster: ClusterSpec,
  ng: NodegroupConfig,
): number | undefined {
  return ng.capacityType === 'ON_DEMAND' ? prices[`${cluster.target.region}/${ng.instanceTypes[0]}`] : undefined;
}

/**
 * Workload downscaling for one cluster at a timetable phase. Only runs when the cluster has a
 * Kubernetes API; a failure is reported in the run's result, never fails the node scaling. Runs
 * started before workload downscaling existed did not schedule it, hence `patched()`.
 */
export async function scaleWorkloads(
  cluster: ClusterSpec,
  phase: 'down' | 'up',
): Promise<ClusterRunResult['workloads']> {
  if (!cluster.kubernetes || !patched('workload-downscaling')) return undefined;
  try {
    const r = await mutate.downscaleWorkloads({ clusterKey: cluster.key, phase });
    if (r.skipped) return undefined;
    if (r.changes.length)
      await reportSafely(
        cluster.key,
        `workloads-${phase}`,
        r.changes.map((c) => `${c.kind} ${c.workload} ${c.from}→${c.to}`).join(', '),
      );
    return { changes: r.changes, unchanged: r.unchanged };
  } catch (err) {
    return { changes: [], unchanged: 0, error: failureMessage(err) };
  }
}
