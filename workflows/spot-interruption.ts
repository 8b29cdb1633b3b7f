import {
  condition, defineQuery, defineSignal, executeChild, ParentClosePolicy, patched, proxyActivities, setHandler, sleep, upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FleetLaunchResult, InstanceIdentity, DrainResult } from '../activities/interruption';
import type { AlertInput } from '../src/domain/alerts/types';
import { GONE_STATES } from '../src/domain/events/actions';
import { interruptionDeadlineMs, planResponse, secondsLeft, type ResponsePlan } from '../src/domain/interruption/plan';
import { QUERY_PROGRESS, SIGNAL_INSTANCE_STATE, SIGNAL_INTERRUPTION_EVENT, type InterruptionTrigger } from '../src/domain/interruption/types';
import { SA_ACTION, SA_CLUSTER, SA_INSTANCE, SA_SEVERITY } from '../src/search-attributes';
import { raiseAlert } from './lib/alerts';
import { awsMutate, awsRead } from './lib/presets';
import { drainNode as drainNodeWorkflow } from './drain/drain-node';
import { drainWorkflowId } from './drain/messages';

export interface SpotInterruptionTiming {
  /** Between checks that the replacement runs. Default 5 s: the notice is only 120 s. */
  pollIntervalMs?: number;
  /** Managed spot groups: after raising capacity at the deadline, how long before the on-demand fallback. Default 60 s. */
  eksGraceMs?: number;
  /** Without a hard deadline (rebalance, scheduled change): how long a replacement may take. Default 10 min. */
  replacementWaitMs?: number;
  /** How long to wait for the interrupted instance to go before undoing a raise anyway. Default 15 min. */
  terminationWaitMs?: number;
  terminationPollMs?: number;
}

export interface SpotInterruptionInput {
  trigger: InterruptionTrigger;
  timing?: SpotInterruptionTiming;
  /** Upsert EksflowCluster/Action/Severity (the dev server and production have them registered). Default true. */
  searchAttributes?: boolean;
}

export type SpotPhase =
  | 'identifying' | 'notifying' | 'watching-eks' | 'requesting' | 'waiting-for-replacement'
  | 'fallback' | 'waiting-for-termination' | 'undoing' | 'done';

export interface SpotInterruptionProgress {
  phase: SpotPhase;
  instanceId: string;
  trigger: InterruptionTrigger['kind'];
  cluster?: string;
  nodegroup?: string;
  mode?: ResponsePlan['mode'];
  strategy?: 'raise-capacity' | 'ec2-fleet' | 'eks-rebalancing';
  replacementIds: string[];
  fallbackIds: string[];
  deadline?: string;
  secondsLeft?: number;
  drain?: DrainResult;
  notes: string[];
}

export interface SpotInterruptionResult {
  instanceId: string;
  outcome: 'replaced' | 'replaced-by-eks' | 'fallback' | 'not-replaced' | 'notified' | 'already-gone';
  mode?: ResponsePlan['mode'];
  strategy?: SpotInterruptionProgress['strategy'];
  newInstances: string[];
  fallbackInstances: string[];
  /** Event time → replacement requested (workflow clock). */
  timeToRequestMs?: number;
  /** Activity wall clock when the replacement request was accepted by AWS. */
  requestedAt?: string;
  /** Event time → a replacement seen running. */
  timeToRunningMs?: number;
  /** A replacement (or the fallback) is running; for warnings, before the deadline unless a fallback was needed. */
  success: boolean;
  withinDeadline?: boolean;
  raiseUndone?: boolean;
  drain?: DrainResult;
  alerts: string[];
  notes: string[];
}

export const progressQuery = defineQuery<SpotInterruptionProgress>(QUERY_PROGRESS);
export const interruptionEventSignal = defineSignal<[InterruptionTrigger]>(SIGNAL_INTERRUPTION_EVENT);
export const instanceStateSignal = defineSignal<[{ state: string }]>(SIGNAL_INSTANCE_STATE);

