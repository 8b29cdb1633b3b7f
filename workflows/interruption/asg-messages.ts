import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AwsTarget } from '../../src/config/clusters';
import type { GroupLedger } from '../../src/domain/interruption/group-ledger';

/**
 * The messages of `asg/<account>/<region>/<name>` (asgCapacity), the one writer of an Auto
 * Scaling group's capacity for interruption responses. Callers reach it with update-with-start
 * from an activity (`requestGroupCapacity` in activities/interruption.ts): a workflow cannot
 * call update-with-start itself, and an activity gives the call retries and a deadline.
 */
export const ASG_CAPACITY_WORKFLOW_TYPE = 'asgCapacity';

export function asgCapacityWorkflowId(target: Pick<AwsTarget, 'accountId' | 'region'>, asgName: string): string {
  return `asg/${target.accountId}/${target.region}/${asgName}`;
}

/** The group and how its size is set: through EKS for a managed node group (EKS owns its ASG), else on the ASG. */
export interface GroupRef {
  target: AwsTarget;
  asgName: string;
  kind: 'eks-managed' | 'self-managed';
  cluster: string;
  nodegroup: string;
}

export interface CapacityRequest {
  /**
   * raise: +1 desired for `owner` (max lifted if needed). attach: `instanceIds` join the group
   * (AttachInstances, +1 desired each; self-managed groups only). release: give back every unit
   * `owner` holds (−1 desired each; max restored with the last one).
   */
  op: 'raise' | 'attach' | 'release';
  /** The interrupted instance the units are held for; a second raise for the same owner is a no-op. */
  owner: string;
  instanceIds?: string[];
  group: GroupRef;
}

export interface CapacityAnswer {
  /** false: nothing to do (already raised, or nothing held to release). */
  changed: boolean;
  /** Units this request added (+) or gave back (−). */
  units: number;
  /** The batch it was applied in, and how many requests that batch served. */
  batchId?: string;
  batchSize?: number;
  before?: { desired: number; max: number };
  target?: { desired: number; max: number };
  /** Activity wall clock when the batch was applied. */
  appliedAt?: string;
}

export interface AsgCapacityInput {
  group: GroupRef;
  /** Carried over continue-as-new. */
  ledger?: GroupLedger;
  holders?: Record<string, number>;
  /** How long the workflow waits, holding nothing, before it ends (the next request starts a new run). Default 10 min. */
  idleMs?: number;
}

export interface AsgCapacityState {
  ledger: GroupLedger;
  /** owner → units held. */
  holders: Record<string, number>;
  batches: number;
  queued: number;
}

export const capacityUpdate = defineUpdate<CapacityAnswer, [CapacityRequest]>('capacity');
export const capacityStateQuery = defineQuery<AsgCapacityState>('capacityState');
