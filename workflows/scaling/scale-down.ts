import { patched, sleep, workflowInfo } from '@temporalio/workflow';
import type { NodegroupConfig } from '../../src/config/clusters';
import { pausedMessage } from '../../src/domain/scaling/control';
import { gradualSteps, stepOffsetsMs } from '../../src/domain/scaling/gradual';
import { activeOverride, costImpactPerHour, planGroup } from '../../src/domain/scaling/plan';
import type { ClusterRunResult, FleetRunResult, GroupResult, StepRecord } from '../../src/domain/scaling/results';
import { checkScaleDownStep } from '../../src/domain/scaling/safety';
import { groupRefOf, type ControlState } from '../../src/domain/scaling/types';
import type { NodegroupSize } from '../../src/domain/size';
import {
  alertSafely,
  applyAndVerify,
  childId,
  control,
  priceFor,
  publish,
  read,
  reportSafely,
  scaleWorkloads,
} from './lib';
import { failureMessage } from '../lib/failures';
import { runForEachCluster, type ClusterRunInput, type FleetRunInput } from './fleet';

interface GroupTrack {
  ng: NodegroupConfig;
  start: NodegroupSize;
  target: NodegroupSize;
  steps: NodegroupSize[];
  last: GroupResult;
}

/**
 * 18:00–18:30 IST: steps every node group down to its off-hours size in N steps spread over the
 * window (durable timers between steps). Before each step it re-reads the controller (a pause
 * stops the run before its next step; an override keeps its group out) and runs the safety
 * checks; a blocked step changes nothing and raises `scale_down_blocked` with a recommendation.
 */
export async function scaleDownCluster(input: ClusterRunInput): Promise<ClusterRunResult> {
  const { cluster, settings } = input;
  const startedAtMs = Date.now();
  const dryRun = Boolean(input.dryRun);
  const base = { cluster: cluster.name, clusterKey: cluster.key, kind: 'scale-down' as const, dryRun, startedAtMs };
  let state = await control.controlState({ cluster, calendar: input.calendar });
  if (state.paused) {
    const reason = `skipped: ${pausedMessage(state.paused)}`;
    if (!dryRun) await reportSafely(cluster.key, 'scale-down', reason);
    return { ...base, status: 'skipped', reason, groups: [], finishedAtMs: Date.now() };
  }

  const tracks: GroupTrack[] = [];
  const failed: GroupResult[] = [];
  await Promise.all(
    cluster.nodegroups.map(async (ng) => {
      try {
        const reading = await read.readGroup(groupRefOf(cluster, ng));
        const plan = planGroup({
          ng,
          phase: 'off',
          current: reading.size,
          override: activeOverride(state.overrides, ng.name, Date.now()),
        });
        const steps = gradualSteps(reading.size, plan.target, settings.scaleDownSteps);
        const cost = costImpactPerHour(reading.size, plan.target, priceFor(input.prices, cluster, ng));
        tracks.push({
          ng,
          start: reading.size,
          target: plan.target,
          steps,
          last: {
            nodegroup: ng.name,
            kind: ng.kind,
            mode: ng.scalingMode,
            status: dryRun ? 'planned' : 'no_change',
            before: reading.size,
            target: plan.target,
            after: reading.size,
            steps,
            reason: plan.reasons.join('; '),
            ...(cost !== undefined ? { costImpactUsdPerHour: cost } : {}),
          },
        });
      } catch (err) {
        failed.push({
          nodegroup: ng.name,
          kind: ng.kind,
          mode: ng.scalingMode,
          status: 'failed',
          reason: failureMessage(err),
        });
      }
    }),
  );
  tracks.sort((a, b) => cluster.nodegroups.indexOf(a.ng) - cluster.nodegroups.indexOf(b.ng));

  if (dryRun) {
    // Preview the safety checks against the final step, so the evening plan says what would block.
    await Promise.all(
      tracks.map(async (t) => {
        const workload = await read.workloadRequests({ clusterKey: cluster.key, nodegroup: t.ng.name });
        const verdict = checkScaleDownStep(t.ng, t.target, workload);
        t.last = {
          ...t.last,
          checks: verdict.checks,
          ...(verdict.allowed
            ? {}
            : { status: 'blocked', reason: verdict.reason!, recommendation: verdict.recommendation! }),
        };
      }),
    );
    await reportSafely(
      cluster.key,
      'scale-down-plan',
      `planned ${tracks.map((t) => `${t.ng.name} → ${t.target.desired}`).join(', ')}`,
    );
    return { ...base, status: 'planned', groups: [...tracks.map((t) => t.last), ...failed], finishedAtMs: Date.now() };
  }

  // Workloads first: scaling them down is what lets the node steps actually free nodes.
  const workloads = await scaleWorkloads(cluster, 'down');
  const offsets = stepOffsetsMs(settings.scaleDownSteps, settings.scaleDownWindowMs);
  const stepsDone: StepRecord[] = [];
  let stopped: string | undefined;
  for (let i = 0; i < offsets.length; i++) {
    const wait = startedAtMs + offsets[i]! - Date.now();
    if (wait > 0) await sleep(wait);
    if (i > 0) {
      state = await control.controlState({ cluster, calendar: input.calendar });
      if (state.paused) {
        stopped = `stopped before step ${i + 1} of ${offsets.length}: ${pausedMessage(state.paused)}`;
        break;
      }
    }
    const atMs = Date.now();
    const results = await Promise.all(tracks.map((t) => scaleDownStep(input, t, i, state)));
    results.forEach((r, k) => (tracks[k]!.last = { ...tracks[k]!.last, ...r }));
    stepsDone.push({ index: i + 1, atMs, groups: results });
  }

  const groups = [...tracks.map((t) => t.last), ...failed];
  const summary =
    stopped ??
    `scaled down in ${stepsDone.length} step(s): ${groups.map((g) => `${g.nodegroup}:${g.status}`).join(', ')}`;
  await reportSafely(cluster.key, 'scale-down', summary);
  return {
    ...base,
    status: stopped ? 'stopped' : 'done',
    ...(stopped ? { reason: stopped } : {}),
    groups,
    steps: stepsDone,
    ...(workloads ? { workloads } : {}),
    finishedAtMs: Date.now(),
  };
}

