import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { GroupRef } from '../../src/domain/scaling/types';
import type { PartialSize } from '../../src/domain/size';
import type { ScaleNodegroupResult } from '../scale-nodegroup';
import { awsMutate, awsRead } from '../lib/presets';

const read = proxyActivities<Activities>(awsRead);
const mutate = proxyActivities<Activities>(awsMutate);

export interface ScaleSelfManagedInput {
  ref: GroupRef;
  size: PartialSize;
  verifyTimeoutMs?: number;
  pollIntervalMs?: number;
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
