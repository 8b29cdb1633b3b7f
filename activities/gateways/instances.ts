import {
  CreateFleetCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { AwsClientFactory } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { AwsTarget } from '../../src/config/clusters';
import { NotFoundError } from '../../src/errors';
import {
  DescribeInstancesCommand as DescribeInstancesForCleanup,
  TerminateInstancesCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import { absentIfNotFound, tagsOf as tagMap } from './ebs';
import type { Tags } from '../../src/domain/backups/tags';
import { recordMutation } from '../audit';
import type { GatewayDeps } from './deps';

/** EC2 instances: the only code that describes, launches (EC2 Fleet) or tags instances. */
const where = (t: AwsTarget) => `${t.accountId}/${t.region}`;

export const tagsOf = (tags: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** One instance, or undefined when EC2 does not know it (any longer). */
export async function findInstance(
  aws: AwsClientFactory,
  target: AwsTarget,
  instanceId: string,
): Promise<Instance | undefined> {
  try {
    return (await describeInstances(aws, target, [instanceId]))[0];
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export async function describeInstances(
  aws: AwsClientFactory,
  target: AwsTarget,
  instanceIds: string[],
): Promise<Instance[]> {
  const out = await awsCall(`DescribeInstances ${where(target)} ${instanceIds.join(',')}`, () =>
    aws.ec2(target).send(new DescribeInstancesCommand({ InstanceIds: instanceIds })),
  );
  return out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
}

/** Instances carrying `key=value`, pending or running (by default). */
export async function instancesTagged(
  aws: AwsClientFactory,
  target: AwsTarget,
  key: string,
  value: string,
  states = ['pending', 'running'],
): Promise<Instance[]> {
  const out = await awsCall(`DescribeInstances ${where(target)} tag:${key}=${value}`, () =>
    aws.ec2(target).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${key}`, Values: [value] },
          { Name: 'instance-state-name', Values: states },
        ],
      }),
    ),
  );
  return out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
}

/** EC2 Fleet `instant` launch, audited as `ec2:CreateFleet` with the caller's detail. */
export async function launchInstantFleet(
  deps: GatewayDeps,
  target: AwsTarget,
  input: Omit<CreateFleetCommandInput, 'Type'>,
  audit: { label: string; context: string; detail: Record<string, unknown> },
): Promise<CreateFleetCommandOutput & { instanceIds: string[] }> {
  const out = await awsCall(audit.context, () =>
    // One attempt per activity attempt: a lost answer is retried by the activity, which looks for the tag first.
    deps.aws.ec2NoRetry(target).send(new CreateFleetCommand({ ...input, Type: 'instant' })),
  );
  const instanceIds = (out.Instances ?? []).flatMap((i) => i.InstanceIds ?? []).sort();
  recordMutation(deps.audit, 'ec2:CreateFleet', audit.label, {
    ...audit.detail,
    clientToken: input.ClientToken,
    fleetId: out.FleetId,
    instanceIds,
    errors: out.Errors?.map((e) => e.ErrorCode),
  });
  return { ...out, instanceIds };
}

/** Adds tags to instances (idempotent: CreateTags overwrites a tag with the same key). Audited. */
export async function tagInstances(
  deps: GatewayDeps,
  target: AwsTarget,
  instanceIds: string[],
  tags: Record<string, string>,
): Promise<void> {
  if (instanceIds.length === 0) return;
  await awsCall(`CreateTags ${where(target)} ${instanceIds.join(',')}`, () =>
    deps.aws.ec2(target).send(
      new CreateTagsCommand({
        Resources: instanceIds,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  );
  recordMutation(deps.audit, 'ec2:CreateTags', `${where(target)}/${instanceIds.join(',')}`, { tags });
}

/**
 * Terminates instances eksflow launched (fallbacks whose group is back at capacity). Only those
 * still pending or running are sent, so a retry is a no-op; audited with the caller's detail.
 */
export async function terminateInstances(
  deps: GatewayDeps,
  target: AwsTarget,
  instanceIds: string[],
  detail: Record<string, unknown>,
): Promise<string[]> {
  if (instanceIds.length === 0) return [];
  const live = (
    await describeInstances(deps.aws, target, instanceIds).catch((err: unknown) => {
      if (err instanceof NotFoundError) return [];
      throw err;
    })
  )
    .filter((i) => ['pending', 'running', 'stopping', 'stopped'].includes(i.State?.Name ?? ''))
    .map((i) => i.InstanceId!)
    .sort();
  if (live.length === 0) return [];
  await awsCall(`TerminateInstances ${where(target)} ${live.join(',')}`, () =>
    deps.aws.ec2(target).send(new TerminateInstancesCommand({ InstanceIds: live })),
  );
  recordMutation(deps.audit, 'ec2:TerminateInstances', `${where(target)}/${live.join(',')}`, {
    instanceIds: live,
    ...detail,
  });
  return live;
}

export interface InstanceInfo {
  instanceId: string;
  state: string;
  instanceType: string;
  launchTime: string;
  privateDnsName: string;
  tags: Tags;
}

const info = (i: Instance): InstanceInfo => ({
  instanceId: i.InstanceId ?? '',
  state: i.State?.Name ?? 'unknown',
  instanceType: i.InstanceType ?? '',
  launchTime: (i.LaunchTime ?? new Date(0)).toISOString(),
  privateDnsName: i.PrivateDnsName ?? '',
  tags: tagMap(i.Tags),
});

/** EC2 instances of one account/region (reads by filter or id, terminate): the only code calling those APIs for cleanup. */
export function instancesGateway(aws: AwsClientFactory, target: AwsTarget) {
  const ec2 = aws.ec2(target);
  const where = `${target.accountId}/${target.region}`;
  async function describe(filters: Filter[]): Promise<InstanceInfo[]> {
    const out: InstanceInfo[] = [];
    let NextToken: string | undefined;
    do {
      const page = await awsCall(`DescribeInstances ${where}`, () =>
        ec2.send(new DescribeInstancesForCleanup({ Filters: filters, NextToken })),
      );
      out.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map(info));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }
  return {
    describe,
    /** By id; ids EC2 no longer knows are simply absent from the result. */
    async byIds(ids: string[]): Promise<InstanceInfo[]> {
      return ids.length ? describe([{ Name: 'instance-id', Values: ids }]) : [];
    },
    async terminate(instanceId: string): Promise<'deleted' | 'absent'> {
      return awsCall(`TerminateInstances ${where}/${instanceId}`, () =>
        absentIfNotFound(ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))),
      );
    },
  };
}

/** Instances matching `filters` (every page): the batched readers' one call for many ids or tag values. */
export async function describeInstancesWhere(
  aws: AwsClientFactory,
  target: AwsTarget,
  filters: Filter[],
  context: string,
): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await awsCall(`DescribeInstances ${where(target)} ${context}`, () =>
      aws.ec2(target).send(new DescribeInstancesCommand({ Filters: filters, NextToken })),
    );
    out.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}
