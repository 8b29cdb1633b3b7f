import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { NodegroupRef } from '../../activities/eks';
import type { GroupRef } from '../../src/domain/scaling/types';
import type { NodegroupSize, PartialSize } from '../../src/domain/size';
import { awsMutate, awsRead } from '../lib/presets';

const read = proxyActivities<Activities>(awsRead);
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
  const verifyTimeoutMs = opts.verifyTimeoutMs ?? 15 * 60_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 15_000;
  const requestToken = `${workflowInfo().workflowId}/${nodegroup}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(-64);
  const applied = await apply(requestToken);
  const startedAt = Date.now();
  let reading = await readGroup();
  while (!settled(reading, applied) && Date.now() - startedAt < verifyTimeoutMs) {
    await sleep(pollIntervalMs);
    reading = await readGroup();
  }
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
    (requestToken) => mutate.applyNodegroupSize({ ref, size, requestToken }),
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
export async function scaleSelfManagedGroupTo(input: ScaleSelfManagedInput): Promise<ScaleNodegroupResult> {
  const { ref, size } = input;
  return applyAndWait(
    ref.nodegroup,
    input,
    (requestToken) => mutate.applyGroupSize({ ref, size, requestToken }),
    () => read.readGroup(ref),
    (reading, applied) => reading.status === 'ACTIVE' && reading.inService === applied.after.desired,
  );
}
