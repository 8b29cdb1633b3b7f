import type { InterruptionTrigger } from './types';

/** EC2 gives a spot instance two minutes between the warning and the interruption. */
export const SPOT_NOTICE_MS = 120_000;

export function interruptionDeadlineMs(eventTimeIso: string): number {
  const t = Date.parse(eventTimeIso);
  if (Number.isNaN(t)) throw new Error(`event time is not a date: ${eventTimeIso}`);
  return t + SPOT_NOTICE_MS;
}

export function secondsLeft(deadlineMs: number | undefined, nowMs: number): number | undefined {
  return deadlineMs === undefined ? undefined : Math.max(0, Math.round((deadlineMs - nowMs) / 1000));
}

/** The node group facts the decision needs (a slice of NodegroupConfig, plus whether an ASG backs the instance). */
export interface GroupFacts {
  kind: 'eks-managed' | 'self-managed';
  capacityType: 'ON_DEMAND' | 'SPOT';
  strategy: 'raise-capacity' | 'ec2-fleet';
  onRebalance: 'act' | 'notify';
  /** The instance is in an Auto Scaling group (false: standalone capacity, e.g. an earlier fleet launch). */
  inAsg: boolean;
}

export type ResponsePlan =
  /** Alert only: the instance is not eksflow's, or the group's policy says notify. */
  | { mode: 'notify-only'; reason: string }
  /**
   * EKS managed spot group: EKS capacity rebalancing replaces and drains by itself. eksflow
   * alerts at once, watches for the replacement, and acts only if none is InService by the deadline.
   */
  | { mode: 'watch-eks'; hardDeadline: boolean }
  /** eksflow launches the replacement itself. */
  | { mode: 'replace'; strategy: 'raise-capacity' | 'ec2-fleet'; hardDeadline: boolean };

/** Decides how to respond to a trigger for an instance of `group` (undefined: no configured group). */
export function planResponse(trigger: Pick<InterruptionTrigger, 'kind'>, group: GroupFacts | undefined): ResponsePlan {
  if (!group) return { mode: 'notify-only', reason: 'the instance belongs to no configured cluster and node group' };
  const warning = trigger.kind === 'spot-interruption-warning';
  const eksRebalances = group.kind === 'eks-managed' && group.capacityType === 'SPOT' && group.inAsg;
  if (!warning) {
    if (eksRebalances)
      return {
        mode: 'notify-only',
        reason: 'EKS capacity rebalancing handles rebalance recommendations of managed spot groups',
      };
    if (group.onRebalance === 'notify')
      return { mode: 'notify-only', reason: `node group policy onRebalance=notify (${trigger.kind})` };
  }
  if (eksRebalances) return { mode: 'watch-eks', hardDeadline: warning };
  // Standalone capacity has no group size to raise: it can only be replaced by a fleet launch.
  const strategy = group.inAsg ? group.strategy : 'ec2-fleet';
  return { mode: 'replace', strategy, hardDeadline: warning };
}

/**
 * The time an interruption counts from: the earlier of the event's stamp and its receipt. A
 * stamp in the future (clock skew, a bad sender) would put the deadline after the instance is
 * gone and make the fallback never fire; receipt bounds it, so a deadline is never later than
 * receipt + 120 s. An old stamp is kept: its deadline is already past, and the run checks the
 * instance's state before acting on it (`isStale`).
 */
export function clampEventTime(eventTimeIso: string, receivedAtMs: number): number {
  const t = Date.parse(eventTimeIso);
  if (Number.isNaN(t)) return receivedAtMs;
  return Math.min(t, receivedAtMs);
}

/** A warning whose 120 s had run out when it arrived: the instance may be long gone. */
export function isStale(eventTimeMs: number, receivedAtMs: number): boolean {
  return receivedAtMs - eventTimeMs > SPOT_NOTICE_MS;
}
