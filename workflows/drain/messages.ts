import { defineQuery } from '@temporalio/workflow';
import type { DrainRules } from '../../src/config/clusters';

export interface DrainNodeInput {
  /** `<account>/<region>/<cluster>`. */
  clusterKey: string;
  /** The node, by name or by the EC2 instance in its providerID. */
  node?: string;
  instanceId?: string;
  /** Absolute end (epoch ms, workflow clock), e.g. a spot interruption's 120 s; else now + timeout. */
  deadlineMs?: number;
  /** Overrides of the cluster's drain rules (timeoutSeconds, deleteEmptyDirData, force). */
  rules?: Partial<DrainRules>;
  /** Between checks while evicted pods terminate. Default 1 s. */
  pollMs?: number;
  /** Who asked (spot interruption, scale-in): recorded in the result. */
  reason?: string;
}

/** drained: no evictable pod left. timed-out: the deadline came first. blocked: only pods the rules forbid evicting are left. */
export type DrainStatus = 'drained' | 'timed-out' | 'blocked' | 'skipped' | 'node-not-found' | 'failed';

export interface DrainBlock {
  pod: string;
  /** Why it is still there: a PodDisruptionBudget, a rule, or a termination grace period not yet over. */
  kind: 'disruption-budget' | 'rule' | 'terminating' | 'error';
  reason: string;
  budgets?: string[];
}

export interface DrainNodeResult {
  clusterKey: string;
  node?: string;
  status: DrainStatus;
  cordoned: boolean;
  /** Pods whose eviction this drain asked for, `namespace/name`, in order. */
  evicted: string[];
  /** DaemonSet and mirror pods, left on the node. */
  skipped: { pod: string; reason: string }[];
  /** Pods still on the node when the drain ended, and why. Empty when drained. */
  blocked: DrainBlock[];
  /** Eviction passes made (each retries the pods a budget refused). */
  passes: number;
  reason?: string;
  error?: string;
  startedAtMs: number;
  finishedAtMs: number;
}

export interface DrainProgress {
  phase: 'cordoning' | 'evicting' | 'waiting' | 'done';
  node?: string;
  evicted: string[];
  pending: string[];
  deadline: string;
  passes: number;
}

export const drainProgressQuery = defineQuery<DrainProgress>('drainProgress');

/** `drain/<cluster-key>/<node or instance>`: one drain of a node at a time, whoever asks. */
export function drainWorkflowId(clusterKey: string, nodeOrInstance: string): string {
  return `drain/${clusterKey}/${nodeOrInstance}`;
}
