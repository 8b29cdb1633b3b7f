import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { recordMutation } from './audit';
import { awsCall } from '../src/aws/errors';
import { ValidationError } from '../src/errors';
import { diffSize, type PartialSize, type NodegroupSize } from '../src/domain/size';
import type { AwsTarget } from '../src/config/clusters';

export interface NodegroupRef {
  target: AwsTarget;
  cluster: string;
  nodegroup: string;
}

export interface NodegroupState {
  status: string;
  size: NodegroupSize;
  capacityType: string;
  instanceTypes: string[];
  autoScalingGroups: string[];
  subnets: string[];
}

export interface NodegroupCapacity {
  status: string;
  desired: number;
  /** Instances InService in the node group's Auto Scaling groups. */
  inService: number;
  instanceIds: string[];
}

export interface ApplySizeResult {
  changed: boolean;
  before: NodegroupSize;
  after: NodegroupSize;
  updateId?: string;
}

const targetSchema = z.object({ accountId: z.string(), region: z.string(), roleArn: z.string().optional() });
const refSchema = z.object({ target: targetSchema, cluster: z.string().min(1), nodegroup: z.string().min(1) });
const partialSize = z.object({
  min: z.number().int().nonnegative().optional(),
  desired: z.number().int().nonnegative().optional(),
  max: z.number().int().positive().optional(),
});
const applySchema = z.object({ ref: refSchema, size: partialSize, requestToken: z.string().min(1).max(64) });

const label = (r: NodegroupRef) => `${r.target.accountId}/${r.target.region}/${r.cluster}/${r.nodegroup}`;

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const res = schema.safeParse(input);
  if (!res.success) throw new ValidationError(`${what}: ${z.prettifyError(res.error)}`);
  return res.data;
}

export function createEksActivities(deps: ActivityDeps) {
  async function describeNodegroup(input: NodegroupRef): Promise<NodegroupState> {
    const ref = parse(refSchema, input, 'describeNodegroup');
    const out = await awsCall(`DescribeNodegroup ${label(ref)}`, () =>
      deps.aws.eks(ref.target).send(new DescribeNodegroupCommand({ clusterName: ref.cluster, nodegroupName: ref.nodegroup })),
    );
    const ng = out.nodegroup;
    const sc = ng?.scalingConfig;
    return {
      status: ng?.status ?? 'UNKNOWN',
      size: { min: sc?.minSize ?? 0, desired: sc?.desiredSize ?? 0, max: sc?.maxSize ?? 0 },
      capacityType: ng?.capacityType ?? 'ON_DEMAND',
      instanceTypes: ng?.instanceTypes ?? [],
      autoScalingGroups: (ng?.resources?.autoScalingGroups ?? []).map((g) => g.name ?? '').filter(Boolean),
      subnets: ng?.subnets ?? [],
    };
  }

  /**
   * Applies a (partial) size idempotently: reads the node group first and calls
   * UpdateNodegroupConfig only for the fields that differ, with a client request token derived
   * from the workflow step, so neither an activity retry nor a replayed workflow applies twice.
   */
  async function applyNodegroupSize(input: { ref: NodegroupRef; size: PartialSize; requestToken: string }): Promise<ApplySizeResult> {
    const { ref, size, requestToken } = parse(applySchema, input, 'applyNodegroupSize');
    const current = await describeNodegroup(ref);
    const { changes, after } = diffSize(current.size, size);
    if (after.min > after.max || after.desired < after.min || after.desired > after.max) {
      throw new ValidationError(`${label(ref)}: size ${JSON.stringify(after)} violates min <= desired <= max`);
    }
    if (!changes) return { changed: false, before: current.size, after: current.size };
    const out = await awsCall(`UpdateNodegroupConfig ${label(ref)}`, () =>
      deps.aws.eks(ref.target).send(
        new UpdateNodegroupConfigCommand({
          clusterName: ref.cluster,
          nodegroupName: ref.nodegroup,
          scalingConfig: { minSize: changes.min, maxSize: changes.max, desiredSize: changes.desired },
          clientRequestToken: requestToken,
        }),
      ),
    );
    recordMutation(deps.audit, 'eks:UpdateNodegroupConfig', label(ref), { before: current.size, after, requestToken, updateId: out.update?.id });
    return { changed: true, before: current.size, after, updateId: out.update?.id };
  }

  /** Node group status plus how many of its instances are InService in its Auto Scaling groups. */
  async function nodegroupCapacity(input: NodegroupRef): Promise<NodegroupCapacity> {
    const ref = parse(refSchema, input, 'nodegroupCapacity');
    const ng = await describeNodegroup(ref);
    if (ng.autoScalingGroups.length === 0) return { status: ng.status, desired: ng.size.desired, inService: 0, instanceIds: [] };
    const out = await awsCall(`DescribeAutoScalingGroups ${label(ref)}`, () =>
      deps.aws.autoScaling(ref.target).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ng.autoScalingGroups })),
    );
    const instances = (out.AutoScalingGroups ?? []).flatMap((g) => g.Instances ?? []);
    const inService = instances.filter((i) => i.LifecycleState === 'InService');
    return {
      status: ng.status,
      desired: ng.size.desired,
      inService: inService.length,
      instanceIds: inService.map((i) => i.InstanceId ?? '').filter(Boolean),
    };
  }

  return { describeNodegroup, applyNodegroupSize, nodegroupCapacity };
}

