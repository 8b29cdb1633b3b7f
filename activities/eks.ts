import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { parseInput, partialSizeSchema, requestTokenSchema } from './input';
import { asgInstanceIds, describeAsgs } from './gateways/asg';
import type { ApplySizeResult } from './gateways/deps';
import {
  applyNodegroupSize as applyNodegroupSizeVia,
  describeNodegroup as describeNodegroupVia,
  nodegroupRefSchema,
  type NodegroupRef,
  type NodegroupState,
} from './gateways/nodegroups';
import type { PartialSize } from '../src/domain/size';

export type { ApplySizeResult } from './gateways/deps';
export type { NodegroupRef, NodegroupState } from './gateways/nodegroups';

export interface NodegroupCapacity {
  status: string;
  desired: number;
  /** Instances InService in the node group's Auto Scaling groups. */
  inService: number;
  instanceIds: string[];
}

const applySchema = z.object({ ref: nodegroupRefSchema, size: partialSizeSchema, requestToken: requestTokenSchema });

export function createEksActivities(deps: ActivityDeps) {
  async function describeNodegroup(input: NodegroupRef): Promise<NodegroupState> {
    return describeNodegroupVia(deps.aws, parseInput(nodegroupRefSchema, input, 'describeNodegroup'));
  }

  /** Applies a (partial) size idempotently (see the node group gateway): read, check, write the difference. */
  async function applyNodegroupSize(input: {
    ref: NodegroupRef;
    size: PartialSize;
    requestToken: string;
  }): Promise<ApplySizeResult> {
    const { ref, size, requestToken } = parseInput(applySchema, input, 'applyNodegroupSize');
    return applyNodegroupSizeVia(deps, ref, size, requestToken);
  }

  /** Node group status plus how many of its instances are InService in its Auto Scaling groups. */
  async function nodegroupCapacity(input: NodegroupRef): Promise<NodegroupCapacity> {
    const ref = parseInput(nodegroupRefSchema, input, 'nodegroupCapacity');
    const ng = await describeNodegroupVia(deps.aws, ref);
    const inService = (await describeAsgs(deps.aws, ref.target, ng.autoScalingGroups)).flatMap((g) =>
      asgInstanceIds(g),
    );
    return { status: ng.status, desired: ng.size.desired, inService: inService.length, instanceIds: inService };
  }

  return { describeNodegroup, applyNodegroupSize, nodegroupCapacity };
}
