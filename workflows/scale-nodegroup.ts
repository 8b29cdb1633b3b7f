import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NodegroupRef } from '../activities/eks';
import type { PartialSize, NodegroupSize } from '../src/domain/size';
import { awsMutate, awsRead } from './lib/presets';

const read = proxyActivities<Activities>(awsRead);
const mutate = proxyActivities<Activities>(awsMutate);

export interface ScaleNodegroupInput {
  ref: NodegroupRef;
  size: PartialSize;
  /** How long to wait for ACTIVE with the desired instances InService before giving up. */
  verifyTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Bounds mode: a cluster autoscaler owns desiredSize, so InService is not compared with it. */
  waitForInstances?: boolean;
}

export interface ScaleNodegroupResult {
  nodegroup: string;
  status: 'no_change' | 'scaled' | 'timeout';
  before: NodegroupSize;
  after: NodegroupSize;
  inService: number;
  waitedMs: number;
}

/**
 * Applies a size to one node group and waits, with durable timers, until EKS reports it ACTIVE
 * and (when asked) its Auto Scaling groups have the desired number of instances InService.
 */
export async function scaleNodegroupTo(input: ScaleNodegroupInput): Promise<ScaleNodegroupResult> {
  const { ref, size } = input;
  const verifyTimeoutMs = input.verifyTimeoutMs ?? 15 * 60_000;
  const pollIntervalMs = input.pollIntervalMs ?? 15_000;
  const requestToken = `${workflowInfo().workflowId}/${ref.nodegroup}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(-64);
  const applied = await mutate.applyNodegroupSize({ ref, size, requestToken });
  const startedAt = Date.now();
  let capacity = await read.nodegroupCapacity(ref);
  const settled = () =>
    capacity.status === 'ACTIVE' && (input.waitForInstances === false || capacity.inService === applied.after.desired);
  while (!settled() && Date.now() - startedAt < verifyTimeoutMs) {
    await sleep(pollIntervalMs);
    capacity = await read.nodegroupCapacity(ref);
  }
  return {
    nodegroup: ref.nodegroup,
    status: settled() ? (applied.changed ? 'scaled' : 'no_change') : 'timeout',
    before: applied.before,
    after: applied.after,
    inService: capacity.inService,
    waitedMs: Date.now() - startedAt,
  };
}
