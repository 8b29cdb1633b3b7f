import type { NodegroupConfig } from '../../config/clusters';
import type { Phase } from '../timetable/phase';
import { diffSize, type NodegroupSize, type PartialSize } from '../size';
import type { OverrideState } from './types';

/** The original design's forecast rule: more than 30% predicted load increase → +20% desired. */
export const FORECAST_THRESHOLD = 0.3;
export const FORECAST_UPLIFT = 0.2;
/** Spot groups get one extra node on a forecast uplift: an interruption should not eat the headroom. */
export const SPOT_BUFFER = 1;

/** What the forecast said for a node group, or why there is none. */
export type ForecastOutcome =
  | {
      kind: 'forecast';
      predictedLoadIncrease: number;
      /** What predictedLoadIncrease was measured on: the point forecast, or the upper bound of its 80% interval. */
      basis?: 'point' | 'upper-80';
      /** The point forecast's increase, when the decision used the interval's upper bound. */
      pointIncrease?: number;
      /** Peak of the point forecast and of its upper quantile over the horizon. */
      peak?: number;
      peakUpper?: number;
    }
  | { kind: 'unavailable'; reason: string };

export interface GroupPlan {
  nodegroup: string;
  kind: NodegroupConfig['kind'];
  mode: NodegroupConfig['scalingMode'];
  capacityType: NodegroupConfig['capacityType'];
  phase: Phase;
  current: NodegroupSize;
  /** The size the group should have (in bounds mode `desired` is the autoscaler's, moved only to stay in bounds). */
  target: NodegroupSize;
  /** What to send: the fields that differ. Undefined = already at target, no call. */
  change?: PartialSize;
  source: 'timetable' | 'override';
  /** Why the target is what it is, in order, for the operator. */
  reasons: string[];
  forecast: string;
}

export interface PlanGroupInput {
  ng: NodegroupConfig;
  phase: Phase;
  current: NodegroupSize;
  forecast?: ForecastOutcome;
  override?: OverrideState;
}

const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);
const fmt = (s: NodegroupSize) => `${s.min}/${s.desired}/${s.max}`;

/** The timetable size for a phase, with an operator's override laid over it. */
export function baseTarget(
  ng: NodegroupConfig,
  phase: Phase,
  override?: OverrideState,
): { size: NodegroupSize; reasons: string[] } {
  const timetable = phase === 'business' ? ng.businessHours : ng.offHours;
  if (!override)
    return {
      size: { ...timetable },
      reasons: [`${phase === 'business' ? 'business-hours' : 'off-hours'} size ${fmt(timetable)} (min/desired/max)`],
    };
  const size = {
    min: override.min ?? timetable.min,
    desired: override.desired ?? timetable.desired,
    max: override.max ?? timetable.max,
  };
  const reasons = [`override by ${override.by} until ${new Date(override.untilMs).toISOString()}: ${override.reason}`];
  // The operator asked for this desired size: widen the bounds rather than silently ignore it.
  if (size.desired > size.max) {
    size.max = size.desired;
    reasons.push(`max raised to ${size.max} to fit the override`);
  }
  if (size.desired < size.min) {
    size.min = size.desired;
    reasons.push(`min lowered to ${size.min} to fit the override`);
  }
  return { size, reasons };
}

/** Forecast adjustment (business hours, timetable source only): returns the new desired and a note. */
export function forecastAdjust(
  desired: number,
  capacityType: NodegroupConfig['capacityType'],
  forecast?: ForecastOutcome,
): { desired: number; note: string } {
  if (!forecast) return { desired, note: 'forecast not configured (no demandMetric)' };
  if (forecast.kind === 'unavailable') return { desired, note: `forecast unavailable: ${forecast.reason}` };
  const pct = Math.round(forecast.predictedLoadIncrease * 100);
  const what =
    forecast.basis === 'upper-80'
      ? `forecast (upper bound of the 80% interval${forecast.pointIncrease !== undefined ? `; point ${signed(Math.round(forecast.pointIncrease * 100))}%` : ''})`
      : 'forecast';
  if (forecast.predictedLoadIncrease <= FORECAST_THRESHOLD)
    return { desired, note: `${what} ${signed(pct)}% (≤ ${FORECAST_THRESHOLD * 100}%): no adjustment` };
  let adjusted = Math.ceil(desired * (1 + FORECAST_UPLIFT));
  let note = `${what} +${pct}% > ${FORECAST_THRESHOLD * 100}%: desired ${desired} → ${adjusted} (+${FORECAST_UPLIFT * 100}%)`;
  if (capacityType === 'SPOT') {
    adjusted += SPOT_BUFFER;
    note += `, +${SPOT_BUFFER} spot buffer → ${adjusted}`;
  }
  return { desired: adjusted, note };
}

