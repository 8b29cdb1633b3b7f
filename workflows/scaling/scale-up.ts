import { patched, workflowInfo } from '@temporalio/workflow';
import type { NodegroupConfig } from '../../src/config/clusters';
import { activeOverride, costImpactPerHour, planGroup, sizeToApply } from '../../src/domain/scaling/plan';
import { pausedMessage } from '../../src/domain/scaling/control';
import type { ClusterRunResult, FleetRunResult, GroupResult } from '../../src/domain/scaling/results';
import { groupRefOf, type ControlState } from '../../src/domain/scaling/types';
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
  const state = await control.controlState({ cluster, calendar: input.calendar });
  if (state.paused) {
    const reason = `skipped: ${pausedMessage(state.paused)}`;
    if (!dryRun) await reportSafely(cluster.key, 'scale-up', reason);
    return { ...base, status: 'skipped', reason, groups: [], finishedAtMs: Date.now() };
  }
  const groups = await Promise.all(cluster.nodegroups.map((ng) => scaleUpGroup(input, ng, state)));
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

async function scaleUpGroup(input: ClusterRunInput, ng: NodegroupConfig, state: ControlState): Promise<GroupResult> {
  const { cluster } = input;
  const ref = groupRefOf(cluster, ng);
  const head = { nodegroup: ng.name, kind: ng.kind, mode: ng.scalingMode };
  try {
    const reading = await read.readGroup(ref);
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
