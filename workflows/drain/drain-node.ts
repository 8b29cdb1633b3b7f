import { proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { nextEvictionBackoffMs, podKey, type DrainPod } from '../../src/domain/drain/pods';
import { failureMessage } from '../lib/failures';
import { kubernetesBefore } from '../lib/presets';
import {
  drainProgressQuery,
  type DrainBlock,
  type DrainNodeInput,
  type DrainNodeResult,
  type DrainProgress,
} from './messages';

const DEFAULT_POLL_MS = 1_000;

/**
 * Drains one node the way `kubectl drain` does, as a durable workflow: cordon; evict every pod
 * but DaemonSet and mirror pods through the Eviction API (which enforces PodDisruptionBudgets);
 * retry refused evictions with backoff until the deadline; wait for evicted pods to terminate
 * (their own terminationGracePeriodSeconds, capped by the deadline); report exactly which pods
 * are left and why. Pods it evicted are remembered by UID in the workflow's state and each
 * eviction re-reads its pod first, so a worker killed mid-drain never evicts a pod twice.
 */
export async function drainNode(input: DrainNodeInput): Promise<DrainNodeResult> {
  const startedAtMs = Date.now();
  const pollMs = input.pollMs ?? DEFAULT_POLL_MS;
  const k = (deadline: number) => proxyActivities<Activities>(kubernetesBefore(deadline, Date.now()));
  const evictedUids: Record<string, string> = {};
  const evicted: string[] = [];
  const refusals: Record<string, { message: string; budgets: string[] }> = {};
  let deadlineMs = input.deadlineMs ?? startedAtMs + (input.rules?.timeoutSeconds ?? 300) * 1000;
  const progress: DrainProgress = {
    phase: 'cordoning',
    evicted,
    pending: [],
    deadline: new Date(deadlineMs).toISOString(),
    passes: 0,
  };
  setHandler(drainProgressQuery, () => ({ ...progress, deadline: new Date(deadlineMs).toISOString() }));

  const result: DrainNodeResult = {
    clusterKey: input.clusterKey,
    status: 'failed',
    cordoned: false,
    evicted,
    skipped: [],
    blocked: [],
    passes: 0,
    reason: input.reason,
    startedAtMs,
    finishedAtMs: startedAtMs,
  };
  const finish = (status: DrainNodeResult['status'], extra: Partial<DrainNodeResult> = {}): DrainNodeResult => {
    progress.phase = 'done';
    return { ...result, ...extra, status, passes: progress.passes, finishedAtMs: Date.now() };
  };

  let cordon;
  try {
    cordon = await k(deadlineMs).k8sCordonNode({
      clusterKey: input.clusterKey,
      node: input.node,
      instanceId: input.instanceId,
      rules: input.rules,
    });
  } catch (err) {
    return finish('failed', { error: `cordon failed: ${failureMessage(err)}` });
  }
  if (cordon.skipped) return finish('skipped', { error: cordon.reason });
  if (!cordon.found || !cordon.node) return finish('node-not-found', { error: cordon.reason });
  const node = cordon.node;
  result.node = progress.node = node;
  result.cordoned = true;
  if (input.deadlineMs === undefined && input.rules?.timeoutSeconds === undefined) {
    deadlineMs = startedAtMs + cordon.rules.timeoutSeconds * 1000;
  }
  const rules = { deleteEmptyDirData: cordon.rules.deleteEmptyDirData, force: cordon.rules.force };

  let backoffMs: number | undefined;
  for (;;) {
    let plan;
    try {
      plan = await k(deadlineMs).k8sDrainPlan({ clusterKey: input.clusterKey, node, rules });
    } catch (err) {
      return finish('failed', {
        error: `listing the node's pods failed: ${failureMessage(err)}`,
        blocked: pendingAsErrors(progress.pending, failureMessage(err)),
      });
    }
    result.skipped = plan.skipped.map((s) => ({
      pod: s.pod,
      reason: s.reason === 'daemonset' ? 'DaemonSet pod' : 'mirror pod',
    }));
    if (!plan.nodeExists) return finish('drained', { error: 'the node was deleted during the drain' });
    progress.pending = [...plan.evict.map(podKey), ...plan.refused.map((r) => r.pod)];
    for (const key of Object.keys(refusals)) if (!progress.pending.includes(key)) delete refusals[key];
    const toEvict: DrainPod[] = plan.evict.filter((p) => !p.terminating && !evictedUids[p.uid]);
    let progressed = false;
    if (toEvict.length > 0 && Date.now() < deadlineMs) {
      progress.phase = 'evicting';
      progress.passes++;
      let results;
      try {
        results = await k(deadlineMs).k8sEvictPods({
          clusterKey: input.clusterKey,
          node,
          pods: toEvict.map(({ namespace, name, uid }) => ({ namespace, name, uid })),
        });
      } catch (err) {
        return finish('failed', {
          error: `evicting failed: ${failureMessage(err)}`,
          blocked: pendingAsErrors(progress.pending, failureMessage(err)),
        });
      }
      for (const r of results) {
        if (r.result === 'evicted' || r.result === 'already-terminating') {
          // already-terminating: an earlier attempt of this pass evicted it before its worker died.
          if (!evictedUids[r.uid]) {
            evictedUids[r.uid] = r.pod;
            evicted.push(r.pod);
          }
          delete refusals[r.pod];
          progressed = true;
        } else if (r.result === 'blocked') {
          refusals[r.pod] = { message: r.message ?? 'eviction refused', budgets: r.budgets ?? [] };
        } else {
          progressed = true;
        }
      }
    }
    const remaining = plan.evict;
    if (plan.evict.length === 0 && plan.refused.length === 0) return finish('drained');
    if (plan.evict.length === 0) {
      // Only pods the rules forbid are left: waiting cannot change that.
      return finish('blocked', {
        blocked: plan.refused.map((r) => ({ pod: r.pod, kind: 'rule' as const, reason: r.reason })),
        error: 'pods the drain rules forbid evicting are left on the node',
      });
    }
    const now = Date.now();
    if (now >= deadlineMs) {
      const blocked: DrainBlock[] = [
        ...remaining.map((p): DrainBlock => {
          const key = podKey(p);
          const refusal = refusals[key];
          if (refusal && !evictedUids[p.uid]) {
            const budgets = refusal.budgets.length ? refusal.budgets : (plan.budgets[key] ?? []).map((b) => b.name);
            return {
              pod: key,
              kind: 'disruption-budget',
              reason: `${refusal.message}${budgets.length ? ` (PodDisruptionBudget ${budgets.join(', ')})` : ''}`,
              budgets,
            };
          }
          if (p.terminating || evictedUids[p.uid]) {
            return {
              pod: key,
              kind: 'terminating',
              reason: `evicted, still terminating (terminationGracePeriodSeconds ${p.graceSeconds})`,
            };
          }
          return { pod: key, kind: 'error', reason: 'not evicted before the deadline' };
        }),
        ...plan.refused.map((r): DrainBlock => ({ pod: r.pod, kind: 'rule', reason: r.reason })),
      ];
      return finish('timed-out', { blocked });
    }
    const waitingOnBudgets = Object.keys(refusals).length > 0;
    progress.phase = waitingOnBudgets ? 'evicting' : 'waiting';
    backoffMs = waitingOnBudgets ? nextEvictionBackoffMs(backoffMs, progressed) : undefined;
    await sleep(Math.max(1, Math.min(backoffMs ?? pollMs, deadlineMs - now)));
  }
}

function pendingAsErrors(pending: string[], message: string): DrainBlock[] {
  return pending.map((pod) => ({ pod, kind: 'error', reason: message }));
}
