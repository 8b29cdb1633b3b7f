import type { AwsTarget, ClusterConfig, NodegroupConfig } from '../../config/clusters';
import type { NodegroupSize } from '../size';

/**
 * A configured cluster as workflows see it: plain JSON (from the validated config), with the
 * key that names its controller workflow (`cluster/<key>`).
 */
export interface ClusterSpec {
  /** `<account>/<region>/<name>`. */
  key: string;
  name: string;
  target: AwsTarget;
  /** Whether a Kubernetes API is configured (workload requests can then be checked). */
  kubernetes: boolean;
  nodegroups: NodegroupConfig[];
}

/** How a workflow addresses one node group (EKS managed or a self-managed ASG). */
export interface GroupRef {
  target: AwsTarget;
  cluster: string;
  nodegroup: string;
  kind: 'eks-managed' | 'self-managed';
  asgName?: string;
}

/** Settings of the scaling workflows, from the timetable config (overridable per run, e.g. in tests). */
export interface ScalingSettings {
  verifyTimeoutMs: number;
  pollIntervalMs: number;
  scaleDownSteps: number;
  scaleDownWindowMs: number;
}

/** An operator's pause: scheduled runs for the cluster are skipped until resumed or `untilMs`. */
export interface PauseState {
  reason: string;
  by: string;
  atMs: number;
  untilMs?: number;
}

/** An operator's override of a node group's size; wins over the timetable until `untilMs`. */
export interface OverrideState {
  nodegroup: string;
  min?: number;
  desired?: number;
  max?: number;
  untilMs: number;
  reason: string;
  by: string;
  atMs: number;
}

export interface ActionRecord {
  atMs: number;
  action: string;
  summary: string;
  workflowId?: string;
}

/** The control state a cluster controller holds. Plain JSON (it crosses continue-as-new). */
export interface ControlState {
  paused?: PauseState;
  overrides: Record<string, OverrideState>;
  /** Newest last, bounded. */
  lastActions: ActionRecord[];
}

/** Current size and health of a node group as read from AWS. */
export interface GroupReading {
  status: string;
  size: NodegroupSize;
  inService: number;
}

export function clusterKeyOf(c: { accountId: string; region: string; name: string }): string {
  return `${c.accountId}/${c.region}/${c.name}`;
}

export function controllerWorkflowId(clusterKey: string): string {
  return `cluster/${clusterKey}`;
}

/** The most groups one `readGroups` activity reads (its input schema's limit; a larger cluster reads per group). */
export const MAX_GROUPS_PER_READ = 100;

export function groupRefOf(cluster: ClusterSpec, ng: NodegroupConfig): GroupRef {
  return { target: cluster.target, cluster: cluster.name, nodegroup: ng.name, kind: ng.kind, asgName: ng.asgName };
}

/** The plain-JSON view of a configured cluster that workflows and the controller work with. */
export function clusterSpecOf(c: ClusterConfig): ClusterSpec {
  return {
    key: clusterKeyOf(c),
    name: c.name,
    target: { accountId: c.accountId, region: c.region, ...(c.roleArn ? { roleArn: c.roleArn } : {}) },
    kubernetes: Boolean(c.kubernetes),
    nodegroups: c.nodegroups,
  };
}
