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
  type GroupRef,
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
import { applyGroup, verifyGroups, type AppliedGroup } from './cluster-groups';
import { requestTokenFor, type ScaleNodegroupResult } from './scale-group';

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
  // The cluster's own workflow applies and verifies its groups (one loop of `readGroups` for all
  // of them); runs recorded before started a child workflow per group, and replay so.
  const groups = patched('scale-up-groups-in-cluster')
    ? await scaleUpGroupsHere(input, state, readings)
    : await Promise.all(cluster.nodegroups.map((ng, i) => scaleUpGroup(input, ng, state, readings?.[i])));
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

interface PlannedGroup {
  ref: GroupRef;
  head: Pick<GroupResult, 'nodegroup' | 'kind' | 'mode'>;
  reading: GroupReading;
  plan: ReturnType<typeof planGroup>;
}

/** A group's reading (its own read when the cluster's read failed), forecast and plan. */
async function planUpGroup(
  input: ClusterRunInput,
  ng: NodegroupConfig,
  state: ControlState,
  pre?: GroupReadOutcome,
): Promise<PlannedGroup> {
  const ref = groupRefOf(input.cluster, ng);
  const reading = pre === undefined ? await read.readGroup(ref) : readingOf(pre);
  const forecast = await forecastFor(input.cluster, ng);
  const plan = planGroup({
    ng,
    phase: 'business',
    current: reading.size,
    forecast,
    override: activeOverride(state.overrides, ng.name, Date.now()),
  });
  return { ref, head: headOf(ng), reading, plan };
}

/** The part of a group's result known once it is planned (and its spot note is in). */
function plannedResult(input: ClusterRunInput, ng: NodegroupConfig, p: PlannedGroup, spotNote: string | null) {
  const { plan } = p;
  if (spotNote) plan.reasons.push(spotNote);
  const costImpactUsdPerHour = costImpactPerHour(plan.current, plan.target, priceFor(input.prices, input.cluster, ng));
  return {
    ...p.head,
    before: plan.current,
    target: plan.target,
    forecast: plan.forecast,
    reason: plan.reasons.join('; '),
    ...(costImpactUsdPerHour !== undefined ? { costImpactUsdPerHour } : {}),
  };
}

/** What a dry run or an unchanged plan returns: nothing to apply. */
function unapplied(input: ClusterRunInput, p: PlannedGroup, common: ReturnType<typeof plannedResult>): GroupResult {
  if (input.dryRun) return { ...common, status: 'planned' };
  return { ...common, status: 'no_change', after: p.plan.current, inService: p.reading.inService };
}

const headOf = (ng: NodegroupConfig) => ({ nodegroup: ng.name, kind: ng.kind, mode: ng.scalingMode });

/** A planned group's result once its size was applied and verified (by its child or by the cluster's run). */
function verifiedResult(common: Omit<GroupResult, 'status'>, r: ScaleNodegroupResult): GroupResult {
  const reason =
    r.status === 'timeout'
      ? `not ACTIVE with ${r.after.desired} instances InService after ${Math.round(r.waitedMs / 1000)} s (${r.inService} InService)`
      : common.reason;
  return { ...common, status: r.status, before: r.before, after: r.after, inService: r.inService, reason };
}

/** A group planned by the cluster's run: its result already (not applied, failed), or applied and awaiting verification. */
type Staged = GroupResult | { common: Omit<GroupResult, 'status'>; applied: AppliedGroup };

/** Runs recorded before 'scale-up-groups-in-cluster': a child workflow per group applies and verifies. */
async function scaleUpGroup(
  input: ClusterRunInput,
  ng: NodegroupConfig,
  state: ControlState,
  pre?: GroupReadOutcome,
): Promise<GroupResult> {
  try {
    const p = await planUpGroup(input, ng, state, pre);
    // Runs recorded before the spot price check existed replay without it.
    const spotNote = patched('spot-price-outlook')
      ? await spotOutlookFor(input.cluster, ng, p.plan.target.desired)
      : null;
    const common = plannedResult(input, ng, p, spotNote);
    if (input.dryRun || !p.plan.change) return unapplied(input, p, common);
    const r = await applyAndVerify(
      p.ref,
      ng.scalingMode,
      sizeToApply(p.plan),
      input.settings,
      childId(workflowInfo().workflowId, ng.name),
    );
    return verifiedResult(common, r);
  } catch (err) {
    return { ...headOf(ng), status: 'failed', reason: failureMessage(err) };
  }
}

/**
 * Every group of the cluster planned and applied at once, the spot outlook beside the update (it
 * only adds a note), then one verify loop for all updated groups (cluster-groups.ts). A group's
 * client token is the one its child workflow used: `<run id>/<group>/<group>`.
 */
async function scaleUpGroupsHere(
  input: ClusterRunInput,
  state: ControlState,
  readings: GroupReadOutcome[] | undefined,
): Promise<GroupResult[]> {
  const { cluster } = input;
  const staged = await Promise.all(
    cluster.nodegroups.map(async (ng, i): Promise<Staged> => {
      try {
        const p = await planUpGroup(input, ng, state, readings?.[i]);
        if (input.dryRun || !p.plan.change)
          return unapplied(
            input,
            p,
            plannedResult(input, ng, p, await spotOutlookFor(cluster, ng, p.plan.target.desired)),
          );
        const token = requestTokenFor(childId(workflowInfo().workflowId, ng.name), ng.name);
        const [spotNote, applied] = await Promise.all([
          spotOutlookFor(cluster, ng, p.plan.target.desired),
          applyGroup(p.ref, ng.scalingMode, sizeToApply(p.plan), token),
        ]);
        return { common: plannedResult(input, ng, p, spotNote), applied };
      } catch (err) {
        return { ...headOf(ng), status: 'failed', reason: failureMessage(err) };
      }
    }),
  );
  const toVerify = staged.flatMap((s) => ('applied' in s ? [s.applied] : []));
  const verified = await verifyGroups(toVerify, input.settings);
  let k = 0;
  return staged.map((s): GroupResult => {
    if (!('applied' in s)) return s;
    const v = verified[k++]!;
    return 'error' in v ? { ...s.common, status: 'failed', reason: v.error } : verifiedResult(s.common, v);
  });
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
