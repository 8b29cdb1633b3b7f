import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Filter, Instance } from '@aws-sdk/client-ec2';
import type { AwsClientFactory } from '../../src/aws/clients';
import { Batcher } from '../../src/aws/batcher';
import type { AwsTarget } from '../../src/config/clusters';
import { describeAsgs } from './asg';
import { describeInstancesWhere, tagsOf } from './instances';
import { batchMembers, memberTagKey, replacedBy } from '../../src/domain/interruption/launch-batch';

/**
 * Batched reads of instance and group state that many concurrent workflows ask for (a burst of
 * spot interruptions): one reader per account/region/role and kind in this worker process, one
 * DescribeInstances for up to 200 ids (EC2's limit of values per filter) or one
 * DescribeAutoScalingGroups for up to 50 groups (one page) per call, each caller answered from it. Reads
 * before a mutation do not go through here: they read the one resource directly.
 */
const EC2_FILTER_VALUES = 200;
const ASG_NAMES_PER_CALL = 50; // DescribeAutoScalingGroups returns 50 groups per page by default
/**
 * How long the first request of a batch waits for others (Karpenter waits up to 1 s). 25 ms batched
 * poorly on a loaded worker, where activities start a few per second: 1,000 interruptions still
 * made 908 DescribeInstances. A quarter second on the path to a 120 s deadline buys far fewer.
 */
const WINDOW_MS = 250;
/** A batch goes out once no request has come for this long (a lone read waits 50 ms, not 250). */
const IDLE_MS = 50;

const readers = new WeakMap<AwsClientFactory, Map<string, Batcher<unknown>>>();

function reader<V>(aws: AwsClientFactory, key: string, make: () => Batcher<V>): Batcher<V> {
  let m = readers.get(aws);
  if (!m) readers.set(aws, (m = new Map()));
  let b = m.get(key) as Batcher<V> | undefined;
  if (!b) m.set(key, (b = make()) as Batcher<unknown>);
  return b;
}

const targetKey = (t: AwsTarget) => `${t.accountId}/${t.region}/${t.roleArn ?? ''}`;

/** One instance by id (undefined when EC2 does not know it), read in a batch with every concurrent caller's. */
export function batchedInstance(
  aws: AwsClientFactory,
  target: AwsTarget,
  instanceId: string,
): Promise<Instance | undefined> {
  return reader(
    aws,
    `instances/${targetKey(target)}`,
    () =>
      new Batcher<Instance>({
        windowMs: WINDOW_MS,
        idleMs: IDLE_MS,
        maxBatch: EC2_FILTER_VALUES,
        fetch: async (ids) => {
          const found = await describeInstancesWhere(
            aws,
            target,
            [{ Name: 'instance-id', Values: ids }],
            `${ids.length} ids (batched)`,
          );
          return new Map(found.map((i) => [i.InstanceId ?? '', i]));
        },
      }),
  ).get(instanceId);
}

/** Instances by id (those EC2 still knows), batched with every concurrent caller's. */
export async function batchedInstances(aws: AwsClientFactory, target: AwsTarget, ids: string[]): Promise<Instance[]> {
  const found = await Promise.all(ids.map((id) => batchedInstance(aws, target, id)));
  return found.filter((i): i is Instance => !!i);
}

/**
 * Pending or running instances found by one tag filter over many values at once (`filter`), and
 * handed back to each value's waiters by the values an instance's tags carry (`valuesOf`).
 */
function tagScan(
  aws: AwsClientFactory,
  target: AwsTarget,
  name: string,
  filter: (values: string[]) => Filter,
  valuesOf: (tags: Record<string, string>) => string[],
): Batcher<Instance[]> {
  return reader(
    aws,
    `${name}/${targetKey(target)}`,
    () =>
      new Batcher<Instance[]>({
        windowMs: WINDOW_MS,
        idleMs: IDLE_MS,
        maxBatch: EC2_FILTER_VALUES,
        fetch: async (values) => {
          const out = await describeInstancesWhere(
            aws,
            target,
            [filter(values), { Name: 'instance-state-name', Values: ['pending', 'running'] }],
            `${name} ${values.length} values (batched)`,
          );
          const byValue = new Map<string, Instance[]>();
          for (const i of out) for (const v of valuesOf(tagsOf(i.Tags))) byValue.set(v, [...(byValue.get(v) ?? []), i]);
          return byValue;
        },
      }),
  );
}

/** Pending or running instances tagged `key=value`, batched with every concurrent caller's for the same key. */
export async function batchedInstancesTagged(
  aws: AwsClientFactory,
  target: AwsTarget,
  key: string,
  value: string,
): Promise<Instance[]> {
  const scan = tagScan(
    aws,
    target,
    `tag:${key}`,
    (values) => ({ Name: `tag:${key}`, Values: values }),
    (tags) => [tags[key] ?? ''],
  );
  return (await scan.get(value)) ?? [];
}

/**
 * Pending or running instances of batched fleet launches made for `interruptedId` (carrying its
 * `eksflow:for:<id>` member tag, assigned to it or not: the whole batch), batched with every
 * concurrent caller's: one tag-key filter for up to 200 interrupted instances.
 */
export async function batchedLaunchedWith(
  aws: AwsClientFactory,
  target: AwsTarget,
  interruptedId: string,
): Promise<Instance[]> {
  const scan = tagScan(
    aws,
    target,
    'launched-for',
    (members) => ({ Name: 'tag-key', Values: members.map(memberTagKey) }),
    batchMembers,
  );
  return (await scan.get(interruptedId)) ?? [];
}

/** Pending or running instances a batched fleet launch assigned to `interruptedId`. */
export async function batchedLaunchedFor(
  aws: AwsClientFactory,
  target: AwsTarget,
  interruptedId: string,
): Promise<Instance[]> {
  return (await batchedLaunchedWith(aws, target, interruptedId)).filter(
    (i) => replacedBy({ instanceId: i.InstanceId ?? '', tags: tagsOf(i.Tags) }) === interruptedId,
  );
}

/** One Auto Scaling group (undefined when it does not exist), batched with every concurrent caller's. */
export function batchedAsg(
  aws: AwsClientFactory,
  target: AwsTarget,
  asgName: string,
): Promise<AutoScalingGroup | undefined> {
  return reader(
    aws,
    `asg/${targetKey(target)}`,
    () =>
      new Batcher<AutoScalingGroup>({
        windowMs: WINDOW_MS,
        idleMs: IDLE_MS,
        maxBatch: ASG_NAMES_PER_CALL,
        fetch: async (names) => {
          const found = await describeAsgs(aws, target, names);
          return new Map(found.map((g) => [g.AutoScalingGroupName ?? '', g]));
        },
      }),
  ).get(asgName);
}
