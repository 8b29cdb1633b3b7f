import { patched } from '@temporalio/workflow';
import { pausedMessage } from '../../src/domain/scaling/control';
import { activeOverride, planGroup } from '../../src/domain/scaling/plan';
import type { ClusterRunResult, FleetRunResult, GroupResult } from '../../src/domain/scaling/results';
import { groupRefOf, type ControlState } from '../../src/domain/scaling/types';
import { healthProblems } from '../../src/domain/scaling/health';
import { alertSafely, control, read, reportSafely } from './lib';
import { failureMessage } from '../lib/failures';
import { verifyChecks, type CheckVerdict } from '../../src/domain/health/verify';
import { runForEachCluster, type ClusterRunInput, type FleetRunInput } from './fleet';

/** 08:30 IST: node groups reached their targets, are ACTIVE, with instances InService; anything else alerts. */
export async function verifyClusterHealth(input: ClusterRunInput): Promise<ClusterRunResult> {
  const { cluster } = input;
  const startedAtMs = Date.now();
  const base = { cluster: cluster.name, clusterKey: cluster.key, kind: 'health' as const, dryRun: false, startedAtMs };
  const state: ControlState = await control.controlState({ cluster, calendar: input.calendar });
  if (state.paused) {
    return {
      ...base,
      status: 'skipped',
      reason: `skipped: ${pausedMessage(state.paused)}`,
      groups: [],
      finishedAtMs: Date.now(),
    };
  }
  const groups = await Promise.all(
    cluster.nodegroups.map(async (ng): Promise<GroupResult> => {
      const head = { nodegroup: ng.name, kind: ng.kind, mode: ng.scalingMode };
      try {
        const reading = await read.readGroup(groupRefOf(cluster, ng));
        const plan = planGroup({
          ng,
          phase: 'business',
          current: reading.size,
          override: activeOverride(state.overrides, ng.name, Date.now()),
        });
        const problems = healthProblems(ng, reading, plan.target);
        return {
          ...head,
          status: problems.length ? 'unhealthy' : 'healthy',
          after: reading.size,
          target: plan.target,
          inService: reading.inService,
          reason: problems.length ? problems.join('; ') : 'at target, ACTIVE, instances InService',
        };
      } catch (err) {
        return { ...head, status: 'unhealthy', reason: `could not be read: ${failureMessage(err)}` };
      }
    }),
  );
  // Workflows started before issue 12 replay without the PromQL step.
  const healthChecks = patched('health-promql-checks') ? await promqlChecks(cluster.key) : [];
  const bad = groups.filter((g) => g.status === 'unhealthy');
  const badChecks = healthChecks.filter((h) => h.status === 'unhealthy');
  if (bad.length || badChecks.length) {
    await alertSafely({
      severity: badChecks.some((h) => h.severity === 'critical') ? 'critical' : 'warning',
      type: 'health_check_failed',
      dedupKey: `health/${cluster.key}/${input.date}`,
      summary:
        `${cluster.name}: ${[...bad.map((g) => `${g.nodegroup} (${g.reason})`), ...badChecks.map((h) => `${h.check} (${h.reason})`)].join('; ')}`.slice(
          0,
          1000,
        ),
      cluster: cluster.name,
      details: {
        unhealthy: bad.length,
        nodegroups: bad.map((g) => g.nodegroup).join(','),
        failedChecks: badChecks.map((h) => h.check).join(','),
      },
    });
  }
  const summary = [
    bad.length ? `${bad.length} unhealthy node group(s)` : 'all node groups healthy',
    ...(healthChecks.length
      ? [
          badChecks.length
            ? `${badChecks.length} of ${healthChecks.length} health checks failing`
            : `${healthChecks.length} health checks passing`,
        ]
      : []),
  ].join(', ');
  await reportSafely(cluster.key, 'health', summary);
  return {
    ...base,
    status: 'done',
    groups,
    ...(healthChecks.length ? { healthChecks } : {}),
    finishedAtMs: Date.now(),
  };
}

/** The cluster's PromQL checks (health.clusters), one look each; none when not configured. */
async function promqlChecks(clusterKey: string): Promise<CheckVerdict[]> {
  try {
    const ev = await read.evaluateHealthChecks({ clusterKey });
    return ev.configured ? verifyChecks(ev.checks, ev.observations) : [];
  } catch (err) {
    return [
      {
        check: 'prometheus',
        severity: 'warning',
        status: 'unhealthy',
        reason: `health checks could not be evaluated: ${failureMessage(err)}`,
      },
    ];
  }
}

export async function verifyFleetHealth(input: FleetRunInput = {}): Promise<FleetRunResult> {
  return runForEachCluster('health', verifyClusterHealth, input);
}
