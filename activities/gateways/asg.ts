import {
  AttachInstancesCommand,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import type { AwsClientFactory } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { AwsTarget } from '../../src/config/clusters';
import { NotFoundError } from '../../src/errors';
import type { NodegroupSize, PartialSize } from '../../src/domain/size';
import { recordMutation } from '../audit';
import { planSizeChange, type ApplySizeResult, type GatewayDeps } from './deps';

/**
 * Auto Scaling groups: the only code that calls the Auto Scaling API. Reads come in two forms,
 * one convention: `findAsg` answers undefined when the group does not exist (for callers where
 * absence is a normal answer), `describeAsg` throws NotFoundError.
 */
export interface AsgRef {
  target: AwsTarget;
  asgName: string;
}

const asgLabel = (r: AsgRef) => `${r.target.accountId}/${r.target.region}/${r.asgName}`;

export async function describeAsgs(
  aws: AwsClientFactory,
  target: AwsTarget,
  names: string[],
): Promise<AutoScalingGroup[]> {
  if (names.length === 0) return [];
  const out = await awsCall(`DescribeAutoScalingGroups ${target.accountId}/${target.region}/${names.join(',')}`, () =>
    aws.autoScaling(target).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names })),
  );
  return out.AutoScalingGroups ?? [];
}

export async function findAsg(aws: AwsClientFactory, ref: AsgRef): Promise<AutoScalingGroup | undefined> {
  return (await describeAsgs(aws, ref.target, [ref.asgName]))[0];
}

export async function describeAsg(
  aws: AwsClientFactory,
  ref: AsgRef,
  what = `Auto Scaling group ${ref.asgName}`,
): Promise<AutoScalingGroup> {
  const g = await findAsg(aws, ref);
  if (!g) throw new NotFoundError(`${what} does not exist`);
  return g;
}

export const asgSize = (g: AutoScalingGroup): NodegroupSize => ({
  min: g.MinSize ?? 0,
  desired: g.DesiredCapacity ?? 0,
  max: g.MaxSize ?? 0,
});

export const asgTags = (g: AutoScalingGroup): Record<string, string> =>
  Object.fromEntries((g.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** Instance ids of the group in a lifecycle state (InService by default), sorted. */
export function asgInstanceIds(g: AutoScalingGroup | undefined, state = 'InService'): string[] {
  return (g?.Instances ?? [])
    .filter((i) => i.LifecycleState === state)
    .map((i) => i.InstanceId ?? '')
    .filter(Boolean)
    .sort();
}

/**
 * Sizes a group idempotently: reads it, checks min <= desired <= max, writes only the fields that
 * differ (the ASG API has no client token, so read-then-write is what makes a retry safe), audited
 * with the caller's request token and label.
 */
export async function applyAsgSize(
  deps: GatewayDeps,
  ref: AsgRef,
  size: PartialSize,
  opts: {
    requestToken: string;
    label?: string;
    /** Checked against the group as read, before anything is written: throws to write nothing. */
    guard?: (group: AutoScalingGroup) => void;
  },
): Promise<ApplySizeResult> {
  const label = opts.label ?? asgLabel(ref);
  const group = await describeAsg(deps.aws, ref, `Auto Scaling group ${ref.asgName} of ${label}`);
  opts.guard?.(group);
  const before = asgSize(group);
  const { changes, after } = planSizeChange(label, before, size);
  if (!changes) return { changed: false, before, after: before };
  await awsCall(`UpdateAutoScalingGroup ${label}`, () =>
    deps.aws.autoScaling(ref.target).send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: ref.asgName,
        MinSize: changes.min,
        MaxSize: changes.max,
        DesiredCapacity: changes.desired,
      }),
    ),
  );
  recordMutation(deps.audit, 'autoscaling:UpdateAutoScalingGroup', label, {
    before,
    after,
    requestToken: opts.requestToken,
    asgName: ref.asgName,
  });
  return { changed: true, before, after };
}

