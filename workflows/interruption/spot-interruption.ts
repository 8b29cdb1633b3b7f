import {
  type ActivityOptions,
  condition,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { DrainResult, InstanceIdentity } from '../../activities/interruption';
import type { AlertInput } from '../../src/domain/alerts/types';
import { GONE_STATES } from '../../src/domain/events/actions';
import {
  clampEventTime,
  interruptionDeadlineMs,
  isStale,
  planResponse,
  secondsLeft,
  SPOT_NOTICE_MS,
  type ResponsePlan,
} from '../../src/domain/interruption/plan';
import { backAtCapacity } from '../../src/domain/interruption/ownership';
import type { InterruptionTrigger } from '../../src/domain/interruption/types';
import { SA_ACTION, SA_CLUSTER, SA_INSTANCE, SA_SEVERITY } from '../../src/search-attributes';
import { raiseAlert } from '../lib/alerts';
import { failureMessage } from '../lib/failures';
import { metricsSink } from '../lib/metrics';
import { awsMutate, awsRead, beforeDeadline } from '../lib/presets';
import { drainNode as drainNodeWorkflow } from '../drain/drain-node';
import { drainWorkflowId } from '../drain/messages';
import {
  instanceStateSignal,
  interruptionEventSignal,
  progressQuery,
  type SpotInterruptionInput,
  type SpotInterruptionProgress,
  type SpotInterruptionResult,
} from './messages';

const read = proxyActivities<Activities>(awsRead);
const mutate = proxyActivities<Activities>(awsMutate);
/** The run's AWS activities: on the interruption task queue when the input names one. */
const onQueue = (options: ActivityOptions, taskQueue: string | undefined): ActivityOptions =>
  taskQueue ? { ...options, taskQueue } : options;

type Managed = NonNullable<InstanceIdentity['managed']>;
type AlertArgs = Omit<AlertInput, 'details'> & { details?: AlertInput['details'] };

const DEFAULT_TIMING = {
  pollIntervalMs: 5_000,
  eksGraceMs: 60_000,
  replacementWaitMs: 10 * 60_000,
  terminationWaitMs: 15 * 60_000,
  terminationPollMs: 15_000,
  returnToSpotWaitMs: 6 * 3_600_000,
  returnToSpotPollMs: 5 * 60_000,
  fallbackDrainMs: 5 * 60_000,
};

/**
 * Patches of the command sequence (older runs replay without them): the deadline clamped to the
 * receipt, capacity changes through the group's one writer (asgCapacity), and owned capacity
 * (spot replacements attached to their group, fallbacks returned to spot).
 */
const CLAMP_PATCH = 'clamp-event-time';
const ASG_WRITER_PATCH = 'asg-one-writer';
const OWNED_PATCH = 'owned-capacity';
/**
 * A failed request may still have taken effect (its answer lost with a killed worker, or a batch
 * call another activity sent): a failed fleet launch is looked for by tag before the fallback,
 * return-to-spot counts a spot replacement already running, and a failed raise is released.
 */
const UNCERTAIN_PATCH = 'uncertain-requests';

/** When the ingress received the event (its stamp), or now (the workflow clock) when that is later or unknown. */
function receiptOf(t: InterruptionTrigger): number {
  return Math.min(Date.now(), Date.parse(t.receivedAt ?? '') || Date.now());
}

/**
 * The state of one interruption response and one method per phase: identify, notify only,
 * watch EKS rebalancing, request a replacement (with the drain alongside), fall back to
 * on-demand, wait for the instance to go and undo a capacity raise. Signal handlers only update
 * the deadline and the instance's state; `spotInterruption` runs the phases in order.
 */
class SpotInterruption {
  readonly progress: SpotInterruptionProgress;
  readonly result: SpotInterruptionResult;
  private readonly trigger: InterruptionTrigger;
  private readonly timing: typeof DEFAULT_TIMING;
  private readonly eventTimeMs: number;
  /** The 120 s had run out when the event arrived: check the instance before acting. */
  private readonly stale: boolean;
  private readonly clamp: boolean;
  private readonly seenEvents: string[];
  /** The 120 s deadline of a warning; a rebalance run gets one when a warning follows. */
  private deadlineMs: number | undefined;
  private instanceGone = false;
  /** Set once the instance is known to be in a configured node group. */
  private identity!: InstanceIdentity;
  private managed!: Managed;
  /** EKS rebalancing replaces the instance; eksflow watches the deadline. */
  private watchingEks = false;
  /** Where a replacement shows up: in the instance's group, or among the instances eksflow launched. */
  private via: 'group' | 'fleet' = 'fleet';
  /** Capacity raised on the instance's group (undone once the instance is gone). */
  raised = false;
  /** A raise through the writer failed from here, but the writer may have applied it: released like one. */
  raiseUncertain = false;
  /** The raise went through the group's one writer (asgCapacity), so the undo does too. */
  private viaWriter = false;

  private readonly read: typeof read;
  private readonly mutate: typeof mutate;

  constructor(private readonly input: SpotInterruptionInput) {
    this.read = input.activityTaskQueue ? proxyActivities<Activities>(onQueue(awsRead, input.activityTaskQueue)) : read;
    this.mutate = input.activityTaskQueue
      ? proxyActivities<Activities>(onQueue(awsMutate, input.activityTaskQueue))
      : mutate;
    const { trigger } = input;
    this.trigger = trigger;
    this.timing = { ...DEFAULT_TIMING, ...input.timing };
    this.clamp = patched(CLAMP_PATCH);
    const receivedAtMs = receiptOf(trigger);
    this.eventTimeMs = this.clamp ? clampEventTime(trigger.time, receivedAtMs) : Date.parse(trigger.time);
    this.stale = this.clamp && isStale(this.eventTimeMs, receivedAtMs);
    this.seenEvents = [trigger.eventId];
    this.deadlineMs = trigger.kind === 'spot-interruption-warning' ? this.deadlineFor(trigger) : undefined;
    this.progress = {
      phase: 'identifying',
      instanceId: trigger.instanceId,
      trigger: trigger.kind,
      replacementIds: [],
      fallbackIds: [],
      notes: [],
    };
    this.result = {
      instanceId: trigger.instanceId,
      outcome: 'notified',
      newInstances: [],
      fallbackInstances: [],
      success: false,
      alerts: [],
      notes: this.progress.notes,
    };
  }

  /** Event time + 120 s; with the clamp, never counted from later than the receipt. */
  private deadlineFor(t: InterruptionTrigger): number {
    return this.clamp ? clampEventTime(t.time, receiptOf(t)) + SPOT_NOTICE_MS : interruptionDeadlineMs(t.time);
  }

  registerHandlers(): void {
    setHandler(progressQuery, () => ({
      ...this.progress,
      deadline: this.deadlineMs === undefined ? undefined : new Date(this.deadlineMs).toISOString(),
      secondsLeft: secondsLeft(this.deadlineMs, Date.now()),
    }));
    setHandler(interruptionEventSignal, (t) => {
      if (this.seenEvents.includes(t.eventId)) return; // the same event again (retry, or via the other path)
      this.seenEvents.push(t.eventId);
      if (t.kind === 'spot-interruption-warning' && this.deadlineMs === undefined) {
        // A rebalance run escalates: from now on the 120 s deadline and its fallback apply.
        this.deadlineMs = this.deadlineFor(t);
        this.progress.notes.push(`escalated by interruption warning ${t.eventId}`);
      }
    });
    setHandler(instanceStateSignal, ({ state }) => {
      if (GONE_STATES.has(state)) this.instanceGone = true;
    });
  }

  tagRun(pairs: { cluster?: string; action?: string; severity?: string }): void {
    if (this.input.searchAttributes === false) return;
    upsertSearchAttributes([
      { key: SA_INSTANCE, value: this.trigger.instanceId },
      ...(pairs.cluster ? [{ key: SA_CLUSTER, value: pairs.cluster }] : []),
      ...(pairs.action ? [{ key: SA_ACTION, value: pairs.action }] : []),
      ...(pairs.severity ? [{ key: SA_SEVERITY, value: pairs.severity }] : []),
    ]);
  }

  /** Activities that must finish before the deadline as it stands now (or `untilMs`). */
  private urgent(untilMs = this.deadlineMs) {
    return proxyActivities<Activities>(onQueue(beforeDeadline(untilMs, Date.now()), this.input.activityTaskQueue));
  }

  private async alert(a: AlertArgs): Promise<void> {
    try {
      await raiseAlert({
        ...a,
        details: { instanceId: this.trigger.instanceId, event: this.trigger.kind, ...a.details },
      });
      this.result.alerts.push(`${a.severity}:${a.type}`);
    } catch (err) {
      this.progress.notes.push(`alert ${a.type} failed: ${failureMessage(err)}`);
    }
  }

  finish(): SpotInterruptionResult {
    this.progress.phase = 'done';
    this.result.newInstances = this.progress.replacementIds;
    this.result.fallbackInstances = this.progress.fallbackIds;
    this.result.drain = this.progress.drain;
    if (this.deadlineMs !== undefined && this.clamp) this.result.deadline = new Date(this.deadlineMs).toISOString();
    metricsSink.interruptionFinished(this.result.outcome, this.result.timeToRunningMs);
    return this.result;
  }

  /**
   * Which instance, which group, how to respond. Returns no plan when there is nothing to do
   * beyond what `finish()` reports (the instance is already gone).
   */
  async identify(): Promise<ResponsePlan | undefined> {
    const { trigger, progress } = this;
    const identify = { instanceId: trigger.instanceId, region: trigger.region, account: trigger.account };
    let identity: InstanceIdentity;
    try {
      identity = await this.urgent().identifyInstance(identify);
    } catch (err) {
      // Past the deadline there is nothing left to save, but the run must still end in a decision
      // and an alert, never in a failed workflow nobody looks at: keep asking at the normal pace.
      progress.notes.push(`identifying before the deadline failed: ${failureMessage(err)}`);
      try {
        identity = await this.read.identifyInstance(identify);
      } catch (again) {
        identity = {
          instanceId: trigger.instanceId,
          found: false,
          inServiceAtReceipt: [],
          unmanagedReason: `could not identify the instance: ${failureMessage(again)}`,
        };
      }
    }
    this.identity = identity;
    const m = identity.managed;
    progress.cluster = m?.cluster;
    progress.nodegroup = m?.nodegroup;
    if (identity.found && GONE_STATES.has(identity.state ?? '')) {
      progress.notes.push(`instance is already ${identity.state}: nothing to replace`);
      this.result.outcome = 'already-gone';
      return undefined;
    }
    if (this.stale && !identity.found) {
      // A warning whose two minutes ran out before it arrived, for an instance EC2 no longer knows.
      progress.notes.push(`stale event (stamped ${trigger.time}): the instance is gone, nothing to replace`);
      this.result.outcome = 'already-gone';
      return undefined;
    }
    const plan = planResponse(trigger, m?.group);
    progress.mode = this.result.mode = plan.mode;
    this.tagRun({ cluster: m?.cluster, action: plan.mode });
    if (m) this.managed = m;
    this.watchingEks = plan.mode === 'watch-eks';
    this.via =
      plan.mode === 'watch-eks' || (plan.mode === 'replace' && plan.strategy === 'raise-capacity') ? 'group' : 'fleet';
    return plan;
  }

  /** Not ours to replace (unmanaged, or a notice eksflow only reports): tell people, change nothing. */
  async notify(planReason: string): Promise<void> {
    const { trigger, progress, identity } = this;
    const m = identity.managed;
    progress.phase = 'notifying';
    const reason = identity.unmanagedReason ?? planReason;
    progress.notes.push(reason);
    await this.alert({
      severity: m ? 'info' : 'warning',
      type: m ? 'spot_rebalance' : 'spot_interruption_unmanaged',
      dedupKey: `spot-interruption/${trigger.instanceId}`,
      summary: `${trigger.kind} for ${trigger.instanceId}${m ? ` (${m.cluster}/${m.nodegroup})` : ''}: notify only — ${reason}`,
      cluster: m?.cluster,
    });
  }

  /** EKS managed spot group: EKS rebalancing replaces it; eksflow steps in only if that misses the deadline. */
  async watchEks(): Promise<boolean> {
    const { trigger, progress, result, managed, timing } = this;
    progress.strategy = result.strategy = 'eks-rebalancing';
    // Alert on receipt, not after the drain: people learn of it while there is still time.
    await this.alert({
      severity: 'warning',
      type: 'spot_interruption',
      dedupKey: `spot-interruption/${trigger.instanceId}`,
      summary: `spot interruption warning for ${trigger.instanceId} in ${managed.cluster}/${managed.nodegroup}: EKS capacity rebalancing is replacing it; eksflow watches the deadline`,
      cluster: managed.cluster,
      details: { nodegroup: managed.nodegroup },
    });
    const replacedInTime = await this.waitForReplacement(
      () => this.deadlineMs ?? Date.now() + timing.replacementWaitMs,
    );
    if (replacedInTime) {
      result.outcome = 'replaced-by-eks';
      return true;
    }
    progress.phase = 'requesting';
    progress.notes.push('EKS had no replacement InService by the deadline: raising capacity');
    const ok = await this.raiseCapacity();
    const graceEnd = Date.now() + timing.eksGraceMs;
    if (ok && (await this.waitForReplacement(() => graceEnd))) result.outcome = 'replaced';
    else
      await this.fallBackToOnDemand(
        ok ? `still none ${Math.round(timing.eksGraceMs / 1000)} s after raising capacity` : 'raising capacity failed',
      );
    return false;
  }

  /** Everything else: request the replacement at once, drain alongside, wait for it; fall back at the deadline. */
  async replace(strategy: 'raise-capacity' | 'ec2-fleet'): Promise<boolean> {
    const { trigger, progress, result, managed, timing, identity } = this;
    progress.strategy = result.strategy = strategy;
    progress.phase = 'requesting';
    // The replacement request goes out first; the drain runs alongside it, never before it.
    const request = strategy === 'raise-capacity' ? this.raiseCapacity() : this.launchSpotFleet();
    const drainNow = this.deadlineMs !== undefined;
    const drain = drainNow ? drainNode(identity, this.deadlineMs) : undefined;
    const ok = await request;
    const softEnd = Date.now() + timing.replacementWaitMs;
    // A fleet launch that failed from here may have launched all the same (a lost answer, a batch
    // call sent by another activity): one look by tag before falling back.
    const look = ok || (strategy === 'ec2-fleet' && this.deadlineMs !== undefined && patched(UNCERTAIN_PATCH));
    const replacedInTime = look && (await this.waitForReplacement(() => this.deadlineMs ?? softEnd));
    if (replacedInTime) result.outcome = 'replaced';
    if (replacedInTime && strategy === 'ec2-fleet') await this.attachToGroup();
    if (!drainNow && replacedInTime) progress.drain = await drainNode(identity, undefined);
    if (drain) progress.drain = await drain;
    this.noteUnfinishedDrain();
    if (!replacedInTime && this.deadlineMs !== undefined)
      await this.fallBackToOnDemand(ok ? 'replacement not running' : 'replacement request failed');
    else if (!replacedInTime) {
      result.outcome = 'not-replaced';
      await this.alert({
        severity: 'warning',
        type: 'spot_replacement_slow',
        dedupKey: `spot-interruption/${trigger.instanceId}`,
        summary: `${managed.cluster}/${managed.nodegroup}: proactive replacement for ${trigger.instanceId} (${trigger.kind}) not running after ${Math.round(timing.replacementWaitMs / 1000)} s`,
        cluster: managed.cluster,
      });
    }
    return replacedInTime;
  }

  /** A drain that did not finish says which pods are left on the node, and why. */
  private noteUnfinishedDrain(): void {
    const d = this.progress.drain?.outcome;
    if (!d || d.status === 'drained') return;
    const left = d.blocked.length
      ? `; left on the node: ${d.blocked.map((b) => `${b.pod} (${b.reason})`).join('; ')}`
      : '';
    this.progress.notes.push(`drain ${d.status}${d.error ? `: ${d.error}` : ''}${left}`);
  }

  /** The verdict: replaced in time, or at least something (the fallback) running. */
  judge(replacedInTime: boolean): void {
    const { result } = this;
    result.withinDeadline =
      this.deadlineMs === undefined
        ? undefined
        : replacedInTime && this.eventTimeMs + (result.timeToRunningMs ?? Infinity) <= this.deadlineMs;
    result.success = replacedInTime || result.outcome === 'replaced' || this.progress.fallbackIds.length > 0;
  }

  /** A raised group goes back to its size once the interrupted instance is gone (or after a wait). */
  async undoRaise(): Promise<void> {
    const { progress, timing, identity } = this;
    progress.phase = 'waiting-for-termination';
    const waitEnd = Date.now() + timing.terminationWaitMs;
    while (!this.instanceGone && Date.now() < waitEnd) {
      const state = await this.read.interruptedInstanceState({ identity });
      if (GONE_STATES.has(state) || state === 'gone') this.instanceGone = true;
      else
        await condition(() => this.instanceGone, Math.min(timing.terminationPollMs, Math.max(1, waitEnd - Date.now())));
    }
    if (!this.instanceGone)
      progress.notes.push(
        `instance still there after ${Math.round(timing.terminationWaitMs / 1000)} s: undoing the raise anyway`,
      );
    progress.phase = 'undoing';
    if (this.viaWriter) {
      const released = await this.mutate.requestGroupCapacity({
        identity,
        op: 'release',
        updateId: this.updateId('release'),
      });
      this.result.raiseUndone = released.changed;
      return;
    }
    const undo = await this.mutate.undoCapacityRaise({ identity, requestToken: `spot-${this.trigger.instanceId}` });
    this.result.raiseUndone = undo.changed;
  }

  /** Update ids for the group's one writer: one per step of this run, so a retried activity gets the same answer. */
  private updateId(step: string): string {
    const { workflowId, runId } = workflowInfo();
    return `${workflowId}/${runId}/${step}`;
  }

  /**
   * A spot replacement launched by EC2 Fleet for an instance of a self-managed Auto Scaling
   * group joins that group (AttachInstances through the group's one writer): from then on it is
   * the group's capacity, and the unit it added is given back like a raise once the interrupted
   * instance is gone.
   */
  private async attachToGroup(): Promise<void> {
    const { identity, progress, result } = this;
    const m = identity.managed;
    if (!m?.asgName || m.group.kind !== 'self-managed' || !patched(OWNED_PATCH)) return;
    try {
      const a = await this.mutate.requestGroupCapacity({
        identity,
        op: 'attach',
        instanceIds: progress.replacementIds,
        updateId: this.updateId('attach'),
      });
      this.raised = this.viaWriter = true;
      result.attached = progress.replacementIds;
      if (!a.changed) progress.notes.push('replacement already attached to its group');
    } catch (err) {
      progress.notes.push(`attaching the replacement to ${m.asgName} failed: ${failureMessage(err)}`);
    }
  }

  /**
   * The on-demand fallback stands in until spot capacity is back: for a group, until it is at
   * capacity again without the interrupted instance (the group launches spot itself); for
   * standalone capacity, until a spot instance launched for it runs. Then the fallback is drained
   * (when the cluster has Kubernetes access) and terminated. Past its own deadline it is handed
   * to the cleanup job, with an alert.
   */
  async returnToSpot(): Promise<void> {
    const { identity, progress, result, timing, trigger } = this;
    const fallback = progress.fallbackIds;
    if (fallback.length === 0 || !patched(OWNED_PATCH)) return;
    progress.phase = 'returning-to-spot';
    const end = Date.now() + timing.returnToSpotWaitMs;
    const inGroup = !!identity.managed?.asgName;
    let spot: string[] = [];
    let back = false;
    for (;;) {
      try {
        if (inGroup) {
          const cap = await this.read.groupCapacityNow({ identity });
          back = backAtCapacity(cap);
        } else {
          if (spot.length === 0 && patched(UNCERTAIN_PATCH)) {
            // A spot replacement launched for the instance may be running already (a launch whose
            // answer came too late for the deadline): it is the return to spot, not a reason for another.
            const st = await this.read.replacementStatus({ identity, via: 'fleet' });
            spot = st.running.filter((id) => !fallback.includes(id));
          }
          if (spot.length === 0) {
            const r = await this.mutate.launchFleet({
              identity,
              capacity: 'spot',
              clientToken: `spot-${trigger.instanceId}-return`,
              purpose: 'return-to-spot',
            });
            spot = r.instanceIds;
          }
          const st = await this.read.replacementStatus({ identity, via: 'fleet', launchedIds: spot });
          back = st.running.length > 0;
        }
      } catch (err) {
        progress.notes.push(`return to spot: ${failureMessage(err)}`);
      }
      const left = end - Date.now();
      if (back || left <= 0) break;
      await sleep(Math.min(timing.returnToSpotPollMs, left));
    }
    const deadline = new Date(end).toISOString();
    if (!back) {
      await this.mutate.handOffToCleanup({ identity, instanceIds: fallback });
      result.returnToSpot = { status: 'handed-to-cleanup', deadline, terminated: [], spot };
      const m = this.managed;
      await this.alert({
        severity: 'warning',
        type: 'spot_return_missed_deadline',
        dedupKey: `spot-return/${trigger.instanceId}`,
        summary: `${m.cluster}/${m.nodegroup}: spot capacity did not return within ${Math.round(timing.returnToSpotWaitMs / 60_000)} min of the fallback for ${trigger.instanceId}; on-demand ${fallback.join(', ')} handed to the cleanup job`,
        cluster: m.cluster,
        details: { nodegroup: m.nodegroup, fallback: fallback.join(',') },
      });
      return;
    }
    for (const id of fallback) {
      const d = await drainNode(
        { ...identity, instanceId: id, privateDnsName: undefined },
        Date.now() + timing.fallbackDrainMs,
      );
      if (d.skipped || d.outcome?.status !== 'drained')
        progress.notes.push(`fallback ${id} drain: ${d.reason ?? d.outcome?.status}`);
    }
    const terminated = await this.mutate.terminateLaunched({
      identity,
      instanceIds: fallback,
      reason: inGroup ? 'group back at capacity' : `spot ${spot.join(', ')} running`,
    });
    result.returnToSpot = { status: 'returned', deadline, terminated, spot };
  }

  /** Polls until a replacement runs, the instance's deadline (or `untilMs`) passes. */
  private async waitForReplacement(untilMs: () => number): Promise<boolean> {
    const { progress, result, identity, timing, via } = this;
    progress.phase = this.watchingEks && !this.raised ? 'watching-eks' : 'waiting-for-replacement';
    for (;;) {
      const launchedIds = [...progress.replacementIds, ...progress.fallbackIds];
      // A check that times out (AWS slow under a burst) is a "not yet", never the end of the run.
      const status = await this.urgent(untilMs())
        .replacementStatus({ identity, via, launchedIds: via === 'fleet' ? launchedIds : undefined })
        .catch((err: unknown) => {
          progress.notes.push(`replacement check failed: ${failureMessage(err)}`);
          return { running: [] as string[], pending: [] as string[] };
        });
      const running = status.running.filter((id) => !progress.fallbackIds.includes(id));
      if (running.length > 0) {
        progress.replacementIds = [...new Set([...progress.replacementIds, ...running])].sort();
        result.timeToRunningMs ??= Date.now() - this.eventTimeMs;
        return true;
      }
      const left = untilMs() - Date.now();
      if (left <= 0) return false;
      await sleep(Math.min(timing.pollIntervalMs, left));
    }
  }

  private requested(at: string | undefined, ids: string[] = []): void {
    this.result.timeToRequestMs ??= Date.now() - this.eventTimeMs;
    this.result.requestedAt ??= at;
    this.progress.replacementIds = [...new Set([...this.progress.replacementIds, ...ids])].sort();
  }

  private async raiseCapacity(): Promise<boolean> {
    if (patched(ASG_WRITER_PATCH)) {
      try {
        const r = await this.urgent().requestGroupCapacity({
          identity: this.identity,
          op: 'raise',
          updateId: this.updateId('raise'),
        });
        this.raised = this.viaWriter = true;
        this.requested(r.appliedAt);
        return true;
      } catch (err) {
        this.progress.notes.push(`raising capacity failed: ${failureMessage(err)}`);
        // The update may have reached the writer and been applied after this call gave up.
        if (patched(UNCERTAIN_PATCH)) this.raiseUncertain = this.viaWriter = true;
        return false;
      }
    }
    try {
      const r = await this.urgent().raiseGroupCapacity({
        identity: this.identity,
        requestToken: `spot-${this.trigger.instanceId}`,
      });
      this.raised = true;
      this.requested(r.requestedAt);
      return true;
    } catch (err) {
      this.progress.notes.push(`raising capacity failed: ${failureMessage(err)}`);
      return false;
    }
  }

  private async launchSpotFleet(): Promise<boolean> {
    try {
      const r = await this.urgent().launchFleet({
        identity: this.identity,
        capacity: 'spot',
        clientToken: `spot-${this.trigger.instanceId}-replace`,
      });
      this.requested(r.requestedAt, r.instanceIds);
      return true;
    } catch (err) {
      this.progress.notes.push(`spot fleet launch failed: ${failureMessage(err)}`);
      return false;
    }
  }

  private async fallBackToOnDemand(why: string): Promise<void> {
    const { trigger, progress, result, managed } = this;
    progress.phase = 'fallback';
    this.tagRun({ severity: 'critical' });
    try {
      const r = await this.mutate.launchFleet({
        identity: this.identity,
        capacity: 'on-demand',
        clientToken: `spot-${trigger.instanceId}-fallback`,
      });
      progress.fallbackIds = r.instanceIds;
      result.outcome = 'fallback';
    } catch (err) {
      progress.notes.push(`on-demand fallback failed: ${failureMessage(err)}`);
      result.outcome = 'not-replaced';
    }
    await this.alert({
      severity: 'critical',
      type: 'spot_replacement_missed_deadline',
      dedupKey: `spot-fallback/${trigger.instanceId}`,
      summary: `${managed.cluster}/${managed.nodegroup}: no replacement for ${trigger.instanceId} running by the deadline (${why}); ${progress.fallbackIds.length ? `on-demand fallback ${progress.fallbackIds.join(', ')}` : 'on-demand fallback FAILED'}`,
      cluster: managed.cluster,
      details: { nodegroup: managed.nodegroup, fallback: progress.fallbackIds.join(',') },
    });
  }
}

/**
 * Drains the interrupted node in its own workflow (drain/<cluster>/<instance>): cordon, evictions
 * that respect PodDisruptionBudgets, retried until the deadline. A drain that cannot reach the
 * API reports so; it never holds up the replacement, which was requested before it started.
 * Runs started before the drain became a workflow keep the one-pass activity, so they replay.
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
  // Without a Kubernetes API there is nothing to drain: said so without a drain workflow (a child,
  // an activity and four workflow tasks per interruption). Runs recorded before start the child.
  if (m.kubernetes === false && patched('drain-only-with-kubernetes'))
    return { skipped: true, reason: `cluster ${m.cluster} has no kubernetes access configured` };
  try {
    const outcome = await executeChild(drainNodeWorkflow, {
      workflowId: drainWorkflowId(clusterKey, identity.instanceId),
      args: [
        {
          clusterKey,
          instanceId: identity.instanceId,
          deadlineMs,
          reason: `spot interruption of ${identity.instanceId}`,
        },
      ],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
    if (outcome.status === 'skipped') return { skipped: true, reason: outcome.error, outcome };
    return {
      skipped: false,
      outcome,
      ...(outcome.status === 'drained' ? {} : { reason: outcome.error ?? outcome.status }),
    };
  } catch (err) {
    return { skipped: true, reason: `drain failed: ${failureMessage(err)}` };
  }
}

/**
 * `spot-interruption/<instance-id>`: responds to a spot interruption warning (120 s deadline),
 * a rebalance recommendation or a scheduled change for one instance. EKS managed spot groups are
 * left to EKS capacity rebalancing unless it fails to deliver by the deadline; everything else
 * gets its replacement requested at once, waits for it with short durable timers, falls back to
 * on-demand at the deadline, and undoes any temporary capacity raise once the instance is gone.
 */
export async function spotInterruption(input: SpotInterruptionInput): Promise<SpotInterruptionResult> {
  const run = new SpotInterruption(input);
  run.registerHandlers();
  run.tagRun({ action: input.trigger.kind });
  const plan = await run.identify();
  if (!plan) return run.finish();
  if (plan.mode === 'notify-only') {
    await run.notify(plan.reason);
    return run.finish();
  }
  const replacedInTime = plan.mode === 'watch-eks' ? await run.watchEks() : await run.replace(plan.strategy);
  run.judge(replacedInTime);
  if (run.raised || run.raiseUncertain) await run.undoRaise();
  await run.returnToSpot();
  return run.finish();
}