/** One step for one node group: override check, safety checks, then apply + verify. */
async function scaleDownStep(
  input: ClusterRunInput,
  t: GroupTrack,
  i: number,
  state: ControlState,
): Promise<GroupResult> {
  const { cluster } = input;
  const head = { nodegroup: t.ng.name, kind: t.ng.kind, mode: t.ng.scalingMode };
  const override = activeOverride(state.overrides, t.ng.name, Date.now());
  if (override)
    return {
      ...head,
      status: 'skipped',
      reason: `override by ${override.by} wins until ${new Date(override.untilMs).toISOString()}: ${override.reason}`,
    };
  try {
    const ref = groupRefOf(cluster, t.ng);
    const current = (await read.readGroup(ref)).size;
    const planned = t.steps[i]!;
    // A step never raises anything: whoever lowered a group further meanwhile is not overruled.
    const proposed: NodegroupSize =
      t.ng.scalingMode === 'bounds'
        ? { min: Math.min(planned.min, current.min), max: Math.min(planned.max, current.max), desired: current.desired }
        : {
            min: Math.min(planned.min, current.min),
            desired: Math.min(planned.desired, current.desired),
            max: planned.max,
          };
    if (t.ng.scalingMode === 'bounds')
      proposed.desired = Math.max(proposed.min, Math.min(proposed.max, current.desired));
    const workload = await read.workloadRequests({ clusterKey: cluster.key, nodegroup: t.ng.name });
    const verdict = checkScaleDownStep(t.ng, proposed, workload);
    if (!verdict.allowed) {
      await alertSafely({
        severity: 'warning',
        type: 'scale_down_blocked',
        dedupKey: `scale-down-blocked/${cluster.key}/${t.ng.name}/${input.date}`,
        summary: `scale-down step ${i + 1} of ${cluster.name}/${t.ng.name} blocked: ${verdict.reason}`,
        cluster: cluster.name,
        details: { nodegroup: t.ng.name, step: i + 1, recommendation: verdict.recommendation ?? '' },
      });
      await reportSafely(
        cluster.key,
        'scale_down_blocked',
        `${t.ng.name} step ${i + 1}: ${verdict.reason}; recommendation: ${verdict.recommendation}`,
      );
      return {
        ...head,
        status: 'blocked',
        after: current,
        reason: verdict.reason!,
        recommendation: verdict.recommendation!,
        checks: verdict.checks,
      };
    }
    const skipped = verdict.checks
      .filter((c) => c.status === 'skipped')
      .map((c) => `${c.name} check skipped: ${c.detail}`);
    // Self-managed groups with a Kubernetes API: eksflow picks, drains and removes the nodes itself.
    const scaleIn =
      t.ng.kind === 'self-managed' &&
      t.ng.scalingMode === 'desired' &&
      cluster.kubernetes &&
      patched('scale-in-by-drain')
        ? { clusterKey: cluster.key }
        : undefined;
    const r = await applyAndVerify(
      ref,
      t.ng.scalingMode,
      proposed,
      input.settings,
      childId(workflowInfo().workflowId, t.ng.name, `step-${i + 1}`),
      scaleIn,
    );
    const removed = r.scaleIn?.removed ?? [];
    const scaleInNotes = r.scaleIn
      ? [
          ...(removed.length
            ? [
                `drained and removed ${removed.map((x) => (x.node ? `${x.node} (${x.instanceId})` : x.instanceId)).join(', ')}`,
              ]
            : []),
          ...r.scaleIn.notes,
        ]
      : [];
    return {
      ...head,
      status: r.status,
      after: r.after,
      inService: r.inService,
      checks: verdict.checks,
      reason: [`step ${i + 1}: ${fmt(r.before)} → ${fmt(r.after)}`, ...scaleInNotes, ...skipped].join('; '),
    };
  } catch (err) {
    return { ...head, status: 'failed', reason: `step ${i + 1}: ${failureMessage(err)}` };
  }
}

const fmt = (s: NodegroupSize) => `${s.min}/${s.desired}/${s.max}`;

/** 18:00 IST, fleet-wide: scaleDownCluster for every configured cluster. */
export async function scaleDownFleet(input: FleetRunInput = {}): Promise<FleetRunResult> {
  return runForEachCluster('scale-down', scaleDownCluster, input);
}

/**
 * 17:30 IST: the evening's scale-down plan — each group's steps, cost impact and the safety
 * checks it would face — published so a human can pause ("skip tonight") or override in time.
 */
export async function trafficAnalysis(input: FleetRunInput = {}): Promise<FleetRunResult> {
  const result = await runForEachCluster('scale-down', scaleDownCluster, { ...input, dryRun: true });
  const { path } = await publish.publishPlan({ kind: 'traffic-analysis', date: result.date, plan: result });
  return { ...result, publishedTo: path };
}