const read = proxyActivities<Activities>(awsRead);
const mutate = proxyActivities<Activities>(awsMutate);

/**
 * Options for an activity that must finish before `deadlineMs`: quick attempts, quick retries,
 * and a schedule-to-close that ends them at the deadline (at least 10 s, so a late event still
 * gets a real attempt).
 */
function beforeDeadline(deadlineMs: number | undefined): ActivityOptions {
  const left = deadlineMs === undefined ? 60_000 : Math.max(10_000, deadlineMs - Date.now());
  return {
    startToCloseTimeout: '15 seconds',
    scheduleToCloseTimeout: left,
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '4 seconds' },
  };
}

/**
 * `spot-interruption/<instance-id>`: responds to a spot interruption warning (120 s deadline),
 * a rebalance recommendation or a scheduled change for one instance. EKS managed spot groups are
 * left to EKS capacity rebalancing unless it fails to deliver by the deadline; everything else
 * gets its replacement requested at once, waits for it with short durable timers, falls back to
 * on-demand at the deadline, and undoes any temporary capacity raise once the instance is gone.
 */
export async function spotInterruption(input: SpotInterruptionInput): Promise<SpotInterruptionResult> {
  const { trigger } = input;
  const timing = {
    pollIntervalMs: 5_000, eksGraceMs: 60_000, replacementWaitMs: 10 * 60_000, terminationWaitMs: 15 * 60_000, terminationPollMs: 15_000,
    ...input.timing,
  };
  const eventTimeMs = Date.parse(trigger.time);
  const seenEvents: string[] = [trigger.eventId];
  let deadlineMs: number | undefined = trigger.kind === 'spot-interruption-warning' ? interruptionDeadlineMs(trigger.time) : undefined;
  let instanceGone = false;
  const progress: SpotInterruptionProgress = { phase: 'identifying', instanceId: trigger.instanceId, trigger: trigger.kind, replacementIds: [], fallbackIds: [], notes: [] };
  const result: SpotInterruptionResult = { instanceId: trigger.instanceId, outcome: 'notified', newInstances: [], fallbackInstances: [], success: false, alerts: [], notes: progress.notes };

  setHandler(progressQuery, () => ({
    ...progress,
    deadline: deadlineMs === undefined ? undefined : new Date(deadlineMs).toISOString(),
    secondsLeft: secondsLeft(deadlineMs, Date.now()),
  }));
  setHandler(interruptionEventSignal, (t) => {
    if (seenEvents.includes(t.eventId)) return; // the same event again (retry, or via the other path)
    seenEvents.push(t.eventId);
    if (t.kind === 'spot-interruption-warning' && deadlineMs === undefined) {
      // A rebalance run escalates: from now on the 120 s deadline and its fallback apply.
      deadlineMs = interruptionDeadlineMs(t.time);
      progress.notes.push(`escalated by interruption warning ${t.eventId}`);
    }
  });
  setHandler(instanceStateSignal, ({ state }) => {
    if (GONE_STATES.has(state)) instanceGone = true;
  });

  const tagRun = (pairs: { cluster?: string; action?: string; severity?: string }) => {
    if (input.searchAttributes === false) return;
    upsertSearchAttributes([
      { key: SA_INSTANCE, value: trigger.instanceId },
      ...(pairs.cluster ? [{ key: SA_CLUSTER, value: pairs.cluster }] : []),
      ...(pairs.action ? [{ key: SA_ACTION, value: pairs.action }] : []),
      ...(pairs.severity ? [{ key: SA_SEVERITY, value: pairs.severity }] : []),
    ]);
  };
  const alert = async (a: Omit<AlertInput, 'details'> & { details?: AlertInput['details'] }) => {
    try {
      await raiseAlert({ ...a, details: { instanceId: trigger.instanceId, event: trigger.kind, ...a.details } });
      result.alerts.push(`${a.severity}:${a.type}`);
    } catch (err) {
      progress.notes.push(`alert ${a.type} failed: ${failureMessage(err)}`);
    }
  };
  const finish = (): SpotInterruptionResult => {
    progress.phase = 'done';
    result.newInstances = progress.replacementIds;
    result.fallbackInstances = progress.fallbackIds;
    result.drain = progress.drain;
    return result;
  };

  tagRun({ action: trigger.kind });
  const identify = { instanceId: trigger.instanceId, region: trigger.region, account: trigger.account };
  let identity: InstanceIdentity;
  try {
    identity = await proxyActivities<Activities>(beforeDeadline(deadlineMs)).identifyInstance(identify);
  } catch (err) {
    // Past the deadline there is nothing left to save, but the run must still end in a decision
    // and an alert, never in a failed workflow nobody looks at: keep asking at the normal pace.
    progress.notes.push(`identifying before the deadline failed: ${failureMessage(err)}`);
    try {
      identity = await read.identifyInstance(identify);
    } catch (again) {
      identity = { instanceId: trigger.instanceId, found: false, inServiceAtReceipt: [], unmanagedReason: `could not identify the instance: ${failureMessage(again)}` };
    }
  }
  const m = identity.managed;
  progress.cluster = m?.cluster;
  progress.nodegroup = m?.nodegroup;
  if (identity.found && GONE_STATES.has(identity.state ?? '')) {
    progress.notes.push(`instance is already ${identity.state}: nothing to replace`);
    result.outcome = 'already-gone';
    return finish();
  }
  const plan = planResponse(trigger, m?.group);
  progress.mode = result.mode = plan.mode;
  tagRun({ cluster: m?.cluster, action: plan.mode });

  if (plan.mode === 'notify-only') {
    progress.phase = 'notifying';
    const reason = identity.unmanagedReason ?? plan.reason;
    progress.notes.push(reason);
    await alert({
      severity: m ? 'info' : 'warning',
      type: m ? 'spot_rebalance' : 'spot_interruption_unmanaged',
      dedupKey: `spot-interruption/${trigger.instanceId}`,
      summary: `${trigger.kind} for ${trigger.instanceId}${m ? ` (${m.cluster}/${m.nodegroup})` : ''}: notify only — ${reason}`,
      cluster: m?.cluster,
    });
    return finish();
  }

  // From here the instance is in a configured node group.
  const managed = m!;
  const via: 'group' | 'fleet' = plan.mode === 'watch-eks' || plan.strategy === 'raise-capacity' ? 'group' : 'fleet';
  let raised = false;

  /** Polls until a replacement runs, the instance's deadline (or `untilMs`) passes. */
  const waitForReplacement = async (untilMs: () => number): Promise<boolean> => {
    progress.phase = plan.mode === 'watch-eks' && !raised ? 'watching-eks' : 'waiting-for-replacement';
    for (;;) {
      const launchedIds = [...progress.replacementIds, ...progress.fallbackIds];
      // A check that times out (AWS slow under a burst) is a "not yet", never the end of the run.
      const status = await proxyActivities<Activities>(beforeDeadline(untilMs()))
        .replacementStatus({ identity, via, launchedIds: via === 'fleet' ? launchedIds : undefined })
        .catch((err: unknown) => {
          progress.notes.push(`replacement check failed: ${failureMessage(err)}`);
          return { running: [] as string[], pending: [] as string[] };
        });
      const running = status.running.filter((id) => !progress.fallbackIds.includes(id));
      if (running.length > 0) {
        progress.replacementIds = [...new Set([...progress.replacementIds, ...running])].sort();
        result.timeToRunningMs ??= Date.now() - eventTimeMs;
        return true;
      }
      const left = untilMs() - Date.now();
      if (left <= 0) return false;
      await sleep(Math.min(timing.pollIntervalMs, left));
    }
  };
  const requested = (at: string | undefined, ids: string[] = []) => {
    result.timeToRequestMs ??= Date.now() - eventTimeMs;
    result.requestedAt ??= at;
    progress.replacementIds = [...new Set([...progress.replacementIds, ...ids])].sort();
  };
  const raiseCapacity = async (): Promise<boolean> => {
    try {
      const r = await proxyActivities<Activities>(beforeDeadline(deadlineMs)).raiseGroupCapacity({ identity, requestToken: `spot-${trigger.instanceId}` });
      raised = true;
      requested(r.requestedAt);
      return true;
    } catch (err) {
      progress.notes.push(`raising capacity failed: ${failureMessage(err)}`);
      return false;
    }
  };
  const launchSpotFleet = async (): Promise<boolean> => {
    try {
      const r: FleetLaunchResult = await proxyActivities<Activities>(beforeDeadline(deadlineMs)).launchFleet({
        identity, capacity: 'spot', clientToken: `spot-${trigger.instanceId}-replace`,
      });
      requested(r.requestedAt, r.instanceIds);
      return true;
    } catch (err) {
      progress.notes.push(`spot fleet launch failed: ${failureMessage(err)}`);
      return false;
    }
  };
  const fallBackToOnDemand = async (why: string) => {
    progress.phase = 'fallback';
    tagRun({ severity: 'critical' });
    try {
      const r = await mutate.launchFleet({ identity, capacity: 'on-demand', clientToken: `spot-${trigger.instanceId}-fallback` });
      progress.fallbackIds = r.instanceIds;
      result.outcome = 'fallback';
    } catch (err) {
      progress.notes.push(`on-demand fallback failed: ${failureMessage(err)}`);
      result.outcome = 'not-replaced';
    }
    await alert({
      severity: 'critical',
      type: 'spot_replacement_missed_deadline',
      dedupKey: `spot-fallback/${trigger.instanceId}`,
      summary: `${managed.cluster}/${managed.nodegroup}: no replacement for ${trigger.instanceId} running by the deadline (${why}); ${progress.fallbackIds.length ? `on-demand fallback ${progress.fallbackIds.join(', ')}` : 'on-demand fallback FAILED'}`,
      cluster: managed.cluster,
      details: { nodegroup: managed.nodegroup, fallback: progress.fallbackIds.join(',') },
    });
  };

  let replacedInTime = false;
  if (plan.mode === 'watch-eks') {
    progress.strategy = result.strategy = 'eks-rebalancing';
    // Alert on receipt, not after the drain: people learn of it while there is still time.
    await alert({
      severity: 'warning',
      type: 'spot_interruption',
      dedupKey: `spot-interruption/${trigger.instanceId}`,
      summary: `spot interruption warning for ${trigger.instanceId} in ${managed.cluster}/${managed.nodegroup}: EKS capacity rebalancing is replacing it; eksflow watches the deadline`,
      cluster: managed.cluster,
      details: { nodegroup: managed.nodegroup },
    });
    replacedInTime = await waitForReplacement(() => deadlineMs ?? Date.now() + timing.replacementWaitMs);
    if (replacedInTime) result.outcome = 'replaced-by-eks';
    else {
      progress.phase = 'requesting';
      progress.notes.push('EKS had no replacement InService by the deadline: raising capacity');
      const ok = await raiseCapacity();
      const graceEnd = Date.now() + timing.eksGraceMs;
      if (ok && (await waitForReplacement(() => graceEnd))) result.outcome = 'replaced';
      else await fallBackToOnDemand(ok ? `still none ${Math.round(timing.eksGraceMs / 1000)} s after raising capacity` : 'raising capacity failed');
    }
  } else {
    progress.strategy = result.strategy = plan.strategy;
    progress.phase = 'requesting';
    // The replacement request goes out first; the drain runs alongside it, never before it.
    const request = plan.strategy === 'raise-capacity' ? raiseCapacity() : launchSpotFleet();
    const drainNow = deadlineMs !== undefined;
    const drain = drainNow ? drainNode(identity, deadlineMs) : undefined;
    const ok = await request;
    const softEnd = Date.now() + timing.replacementWaitMs;
    replacedInTime = ok && (await waitForReplacement(() => deadlineMs ?? softEnd));
    if (replacedInTime) result.outcome = 'replaced';
    if (!drainNow && replacedInTime) progress.drain = await drainNode(identity, undefined);
    if (drain) progress.drain = await drain;
    const d = progress.drain?.outcome;
    if (d && d.status !== 'drained') {
      progress.notes.push(`drain ${d.status}${d.error ? `: ${d.error}` : ''}${d.blocked.length ? `; left on the node: ${d.blocked.map((b) => `${b.pod} (${b.reason})`).join('; ')}` : ''}`);
    }
    if (!replacedInTime && deadlineMs !== undefined) await fallBackToOnDemand(ok ? 'replacement not running' : 'replacement request failed');
    else if (!replacedInTime) {
      result.outcome = 'not-replaced';
      await alert({
        severity: 'warning',
        type: 'spot_replacement_slow',
        dedupKey: `spot-interruption/${trigger.instanceId}`,
        summary: `${managed.cluster}/${managed.nodegroup}: proactive replacement for ${trigger.instanceId} (${trigger.kind}) not running after ${Math.round(timing.replacementWaitMs / 1000)} s`,
        cluster: managed.cluster,
      });
    }
  }
  result.withinDeadline = deadlineMs === undefined ? undefined : replacedInTime && eventTimeMs + (result.timeToRunningMs ?? Infinity) <= deadlineMs;
  result.success = replacedInTime || result.outcome === 'replaced' || progress.fallbackIds.length > 0;

  if (raised) {
    progress.phase = 'waiting-for-termination';
    const waitEnd = Date.now() + timing.terminationWaitMs;
    while (!instanceGone && Date.now() < waitEnd) {
      const state = await read.interruptedInstanceState({ identity });
      if (GONE_STATES.has(state) || state === 'gone') instanceGone = true;
      else await condition(() => instanceGone, Math.min(timing.terminationPollMs, Math.max(1, waitEnd - Date.now())));
    }
    if (!instanceGone) progress.notes.push(`instance still there after ${Math.round(timing.terminationWaitMs / 1000)} s: undoing the raise anyway`);
    progress.phase = 'undoing';
    const undo = await mutate.undoCapacityRaise({ identity, requestToken: `spot-${trigger.instanceId}` });
    result.raiseUndone = undo.changed;
  }
  return finish();
}

