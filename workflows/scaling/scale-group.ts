import { executeChild, ParentClosePolicy, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { NodegroupRef } from '../../activities/eks';
import type { GroupReading, GroupRef } from '../../src/domain/scaling/types';
import type { NodegroupSize, PartialSize } from '../../src/domain/size';
import { awsMutate, awsRead } from '../lib/presets';
import { awsFor } from '../lib/targets';
import { drainNode } from '../drain/drain-node';
import { drainWorkflowId, type DrainNodeResult } from '../drain/messages';

const read = proxyActivities<Activities>(awsRead);
/** Kubernetes calls; AWS mutations go through `awsFor(target)` (the account/region's rate-limited queue). */
const mutate = proxyActivities<Activities>(awsMutate);

interface WaitOptions {
  /** How long to wait for ACTIVE with the desired instances InService before giving up. Default 15 min. */
  verifyTimeoutMs?: number;
  /** Default 15 s. */
  pollIntervalMs?: number;
}

export interface ScaleNodegroupInput extends WaitOptions {
  ref: NodegroupRef;
  size: PartialSize;
  /** Bounds mode: a cluster autoscaler owns desiredSize, so InService is not compared with it. */
  waitForInstances?: boolean;
}

export interface ScaleSelfManagedInput extends WaitOptions {
  ref: GroupRef;
  size: PartialSize;
  /**
   * Set when the cluster's Kubernetes API is configured: a lower desired is reached by choosing
   * nodes, draining them and terminating them with the group's desired decremented, instead of
   * letting the ASG terminate whichever instances its policy picks.
   */
  scaleIn?: { clusterKey: string };
}

export interface ScaleInOutcome {
  removed: { instanceId: string; node?: string }[];
  /** Nodes whose drain did not finish: uncordoned and kept. */
  kept: { instanceId: string; node: string; drain: DrainNodeResult['status']; blocked: DrainNodeResult['blocked'] }[];
  notes: string[];
}

export interface ScaleNodegroupResult {
  nodegroup: string;
  status: 'no_change' | 'scaled' | 'timeout';
  before: NodegroupSize;
  after: NodegroupSize;
  inService: number;
  waitedMs: number;
}

interface Applied {
  changed: boolean;
  before: NodegroupSize;
  after: NodegroupSize;
}

interface Reading {
  status: string;
  inService: number;
}

/** A group's client token: `<workflowId>/<nodegroup>`, as the APIs accept it. */
export const requestTokenFor = (workflowId: string, nodegroup: string) =>
  `${workflowId}/${nodegroup}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(-64);

const requestTokenOf = (nodegroup: string) => requestTokenFor(workflowInfo().workflowId, nodegroup);

/**
 * Reads with durable timers between reads until `settled` or the timeout (from `startedAt`).
 * `intervalFirst`: the first read waits one interval too (right after a change it cannot be settled).
 */
async function waitUntil<R extends Reading>(
  opts: WaitOptions,
  startedAt: number,
  readGroup: () => Promise<R>,
  settled: (reading: R) => boolean,
  intervalFirst = false,
): Promise<R> {
  const verifyTimeoutMs = opts.verifyTimeoutMs ?? 15 * 60_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 15_000;
  if (intervalFirst) await sleep(pollIntervalMs);
  let reading = await readGroup();
  while (!settled(reading) && Date.now() - startedAt < verifyTimeoutMs) {
    await sleep(pollIntervalMs);
    reading = await readGroup();
  }
  return reading;
}

/**
 * The one apply-then-poll loop of both kinds of group: applies the size (read-then-write in the
 * activity, audited), then reads with durable timers between reads until `settled` or the timeout.
 */
async function applyAndWait(
  nodegroup: string,
  opts: WaitOptions,
  apply: (requestToken: string) => Promise<Applied>,
  readGroup: () => Promise<Reading>,
  settled: (reading: Reading, applied: Applied) => boolean,
): Promise<ScaleNodegroupResult> {
  const applied = await apply(requestTokenOf(nodegroup));
  const startedAt = Date.now();
  // A group just changed is not settled yet: its first read waits one poll interval, which saves a
  // read (and two workflow tasks) per group while the rest of a fleet run is still being applied.
  // Runs recorded before read at once.
  const intervalFirst = applied.changed && patched('verify-after-interval');
  const reading = await waitUntil(opts, startedAt, readGroup, (r) => settled(r, applied), intervalFirst);
  return {
    nodegroup,
    status: settled(reading, applied) ? (applied.changed ? 'scaled' : 'no_change') : 'timeout',
    before: applied.before,
    after: applied.after,
    inService: reading.inService,
    waitedMs: Date.now() - startedAt,
  };
}

/**
 * Applies a size to one EKS managed node group and waits, with durable timers, until EKS reports
 * it ACTIVE and (when asked) its Auto Scaling groups have the desired number of instances InService.
 */
export async function scaleNodegroupTo(input: ScaleNodegroupInput): Promise<ScaleNodegroupResult> {
  const { ref, size } = input;
  return applyAndWait(
    ref.nodegroup,
    input,
    (requestToken) => awsFor(ref.target).mutate.applyNodegroupSize({ ref, size, requestToken }),
    () => read.nodegroupCapacity(ref),
    (capacity, applied) =>
      capacity.status === 'ACTIVE' &&
      (input.waitForInstances === false || capacity.inService === applied.after.desired),
  );
}

/**
 * The self-managed counterpart of scaleNodegroupTo: sizes the group's Auto Scaling group and
 * waits until the desired number of instances is InService. Same result shape, so callers treat
 * both kinds alike.
 */
export async function scaleSelfManagedGroupTo(
  input: ScaleSelfManagedInput,
): Promise<ScaleNodegroupResult & { scaleIn?: ScaleInOutcome }> {
  const { ref, size } = input;
  if (input.scaleIn && size.desired !== undefined) {
    const before = (await read.readGroup(ref)).size;
    if (size.desired < before.desired) return scaleInByNodes(input, input.scaleIn.clusterKey, before);
  }
  return applyAndWait(
    ref.nodegroup,
    input,
    (requestToken) => awsFor(ref.target).mutate.applyGroupSize({ ref, size, requestToken }),
    () => read.readGroup(ref),
    (reading, applied) => reading.status === 'ACTIVE' && reading.inService === applied.after.desired,
  );
}

/**
 * Scale-in that picks its nodes: min lowered first (desired stays), then per chosen node (fewest
 * pods, lowest requests, not scale-down-disabled) a drain workflow and, once drained,
 * TerminateInstanceInAutoScalingGroup with desired decremented. A node whose drain does not
 * finish is uncordoned and kept: the group stays larger than asked, and the result says why.
 */
async function scaleInByNodes(
  input: ScaleSelfManagedInput,
  clusterKey: string,
  before: NodegroupSize,
): Promise<ScaleNodegroupResult & { scaleIn: ScaleInOutcome }> {
  const { ref, size } = input;
  const desired = size.desired!;
  const requestToken = requestTokenOf(ref.nodegroup);
  const token = (suffix: string) => `${requestToken}-${suffix}`.slice(-64);
  const startedAt = Date.now();
  const outcome: ScaleInOutcome = { removed: [], kept: [], notes: [] };
  const wantMin = Math.min(size.min ?? before.min, desired);
  if (wantMin < before.min)
    await awsFor(ref.target).mutate.applyGroupSize({ ref, size: { min: wantMin }, requestToken: token('min') });
  const pick = await read.pickScaleInNodes({ clusterKey, asgName: ref.asgName!, count: before.desired - desired });
  outcome.notes.push(...pick.notes, ...pick.excluded.map((e) => `${e.node} kept: ${e.reason}`));
  for (const n of pick.picked) {
    if (n.node !== undefined) {
      const drain = await executeChild(drainNode, {
        workflowId: drainWorkflowId(clusterKey, n.node),
        args: [{ clusterKey, node: n.node, reason: `scale-in of ${ref.nodegroup}` }],
        parentClosePolicy: ParentClosePolicy.TERMINATE,
      });
      if (drain.status !== 'drained') {
        await mutate.k8sUncordonNode({ clusterKey, node: n.node });
        outcome.kept.push({ instanceId: n.instanceId, node: n.node, drain: drain.status, blocked: drain.blocked });
        const why = drain.blocked.length ? ` (${drain.blocked.map((b) => `${b.pod}: ${b.reason}`).join('; ')})` : '';
        outcome.notes.push(`${n.node} kept: drain ${drain.status}${why}`);
        continue;
      }
    }
    await awsFor(ref.target).mutate.terminateAsgInstance({
      ref,
      instanceId: n.instanceId,
      requestToken: token(n.instanceId),
    });
    outcome.removed.push({ instanceId: n.instanceId, ...(n.node !== undefined ? { node: n.node } : {}) });
  }
  const expected = before.desired - outcome.removed.length;
  if (size.max !== undefined)
    await awsFor(ref.target).mutate.applyGroupSize({
      ref,
      size: { max: Math.max(size.max, expected) },
      requestToken: token('max'),
    });
  const settled = (r: GroupReading) => r.status === 'ACTIVE' && r.inService === r.size.desired;
  const reading = await waitUntil(input, startedAt, () => read.readGroup(ref), settled);
  return {
    nodegroup: ref.nodegroup,
    status: settled(reading)
      ? outcome.removed.length > 0 || wantMin < before.min
        ? 'scaled'
        : 'no_change'
      : 'timeout',
    before,
    after: reading.size,
    inService: reading.inService,
    waitedMs: Date.now() - startedAt,
    scaleIn: outcome,
  };
}
