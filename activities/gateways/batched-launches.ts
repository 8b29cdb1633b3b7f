import { randomUUID } from 'node:crypto';
import type { Instance } from '@aws-sdk/client-ec2';
import type { AwsClientFactory } from '../../src/aws/clients';
import { Batcher } from '../../src/aws/batcher';
import type { AwsTarget } from '../../src/config/clusters';
import { UnavailableError } from '../../src/errors';
import {
  assignBatch,
  assignmentTags,
  completeAssignment,
  findLaunchedFor,
  LAUNCH_BATCH_TAG,
  MAX_BATCH_MEMBERS,
  memberTagKey,
  ownerTagValue,
  pendingMemberValue,
  type TaggedInstance,
} from '../../src/domain/interruption/launch-batch';
import { OWNER_TAG, PURPOSE_TAG, type LaunchPurpose } from '../../src/domain/interruption/ownership';
import { FALLBACK_TAG, REPLACEMENT_TAG } from '../../src/domain/interruption/capacity';
import type { GatewayDeps } from './deps';
import { launchInstantFleet, tagInstances, tagsOf } from './instances';
import { batchedInstancesTagged, batchedLaunchedWith } from './batched-reads';

/**
 * Batched EC2 Fleet launches: concurrent requests in this worker process for identical capacity
 * (same account/region, node group, launch template, instance types and subnets, capacity type
 * and purpose) go out as one `CreateFleet` of N instances plus one `CreateTags` that records who
 * gets which (src/domain/interruption/launch-batch.ts). One launch in flight per shape: requests
 * arriving meanwhile make the next batch. A member the fleet had no instance for gets `undefined`
 * (its activity retries).
 */
export interface LaunchShape {
  target: AwsTarget;
  capacity: 'spot' | 'on-demand';
  purpose: LaunchPurpose;
  launchTemplate: { id: string; version: string };
  /** EC2 Fleet overrides (instance type × subnet). */
  overrides: unknown[];
  cluster: string;
  nodegroup: string;
  /** For the audit record. */
  types: string[];
}

export interface Launched {
  instanceId: string;
  instanceType: string;
}

/**
 * How long the first request of a batch waits for others. A burst's launches reach a worker over
 * tens of seconds at a few per second, so a quarter second made batches of ~5 (0.6 AWS calls per
 * interruption in bench:interruption's one-worker burst); a second, out of a 120 s notice, buys
 * several times larger ones (Karpenter's CreateFleet batcher waits up to a second too).
 */
const WINDOW_MS = 1_000;
/**
 * A batch goes out once no launch of its shape has arrived for this long: a lone interruption
 * does not wait the whole second for company (bench:interruption's single events: 1.3 s → see
 * README), a burst's steady stream still fills batches up to the window.
 */
const IDLE_MS = 100;
/** Launches in flight at once per shape: a request never queues behind a long chain of slow CreateFleet calls. */
const MAX_IN_FLIGHT = 4;

/** The batcher's key: the member and its owner workflow (an instance id has no newline). */
const keyOf = (member: string, owner: string) => `${member}\n${owner}`;
const splitKey = (key: string) => {
  const at = key.indexOf('\n');
  return { member: key.slice(0, at), owner: key.slice(at + 1) };
};

const launchers = new WeakMap<AwsClientFactory, Map<string, Batcher<Launched>>>();

function launcherFor(deps: GatewayDeps, shape: LaunchShape): Batcher<Launched> {
  let m = launchers.get(deps.aws);
  if (!m) launchers.set(deps.aws, (m = new Map()));
  const key = JSON.stringify([
    shape.target.accountId,
    shape.target.region,
    shape.target.roleArn ?? '',
    shape.capacity,
    shape.purpose,
    shape.launchTemplate,
    shape.overrides,
    shape.cluster,
    shape.nodegroup,
  ]);
  let b = m.get(key);
  if (!b) {
    b = new Batcher<Launched>({
      windowMs: WINDOW_MS,
      idleMs: IDLE_MS,
      maxBatch: MAX_BATCH_MEMBERS,
      maxInFlight: MAX_IN_FLIGHT,
      fetch: async (keys) => {
        const members = keys.map(splitKey);
        const launched = await launchBatch(
          deps,
          shape,
          members.map((k) => k.member),
          new Map(members.map((k) => [k.member, k.owner])),
        );
        return new Map(
          members.flatMap((k) => {
            const l = launched.get(k.member);
            return l ? [[keyOf(k.member, k.owner), l] as const] : [];
          }),
        );
      },
    });
    m.set(key, b);
  }
  return b;
}

/**
 * The replacement for `member` from a batched launch (undefined: the fleet ran out before it).
 * `maxQueueMs` bounds the wait for a place in a call: past it the request leaves the queue
 * unsent (`QueueWaitExceeded`), so an activity attempt that times out never leaves a launch
 * queued behind it for its retry to double.
 */
export function batchedLaunch(
  deps: GatewayDeps,
  shape: LaunchShape,
  member: string,
  owner: string,
  maxQueueMs?: number,
): Promise<Launched | undefined> {
  return launcherFor(deps, shape).get(keyOf(member, owner), { maxWaitMs: maxQueueMs });
}

