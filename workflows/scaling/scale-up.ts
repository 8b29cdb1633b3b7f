import { patched, workflowInfo } from '@temporalio/workflow';
import type { NodegroupConfig } from '../../src/config/clusters';
import { activeOverride, costImpactPerHour, planGroup, sizeToApply } from '../../src/domain/scaling/plan';
import { pausedMessage } from '../../src/domain/scaling/control';
import type { ClusterRunResult, FleetRunResult, GroupResult } from '../../src/domain/scaling/results';
import type { GroupReadOutcome } from '../../activities/fleet';
import {
  groupRefOf,
  MAX_GROUPS_PER_READ,
  type ClusterSpec,
  type ControlState,
  type GroupReading,
} from '../../src/domain/scaling/types';
import {
  applyAndVerify,
  alertSafely,
  childId,
  control,
  forecastFor,
  priceFor,
  publish,
  read,
  reportSafely,
  spotOutlookFor,
  scaleWorkloads,
} from './lib';
import { failureMessage } from '../lib/failures';
import { runForEachCluster, type ClusterRunInput, type FleetRunInput } from './fleet';

/**
 * 08:00 IST: every node group of a cluster to its business-hours size (forecast-adjusted,
 * clamped, overrides winning), in parallel, then waits with durable timers until each is ACTIVE
 * with its desired instances InService — or times out and alerts. A paused cluster is skipped.
 */
export async function scaleUpCluster(input: ClusterRunInput): Promise<ClusterRunResult> {
  const { cluster } = input;
  const startedAtMs = Date.now();
  const dryRun = Boolean(input.dryRun);
  const base = { cluster: cluster.name, clusterKey: cluster.key, kind: 'scale-up' as const, dryRun, startedAtMs };
  // The controller's state and the groups' readings (one activity for all groups) at once: reads
  // only, so a paused cluster costs a read and nothing else. Runs recorded before read the state,
  // then each group on its own, and replay so.
  const [state, readings] = patched('group-reads-per-cluster')
    ? await Promise.all([control.controlState({ cluster, calendar: input.calendar }), readAll(cluster)])
    : [await control.controlState({ cluster, calendar: input.calendar }), undefined];
  if (state.paused) {
    const reason = `skipped: ${pausedMessage(state.paused)}`;
    if (!dryRun) await reportSafely(cluster.key, 'scale-up', reason);
    return { ...base, status: 'skipped', reason, groups: [], finishedAtMs: Date.now() };
  }
  const groups = await Promise.all(cluster.nodegroups.map((ng, i) => scaleUpGroup(input, ng, state, readings?.[i])));
  // Workloads come back once their nodes are there.
  const workloads = dryRun ? undefined : await scaleWorkloads(cluster, 'up');
  for (const g of groups.filter((g) => g.status === 'timeout' || g.status === 'failed')) {
    await alertSafely({
      severity: 'warning',
      type: g.status === 'timeout' ? 'scale_up_timeout' : 'scale_up_failed',
      dedupKey: `scale-up/${cluster.key}/${g.nodegroup}/${input.date}`,
      summary: `scale-up of ${cluster.name}/${g.nodegroup}: ${g.reason}`,
      cluster: cluster.name,
      details: {
        nodegroup: g.nodegroup,
        status: g.status,
        inService: g.inService ?? -1,
        desired: g.after?.desired ?? -1,
      },
    });
  }
  const counts = groups.map((g) => `${g.nodegroup}:${g.status}`).join(', ');
  await reportSafely(
    cluster.key,
    dryRun ? 'scale-up-plan' : 'scale-up',
    `${dryRun ? 'planned' : 'scale-up'} ${counts}`,
  );
  return {
    ...base,
    status: dryRun ? 'planned' : 'done',
    groups,
    ...(workloads ? { workloads } : {}),
    finishedAtMs: Date.now(),
  };
}

/**
 * Every group of the cluster read by one `readGroups`; undefined (each group then reads its own)
 * when that read fails as a whole, so one bad group never fails its neighbours' reads.
 */
async function readAll(cluster: ClusterSpec): Promise<GroupReadOutcome[] | undefined> {
  if (cluster.nodegroups.length === 0 || cluster.nodegroups.length > MAX_GROUPS_PER_READ) return undefined;
  try {
    return await read.readGroups(cluster.nodegroups.map((ng) => groupRefOf(cluster, ng)));
  } catch {
    return undefined;
  }
}

async function scaleUpGroup(
  input: ClusterRunInput,
  ng: NodegroupConfig,
  state: ControlState,
  pre?: GroupReadOutcome,
): Promise<GroupResult> {
  const { cluster } = input;
  const ref = groupRefOf(cluster, ng);
  const head = { nodegroup: ng.name, kind: ng.kind, mode: ng.scalingMode };
  try {
    const reading = pre === undefined ? await read.readGroup(ref) : readingOf(pre);
    const forecast = await forecastFor(cluster, ng);
    const plan = planGroup({
      ng,
      phase: 'business',
      current: reading.size,
      forecast,
      override: activeOverride(state.overrides, ng.name, Date.now()),
    });
    // Runs recorded before the spot price check existed replay without it.
    const spotNote = patched('spot-price-outlook') ? await spotOutlookFor(cluster, ng, plan.target.desired) : null;
    if (spotNote) plan.reasons.push(spotNote);
    const costImpactUsdPerHour = costImpactPerHour(plan.current, plan.target, priceFor(input.prices, cluster, ng));
    const common = {
      ...head,
      before: plan.current,
      target: plan.target,
      forecast: plan.forecast,
      reason: plan.reasons.join('; '),
      ...(costImpactUsdPerHour !== undefined ? { costImpactUsdPerHour } : {}),
    };
    if (input.dryRun) return { ...common, status: 'planned' };
    if (!plan.change) return { ...common, status: 'no_change', after: plan.current, inService: reading.inService };
    const size = sizeToApply(plan);
    const r = await applyAndVerify(
      ref,
      ng.scalingMode,
      size,
      input.settings,
      childId(workflowInfo().workflowId, ng.name),
    );
    const reason =
      r.status === 'timeout'
        ? `not ACTIVE with ${r.after.desired} instances InService after ${Math.round(r.waitedMs / 1000)} s (${r.inService} InService)`
        : common.reason;
    return { ...common, status: r.status, before: r.before, after: r.after, inService: r.inService, reason };
  } catch (err) {
    return { ...head, status: 'failed', reason: failureMessage(err) };
  }
}

function readingOf(pre: GroupReadOutcome): GroupReading {
  if ('error' in pre) throw new Error(pre.error);
  return pre.reading;
}

/** 08:00 IST, fleet-wide: scaleUpCluster for every configured cluster. */
export async function scaleUpFleet(input: FleetRunInput = {}): Promise<FleetRunResult> {
  return runForEachCluster('scale-up', scaleUpCluster, input);
}

/**
 * 07:30 IST: the plan the 08:00 run will apply (a dry run of it), published as a report and in
 * each controller's last actions, so a human can pause or override in time.
 */
export async function preWorkAnalysis(input: FleetRunInput = {}): Promise<FleetRunResult> {
  const result = await runForEachCluster('scale-up', scaleUpCluster, { ...input, dryRun: true });
  const { path } = await publish.publishPlan({ kind: 'pre-work-analysis', date: result.date, plan: result });
  return { ...result, publishedTo: path };
}