/**
 * The plan for one node group: timetable (or override) size, forecast uplift in business hours,
 * floor, clamp to [min, max]; in bounds mode only min/max are owned (desired moves only when it
 * would fall outside them, as EKS requires). `change` is undefined when nothing differs.
 */
export function planGroup(input: PlanGroupInput): GroupPlan {
  const { ng, phase, current, override } = input;
  const { size: target, reasons } = baseTarget(ng, phase, override);
  let forecast = phase === 'business' ? 'forecast not configured (no demandMetric)' : 'forecast not used off hours';
  if (phase === 'business' && !override) {
    const adj = forecastAdjust(target.desired, ng.capacityType, input.forecast);
    forecast = adj.note;
    if (adj.desired !== target.desired) {
      target.desired = adj.desired;
      reasons.push(adj.note);
    }
  } else if (override) {
    forecast = 'override wins over the forecast';
  }
  if (ng.scalingMode === 'bounds') {
    if (target.min < ng.floor) {
      reasons.push(`min raised to the floor ${ng.floor}`);
      target.min = Math.min(ng.floor, target.max);
    }
    const desired = clamp(current.desired, target.min, target.max);
    if (desired !== current.desired)
      reasons.push(`desired ${current.desired} moved to ${desired} to stay within the new bounds`);
    else reasons.push('bounds mode: desired belongs to the cluster autoscaler');
    target.desired = desired;
  } else {
    if (target.desired < ng.floor) {
      reasons.push(`desired raised to the floor ${ng.floor}`);
      target.desired = ng.floor;
    }
    const clamped = clamp(target.desired, target.min, target.max);
    if (clamped !== target.desired) {
      reasons.push(`desired ${target.desired} clamped to [${target.min}, ${target.max}]`);
      target.desired = clamped;
    }
  }
  const { changes } = diffSize(current, target);
  if (!changes) reasons.push('already at target: no call');
  return {
    nodegroup: ng.name,
    kind: ng.kind,
    mode: ng.scalingMode,
    capacityType: ng.capacityType,
    phase,
    current,
    target,
    change: changes,
    source: override ? 'override' : 'timetable',
    reasons,
    forecast,
  };
}

/**
 * What to send for a planned change: the whole target, except in bounds mode, where min/max go
 * out and desired only when it must move into the new bounds (the autoscaler owns it otherwise).
 */
export function sizeToApply(plan: Pick<GroupPlan, 'mode' | 'target' | 'change'>): PartialSize {
  if (plan.mode !== 'bounds') return plan.target;
  return {
    min: plan.target.min,
    max: plan.target.max,
    ...(plan.change?.desired !== undefined ? { desired: plan.target.desired } : {}),
  };
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** The active override of a node group at `nowMs` (expired ones do not count). */
export function activeOverride(
  overrides: Record<string, OverrideState>,
  nodegroup: string,
  nowMs: number,
): OverrideState | undefined {
  const o = overrides[nodegroup];
  return o && o.untilMs > nowMs ? o : undefined;
}

/**
 * Estimated cost change per hour of a plan (USD), when the node price is known: the change in
 * desired nodes × the price of the group's first instance type.
 */
export function costImpactPerHour(
  before: NodegroupSize,
  after: NodegroupSize,
  usdPerNodeHour?: number,
): number | undefined {
  if (usdPerNodeHour === undefined) return undefined;
  return Math.round((after.desired - before.desired) * usdPerNodeHour * 10_000) / 10_000;
}