/**
 * The launch this worker has in flight for `member` on behalf of `owner`, if any: a retry on the
 * same worker waits for it instead of scanning tags the fleet has not written yet.
 */
export function launchInFlight(
  deps: GatewayDeps,
  shape: LaunchShape,
  member: string,
  owner: string,
): Promise<Launched | undefined> | undefined {
  return launcherFor(deps, shape).sending(keyOf(member, owner));
}

async function launchBatch(
  deps: GatewayDeps,
  shape: LaunchShape,
  members: string[],
  owners: Map<string, string>,
): Promise<Map<string, Launched>> {
  const { target, capacity, purpose, cluster, nodegroup } = shape;
  members = [...members].sort();
  const batchId = randomUUID();
  // A batch of one is tagged as launches always were (one-to-one, with its owner): complete at launch, no CreateTags.
  const single = members.length === 1;
  const memberTags = single
    ? [
        { Key: capacity === 'spot' ? REPLACEMENT_TAG : FALLBACK_TAG, Value: members[0]! },
        { Key: OWNER_TAG, Value: ownerTagValue(owners.get(members[0]!) ?? '') },
      ]
    : [
        { Key: LAUNCH_BATCH_TAG, Value: batchId },
        ...members.map((mb) => ({ Key: memberTagKey(mb), Value: pendingMemberValue(owners.get(mb) ?? '') })),
      ];
  const out = await launchInstantFleet(
    deps,
    target,
    {
      ClientToken: batchId,
      TargetCapacitySpecification: { TotalTargetCapacity: members.length, DefaultTargetCapacityType: capacity },
      ...(capacity === 'spot'
        ? { SpotOptions: { AllocationStrategy: 'price-capacity-optimized' } }
        : { OnDemandOptions: { AllocationStrategy: 'lowest-price' } }),
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: {
            LaunchTemplateId: shape.launchTemplate.id,
            Version: shape.launchTemplate.version,
          },
          Overrides: shape.overrides as never,
        },
      ],
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: PURPOSE_TAG, Value: purpose },
            { Key: 'eks:cluster-name', Value: cluster },
            { Key: 'eks:nodegroup-name', Value: nodegroup },
            { Key: `kubernetes.io/cluster/${cluster}`, Value: 'owned' },
            ...memberTags,
          ],
        },
      ],
    },
    {
      label: `${target.accountId}/${target.region}/${cluster}/${nodegroup}`,
      context: `CreateFleet ${capacity} ×${members.length} for ${members.join(',')}`,
      detail: single
        ? { interruptedInstance: members[0], capacity, purpose, owner: owners.get(members[0]!), types: shape.types }
        : { batchId, interruptedInstances: members, capacity, purpose, types: shape.types },
    },
  );
  if (out.instanceIds.length === 0) {
    // Retryable: capacity may appear on the next attempt; the activity's schedule-to-close keeps retries inside the deadline.
    const errors = out.Errors ?? [];
    throw new UnavailableError(
      `CreateFleet ${capacity} ×${members.length} launched nothing: ${errors.map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`).join('; ') || 'no instances'}`,
      { details: { awsCode: errors[0]?.ErrorCode } },
    );
  }
  const typeOf = new Map<string, string>();
  for (const i of out.Instances ?? []) for (const id of i.InstanceIds ?? []) typeOf.set(id, i.InstanceType ?? '');
  const assignment = assignBatch(members, out.instanceIds);
  // One call records the whole assignment on every instance of the batch; until it lands, a retry completes it.
  if (!single) await tagInstances(deps, target, out.instanceIds, assignmentTags(assignment, owners));
  return new Map(
    [...assignment].map(([member, instanceId]) => [member, { instanceId, instanceType: typeOf.get(instanceId) ?? '' }]),
  );
}

const tagged = (i: Instance): TaggedInstance => ({ instanceId: i.InstanceId ?? '', tags: tagsOf(i.Tags) });

/**
 * What an earlier attempt launched for `member` (pending or running), by its tags: the batch
 * form and the older one-to-one tag (`legacyTag`). A batch found without its assignment (the
 * launching worker died between CreateFleet and CreateTags) is assigned here, the same way.
 */
export async function launchedEarlier(
  deps: GatewayDeps,
  target: AwsTarget,
  member: string,
  purpose: LaunchPurpose,
  legacyTag: string,
): Promise<Instance[]> {
  // Batched with every concurrent retry's (each answer from a call issued after it asked).
  const [batched, legacy] = await Promise.all([
    batchedLaunchedWith(deps.aws, target, member),
    batchedInstancesTagged(deps.aws, target, legacyTag, member),
  ]);
  const all = [...new Map([...batched, ...legacy].map((i) => [i.InstanceId ?? '', i])).values()];
  const byId = new Map(all.map((i) => [i.InstanceId ?? '', i]));
  const found = findLaunchedFor(all.map(tagged), member, purpose);
  const mine = new Set(found.mine);
  for (const instances of found.unassignedBatches.values()) {
    const { assignment, owners } = completeAssignment(instances);
    await tagInstances(
      deps,
      target,
      instances.map((i) => i.instanceId),
      assignmentTags(assignment, owners),
    );
    const id = assignment.get(member);
    if (id) mine.add(id);
  }
  return [...mine].sort().map((id) => byId.get(id)!);
}