/** Sets (value) or deletes (undefined) one tag on the group; not propagated to instances. */
export async function setAsgTag(
  aws: AwsClientFactory,
  ref: AsgRef,
  key: string,
  value: string | undefined,
): Promise<void> {
  const tag = { ResourceId: ref.asgName, ResourceType: 'auto-scaling-group', Key: key };
  const client = aws.autoScaling(ref.target);
  await awsCall(`${value === undefined ? 'DeleteTags' : 'CreateOrUpdateTags'} ${asgLabel(ref)} ${key}`, () =>
    value === undefined
      ? client.send(new DeleteTagsCommand({ Tags: [tag] }))
      : client.send(new CreateOrUpdateTagsCommand({ Tags: [{ ...tag, Value: value, PropagateAtLaunch: false }] })),
  );
}

/**
 * Terminates an instance through its group (optionally lowering desired with it). Audited, under
 * the caller's label (the group) and request token when given.
 */
export async function terminateInAsg(
  deps: GatewayDeps,
  target: AwsTarget,
  instanceId: string,
  decrementDesired: boolean,
  audit: { label?: string; requestToken?: string } = {},
): Promise<void> {
  const out = await awsCall(`TerminateInstanceInAutoScalingGroup ${instanceId}`, () =>
    deps.aws.autoScaling(target).send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: decrementDesired,
      }),
    ),
  );
  recordMutation(
    deps.audit,
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    audit.label ?? `${target.accountId}/${target.region}/${instanceId}`,
    {
      instanceId,
      decrementDesired,
      ...(audit.requestToken ? { requestToken: audit.requestToken } : {}),
      activityId: out.Activity?.ActivityId,
    },
  );
}

/**
 * Attaches running instances to the group (each adds one to desired; max must allow it). Only
 * the instances not yet in the group are sent, so a retry is a no-op. Audited.
 */
export async function attachInstances(
  deps: GatewayDeps,
  ref: AsgRef,
  instanceIds: string[],
  audit: { requestToken: string },
): Promise<string[]> {
  const members = new Set(((await describeAsg(deps.aws, ref)).Instances ?? []).map((i) => i.InstanceId));
  const todo = instanceIds.filter((id) => !members.has(id)).sort();
  if (todo.length === 0) return [];
  // AttachInstances takes at most 20 instances per call.
  for (let i = 0; i < todo.length; i += 20) {
    const chunk = todo.slice(i, i + 20);
    await awsCall(`AttachInstances ${asgLabel(ref)} ${chunk.join(',')}`, () =>
      deps.aws
        .autoScaling(ref.target)
        .send(new AttachInstancesCommand({ AutoScalingGroupName: ref.asgName, InstanceIds: chunk })),
    );
  }
  recordMutation(deps.audit, 'autoscaling:AttachInstances', asgLabel(ref), {
    instanceIds: todo,
    asgName: ref.asgName,
    requestToken: audit.requestToken,
  });
  return todo;
}

/** Auto Scaling groups of one account/region, read only (cleanup: which launch templates are still in use). */
export function asgGateway(aws: AwsClientFactory, target: AwsTarget) {
  const asg = aws.autoScaling(target);
  return {
    /** launch template id → names of the groups launching from it (directly or through a mixed-instances policy). */
    async launchTemplateUsers(): Promise<Record<string, string[]>> {
      const users: Record<string, string[]> = {};
      let NextToken: string | undefined;
      do {
        const page = await awsCall(`DescribeAutoScalingGroups ${target.accountId}/${target.region}`, () =>
          asg.send(new DescribeAutoScalingGroupsCommand({ NextToken })),
        );
        for (const g of page.AutoScalingGroups ?? []) {
          const ids = [
            g.LaunchTemplate?.LaunchTemplateId,
            g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId,
          ];
          for (const id of ids) if (id) (users[id] ??= []).push(g.AutoScalingGroupName ?? '');
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return users;
    },
  };
}
