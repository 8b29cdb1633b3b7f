import { executeChild, ParentClosePolicy, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { GroupRef } from '../../src/domain/scaling/types';
import type { PartialSize } from '../../src/domain/size';
import type { ScaleNodegroupResult } from '../scale-nodegroup';
import { awsMutate, awsRead } from '../lib/presets';
import { drainNode } from '../drain/drain-node';
import { drainWorkflowId, type DrainNodeResult } from '../drain/messages';

const read = proxyActivities<Activities>(awsRead);
const mutate = proxyActivities<Activities>(awsMutate);

export interface ScaleSelfManagedInput {
  ref: GroupRef;
  size: PartialSize;
  verifyTimeoutMs?: number;
  pollIntervalMs?: number;
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

/**
 * The self-managed counterpart of scaleNodegroupTo: sizes the group's Auto Scaling group
 * (read-then-write, audited) and waits with durable timers until the desired number of
 * instances is InService. Same result shape, so callers treat both kinds alike.
 */
export async function scaleSelfManagedGroupTo(input: ScaleSelfManagedInput): Promise<ScaleNodegroupResult> {
  const verifyTimeoutMs = input.verifyTimeoutMs ?? 15 * 60_000;
  const pollIntervalMs = input.pollIntervalMs ?? 15_000;
  const requestToken = `${workflowInfo().workflowId}/${input.ref.nodegroup}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(-64);
  if (input.scaleIn && input.size.desired !== undefined) {
    const before = (await read.readGroup(input.ref)).size;
    if (input.size.desired < before.desired) return scaleInByNodes(input, input.scaleIn.clusterKey, before, requestToken, verifyTimeoutMs, pollIntervalMs);
  }
  const applied = await mutate.applyGroupSize({ ref: input.ref, size: input.size, requestToken });
  const startedAt = Date.now();
  let reading = await read.readGroup(input.ref);
  const settled = () => reading.status === 'ACTIVE' && reading.inService === applied.after.desired;
  while (!settled() && Date.now() - startedAt < verifyTimeoutMs) {
    await sleep(pollIntervalMs);
    reading = await read.readGroup(input.ref);
  }
  return {
    nodegroup: input.ref.nodegroup,
    status: settled() ? (applied.changed ? 'scaled' : 'no_change') : 'timeout',
    before: applied.before,
    after: applied.after,
    inService: reading.inService,
    waitedMs: Date.now() - startedAt,
  };
}

/**
 * Scale-in that picks its nodes: min lowered first (desired stays), then per chosen node (fewest
 * pods, lowest requests, not scale-down-disabled) a drain workflow and, once drained,
 * TerminateInstanceInAutoScalingGroup with desired decremented. A node whose drain does not
 * finish is uncordoned and kept — the group stays larger than asked, and the result says why.
 */
async function scaleInByNodes(
  input: ScaleSelfManagedInput, clusterKey: string, before: { min: number; desired: number; max: number },
  requestToken: string, verifyTimeoutMs: number, pollIntervalMs: number,
): Promise<ScaleNodegroupResult & { scaleIn: ScaleInOutcome }> {
  const { ref, size } = input;
  const startedAt = Date.now();
  const outcome: ScaleInOutcome = { removed: [], kept: [], notes: [] };
  const wantMin = Math.min(size.min ?? before.min, size.desired!);
  if (wantMin < before.min) await mutate.applyGroupSize({ ref, size: { min: wantMin }, requestToken: `${requestToken}-min`.slice(-64) });
  const pick = await read.pickScaleInNodes({ clusterKey, asgName: ref.asgName!, count: before.desired - size.desired! });
  outcome.notes.push(...pick.notes, ...pick.excluded.map((e) => `${e.node} kept: ${e.reason}`));
  for (const n of pick.picked) {
    if (n.node === undefined) {
      await mutate.terminateAsgInstance({ ref, instanceId: n.instanceId, requestToken: `${requestToken}-${n.instanceId}`.slice(-64) });
      outcome.removed.push({ instanceId: n.instanceId });
      continue;
    }
    const drain = await executeChild(drainNode, {
      workflowId: drainWorkflowId(clusterKey, n.node),
      args: [{ clusterKey, node: n.node, reason: `scale-in of ${ref.nodegroup}` }],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
    if (drain.status !== 'drained') {
      await mutate.k8sUncordonNode({ clusterKey, node: n.node });
      outcome.kept.push({ instanceId: n.instanceId, node: n.node, drain: drain.status, blocked: drain.blocked });
      outcome.notes.push(`${n.node} kept: drain ${drain.status}${drain.blocked.length ? ` (${drain.blocked.map((b) => `${b.pod}: ${b.reason}`).join('; ')})` : ''}`);
      continue;
    }
    await mutate.terminateAsgInstance({ ref, instanceId: n.instanceId, requestToken: `${requestToken}-${n.instanceId}`.slice(-64) });
    outcome.removed.push({ instanceId: n.instanceId, node: n.node });
  }
  const expected = before.desired - outcome.removed.length;
  if (size.max !== undefined) await mutate.applyGroupSize({ ref, size: { max: Math.max(size.max, expected) }, requestToken: `${requestToken}-max`.slice(-64) });
  let reading = await read.readGroup(ref);
  const settled = () => reading.status === 'ACTIVE' && reading.inService === reading.size.desired;
  while (!settled() && Date.now() - startedAt < verifyTimeoutMs) {
    await sleep(pollIntervalMs);
    reading = await read.readGroup(ref);
  }
  return {
    nodegroup: ref.nodegroup,
    status: settled() ? (outcome.removed.length > 0 || wantMin < before.min ? 'scaled' : 'no_change') : 'timeout',
    before,
    after: reading.size,
    inService: reading.inService,
    waitedMs: Date.now() - startedAt,
    scaleIn: outcome,
  };
}