/** The whole cause chain: an ActivityFailure's own message is only "Activity task failed". */
function failureMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e && parts.length < 4; e = e.cause as typeof e) if (e.message) parts.push(e.message);
  return parts.join(': ');
}

/**
 * Drains the interrupted node in its own workflow (drain/<cluster>/<instance>): cordon, evictions
 * that respect PodDisruptionBudgets, retried until the deadline. A drain that cannot reach the
 * API reports so; it never holds up the replacement, which was requested before it started.
 */
async function drainNode(identity: InstanceIdentity, deadlineMs: number | undefined): Promise<DrainResult> {
  if (!patched('drain-as-workflow')) {
    try {
      return await mutate.drainInterruptedNode({ identity });
    } catch (err) {
      return { skipped: true, reason: `drain failed: ${failureMessage(err)}` };
    }
  }
  const m = identity.managed!;
  const clusterKey = `${m.target.accountId}/${m.target.region}/${m.cluster}`;
  try {
    const outcome = await executeChild(drainNodeWorkflow, {
      workflowId: drainWorkflowId(clusterKey, identity.instanceId),
      args: [{ clusterKey, instanceId: identity.instanceId, deadlineMs, reason: `spot interruption of ${identity.instanceId}` }],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
    if (outcome.status === 'skipped') return { skipped: true, reason: outcome.error, outcome };
    return { skipped: false, outcome, ...(outcome.status === 'drained' ? {} : { reason: outcome.error ?? outcome.status }) };
  } catch (err) {
    return { skipped: true, reason: `drain failed: ${failureMessage(err)}` };
  }
}
