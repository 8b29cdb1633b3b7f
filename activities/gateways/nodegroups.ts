import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { z } from 'zod';
import type { AwsClientFactory } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import { awsTargetSchema, type AwsTarget } from '../../src/config/clusters';
import type { NodegroupSize, PartialSize } from '../../src/domain/size';
import { recordMutation } from '../audit';
import { planSizeChange, type ApplySizeResult, type GatewayDeps } from './deps';

/** EKS managed node groups: the only code that calls the EKS node group API. */
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

export const nodegroupRefSchema = z.object({
  target: awsTargetSchema,
  cluster: z.string().min(1),
  nodegroup: z.string().min(1),
});

export const nodegroupLabel = (r: NodegroupRef) =>
  `${r.target.accountId}/${r.target.region}/${r.cluster}/${r.nodegroup}`;

export async function describeNodegroup(aws: AwsClientFactory, ref: NodegroupRef): Promise<NodegroupState> {
  const out = await awsCall(`DescribeNodegroup ${nodegroupLabel(ref)}`, () =>
    aws.eks(ref.target).send(new DescribeNodegroupCommand({ clusterName: ref.cluster, nodegroupName: ref.nodegroup })),
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
 * Applies a (partial) size idempotently: reads the node group, checks min <= desired <= max and
 * calls UpdateNodegroupConfig only for the fields that differ, with the caller's client request
 * token (`<workflowId>-<step>`), so neither an activity retry nor a replay applies twice. Audited.
 */
export async function applyNodegroupSize(
  deps: GatewayDeps,
  ref: NodegroupRef,
  size: PartialSize,
  requestToken: string,
): Promise<ApplySizeResult> {
  const label = nodegroupLabel(ref);
  const current = await describeNodegroup(deps.aws, ref);
  const { changes, after } = planSizeChange(label, current.size, size);
  if (!changes) return { changed: false, before: current.size, after: current.size };
  const out = await awsCall(`UpdateNodegroupConfig ${label}`, () =>
    deps.aws.eks(ref.target).send(
      new UpdateNodegroupConfigCommand({
        clusterName: ref.cluster,
        nodegroupName: ref.nodegroup,
        scalingConfig: { minSize: changes.min, maxSize: changes.max, desiredSize: changes.desired },
        clientRequestToken: requestToken.slice(-64),
      }),
    ),
  );
  const updateId = out.update?.id;
  recordMutation(deps.audit, 'eks:UpdateNodegroupConfig', label, {
    before: current.size,
    after,
    requestToken,
    updateId,
  });
  return { changed: true, before: current.size, after, updateId };
}
