import type { NodegroupConfig } from '../../config/clusters';
import type { NodegroupSize } from '../size';

/** What running workloads request of a node group, when a Kubernetes API says so. */
export type WorkloadRequests =
  { known: true; requiredNodes: number; detail: string } | { known: false; reason: string };

export interface SafetyCheck {
  name: 'min' | 'floor' | 'workload-requests';
  status: 'passed' | 'blocked' | 'skipped';
  detail: string;
}

export interface StepVerdict {
  allowed: boolean;
  checks: SafetyCheck[];
  /** When blocked: why, and what an operator can do about it. */
  reason?: string;
  recommendation?: string;
}

/**
 * Safety checks before one scale-down step: never below the configured minimum or floor, never
 * below the capacity running workloads request (when known — otherwise the check is reported as
 * skipped, with the reason). In bounds mode the checked capacity is `max` (the autoscaler cannot
 * go above it), in desired mode it is `desired`.
 */
export function checkScaleDownStep(
  ng: NodegroupConfig,
  proposed: NodegroupSize,
  workload: WorkloadRequests,
  minimum = ng.offHours.min,
): StepVerdict {
  const capacity = ng.scalingMode === 'bounds' ? proposed.max : proposed.desired;
  const what = ng.scalingMode === 'bounds' ? 'max' : 'desired';
  const checks: SafetyCheck[] = [];
  const blocked: { reason: string; recommendation: string }[] = [];

  if (capacity < minimum) {
    checks.push({ name: 'min', status: 'blocked', detail: `${what} ${capacity} < min ${minimum}` });
    blocked.push({
      reason: `${what} ${capacity} would be below the minimum ${minimum}`,
      recommendation: `fix the off-hours size of ${ng.name} so that min <= ${what}`,
    });
  } else checks.push({ name: 'min', status: 'passed', detail: `${what} ${capacity} >= min ${minimum}` });

  if (capacity < ng.floor) {
    checks.push({ name: 'floor', status: 'blocked', detail: `${what} ${capacity} < floor ${ng.floor}` });
    blocked.push({
      reason: `${what} ${capacity} would be below the floor ${ng.floor}`,
      recommendation: `keep ${ng.name} at ${ng.floor} or more nodes, or lower its floor`,
    });
  } else checks.push({ name: 'floor', status: 'passed', detail: `${what} ${capacity} >= floor ${ng.floor}` });

  if (!workload.known) {
    checks.push({ name: 'workload-requests', status: 'skipped', detail: workload.reason });
  } else if (capacity < workload.requiredNodes) {
    checks.push({
      name: 'workload-requests',
      status: 'blocked',
      detail: `${what} ${capacity} < ${workload.requiredNodes} nodes requested (${workload.detail})`,
    });
    blocked.push({
      reason: `running workloads request ${workload.requiredNodes} nodes (${workload.detail}) but the step leaves ${capacity}`,
      recommendation: `scale the workloads down first, or keep ${ng.name} at ${workload.requiredNodes} nodes tonight (eksflow scaling override --nodegroup ${ng.name} --desired ${workload.requiredNodes} …)`,
    });
  } else {
    checks.push({
      name: 'workload-requests',
      status: 'passed',
      detail: `${what} ${capacity} >= ${workload.requiredNodes} nodes requested (${workload.detail})`,
    });
  }

  if (blocked.length === 0) return { allowed: true, checks };
  return {
    allowed: false,
    checks,
    reason: blocked.map((b) => b.reason).join('; '),
    recommendation: blocked.map((b) => b.recommendation).join('; '),
  };
}

/**
 * Nodes needed for the requests of the pods on a node group: the larger of CPU and memory
 * requests divided by the average allocatable of its nodes, rounded up.
 */
export function requiredNodes(
  req: { cpuMillis: number; memoryBytes: number },
  perNode: { cpuMillis: number; memoryBytes: number },
): number {
  if (perNode.cpuMillis <= 0 || perNode.memoryBytes <= 0) return 0;
  return Math.max(
    Math.ceil(req.cpuMillis / perNode.cpuMillis - 1e-9),
    Math.ceil(req.memoryBytes / perNode.memoryBytes - 1e-9),
    0,
  );
}
