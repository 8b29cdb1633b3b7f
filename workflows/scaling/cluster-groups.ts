import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { NodegroupConfig } from '../../src/config/clusters';
import { MAX_GROUPS_PER_READ, type GroupReading, type GroupRef } from '../../src/domain/scaling/types';
import type { NodegroupSize, PartialSize } from '../../src/domain/size';
import { failureMessage } from '../lib/failures';
import { awsRead } from '../lib/presets';
import { awsFor } from '../lib/targets';
import type { ScaleNodegroupResult } from './scale-group';

/**
 * A cluster run's groups applied and verified by the cluster's own workflow, without a child
 * workflow per group: the update is one activity on the account/region's rate-limited queue, and
 * one loop reads every group still settling with one `readGroups` per poll interval (a child per
 * group cost its own workflow tasks for the start, the update, every timer and every read).
 */
const read = proxyActivities<Activities>(awsRead);

/** A group whose size the cluster's run applied, waiting to be verified. */
export interface AppliedGroup {
  ref: GroupRef;
  /** Bounds mode of an EKS managed group: a cluster autoscaler owns desired, InService is not compared. */
  waitForInstances: boolean;
  changed: boolean;
  before: NodegroupSize;
  after: NodegroupSize;
  /** When the update completed (workflow time): each group's verify timeout and waitedMs count from here. */
  appliedAtMs: number;
}

/** A verified group, or the failure of its reads that no retry fixed. */
export type VerifiedGroup = ScaleNodegroupResult | { nodegroup: string; error: string };

/**
 * Applies a size to one group (read-then-write in the activity, audited, with the client token
 * `requestToken`), as `scaleNodegroupTo` / `scaleSelfManagedGroupTo` do: the same activity on
 * the same queue.
 */
export async function applyGroup(
  ref: GroupRef,
  mode: NodegroupConfig['scalingMode'],
  size: PartialSize,
  requestToken: string,
): Promise<AppliedGroup> {
  const aws = awsFor(ref.target).mutate;
  const r =
    ref.kind === 'self-managed'
      ? await aws.applyGroupSize({ ref, size, requestToken })
      : await aws.applyNodegroupSize({
          ref: { target: ref.target, cluster: ref.cluster, nodegroup: ref.nodegroup },
          size,
          requestToken,
        });
  return {
    ref,
    waitForInstances: ref.kind === 'self-managed' || mode === 'desired',
    changed: r.changed,
    before: r.before,
    after: r.after,
    appliedAtMs: Date.now(),
  };
}

const settled = (g: AppliedGroup, r: GroupReading) =>
  r.status === 'ACTIVE' && (!g.waitForInstances || r.inService === g.after.desired);

/**
 * Reads the groups with durable timers between reads until each is ACTIVE with its desired
 * instances InService (`waitForInstances`) or its verify timeout has passed since its update:
 * one `readGroups` per poll interval for all groups still settling. A group just changed cannot
 * be settled yet, so the first read waits one interval unless a group's update changed nothing.
 * Results in the order of `groups`.
 */
export async function verifyGroups(
  groups: AppliedGroup[],
  opts: { verifyTimeoutMs?: number; pollIntervalMs?: number },
): Promise<VerifiedGroup[]> {
  const verifyTimeoutMs = opts.verifyTimeoutMs ?? 15 * 60_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 15_000;
  const out: VerifiedGroup[] = new Array<VerifiedGroup>(groups.length);
  let pending = groups.map((_, i) => i);
  if (pending.length > 0 && groups.every((g) => g.changed)) await sleep(pollIntervalMs);
  while (pending.length > 0) {
    const readings = await readEach(pending.map((i) => groups[i]!.ref));
    const now = Date.now();
    const next: number[] = [];
    pending.forEach((i, k) => {
      const g = groups[i]!;
      const r = readings[k]!;
      if ('error' in r) {
        out[i] = { nodegroup: g.ref.nodegroup, error: r.error };
        return;
      }
      const ok = settled(g, r.reading);
      if (!ok && now - g.appliedAtMs < verifyTimeoutMs) {
        next.push(i);
        return;
      }
      out[i] = {
        nodegroup: g.ref.nodegroup,
        status: ok ? (g.changed ? 'scaled' : 'no_change') : 'timeout',
        before: g.before,
        after: g.after,
        inService: r.reading.inService,
        waitedMs: now - g.appliedAtMs,
      };
    });
    pending = next;
    if (pending.length > 0) await sleep(pollIntervalMs);
  }
  return out;
}

/**
 * `readGroups` over the refs (in chunks of its limit, at once); a chunk whose read fails as a
 * whole, after its retries, fails each of its groups with that failure.
 */
async function readEach(refs: GroupRef[]): Promise<({ reading: GroupReading } | { error: string })[]> {
  const chunks: GroupRef[][] = [];
  for (let i = 0; i < refs.length; i += MAX_GROUPS_PER_READ) chunks.push(refs.slice(i, i + MAX_GROUPS_PER_READ));
  const outcomes = await Promise.all(
    chunks.map((chunk) =>
      read.readGroups(chunk).catch((err: unknown) => {
        const error = failureMessage(err);
        return chunk.map(() => ({ error }));
      }),
    ),
  );
  return outcomes.flat();
}
