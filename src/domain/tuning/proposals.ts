import type { z } from 'zod';
import { lazySchema, zod } from '../lazy-zod';
import type { NodegroupConfig } from '../../config/clusters';
import type { NodegroupSize } from '../size';
import { isBusinessDay, BUSINESS_END_MINUTE, type BusinessCalendar } from '../timetable/phase';
import { istParts, istToUtcMs } from '../timetable/ist';

/**
 * The 14:00 performance tuning, as pure decisions: from a node group's last 7 days of CPU and
 * memory utilisation (percent, one point per period) and the forecast peak of its CPU (the upper
 * bound of the 80% interval, as the scale-up sizes for), one right-sizing proposal or a reason
 * why none: a business-hours size change (desired mode) or the next smaller/larger instance type
 * of the same family, with the evidence and the estimated monthly cost change. Nothing here is
 * applied: each proposal becomes a pending change an operator approves or rejects.
 */

export interface TuningSettings {
  /** Utilisation (%) a proposal sizes for. */
  targetPct: number;
  /** Above this (p95 or forecast peak), the group is under-provisioned. */
  highPct: number;
  /** Below this, the group is over-provisioned. */
  lowPct: number;
  /** Fewer points than this in the window: no proposal ("not enough data"). */
  minPoints: number;
}

export const DEFAULT_TUNING_SETTINGS: TuningSettings = { targetPct: 60, highPct: 80, lowPct: 30, minPoints: 24 };

export interface InstanceSpec {
  vcpu: number;
  memoryGiB: number;
  /** On-Demand USD per hour in the group's region; absent when unknown. */
  usdPerHour?: number;
}

export interface UtilisationStats {
  p50: number;
  p95: number;
  points: number;
}

export interface TuningEvidence {
  cpu: UtilisationStats;
  memory?: UtilisationStats;
  /** Forecast CPU peak (upper bound of the 80% interval) over the next day, when a forecast ran. */
  forecastPeakCpu?: number;
  /** The binding utilisation the decision used: max(CPU p95, forecast peak, memory p95). */
  demandPct: number;
  /** Which resource binds. */
  bindingResource: 'cpu' | 'memory';
}

export type ProposalKind = 'business-size' | 'instance-type';

export interface TuningProposal {
  /** URL-safe, one per node group and IST day: `<date>.<cluster>.<nodegroup>.<hash of the cluster key>`. */
  id: string;
  clusterKey: string;
  cluster: string;
  nodegroup: string;
  kind: ProposalKind;
  direction: 'up' | 'down';
  current: { instanceType: string; businessHours: NodegroupSize };
  proposed: { instanceType: string; businessHours: NodegroupSize };
  evidence: TuningEvidence;
  /** Binding utilisation expected after the change (%). */
  projectedPct: number;
  /** Estimated change of the monthly On-Demand bill (USD, negative = saving); absent when a price is unknown. */
  monthlyCostChangeUsd?: number;
  summary: string;
  createdAtMs: number;
  /** The pending change expires (unapproved) at this instant. */
  expiresAtMs: number;
  /** An approved size change holds (as a controller override) until the end of this business window. */
  holdUntilMs: number;
}

export type ProposalOutcome = { proposal: TuningProposal } | { skipped: string };

/** Nearest-rank percentile of the finite values (p in 0..100); NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[Math.min(rank, v.length) - 1]!;
}

export function stats(values: readonly number[]): UtilisationStats {
  const points = values.filter((x) => Number.isFinite(x)).length;
  return { p50: percentile(values, 50), p95: percentile(values, 95), points };
}

/** The family of an instance type (`m5.large` → `m5`) and its size (`large`). */
export function familyOf(instanceType: string): string {
  return instanceType.split('.')[0]!;
}

/** Types of the same family that the catalogue knows, smallest first (by vCPU, then memory). */
export function familyLadder(instanceType: string, catalogue: Record<string, InstanceSpec>): string[] {
  const fam = familyOf(instanceType);
  return Object.keys(catalogue)
    .filter((t) => familyOf(t) === fam && !t.endsWith('.metal'))
    .sort((a, b) => catalogue[a]!.vcpu - catalogue[b]!.vcpu || catalogue[a]!.memoryGiB - catalogue[b]!.memoryGiB);
}

/**
 * The end of the business window a proposal made at `nowMs` is for: 18:00 IST today if today is a
 * business day and it is before 18:00, else 18:00 IST of the next business day (within 14 days).
 */
export function businessWindowEnd(nowMs: number, cal: BusinessCalendar): number {
  const DAY = 86_400_000;
  for (let d = 0; d <= 14; d++) {
    const p = istParts(nowMs + d * DAY);
    if (!isBusinessDay(p.date, p.dayOfWeek, cal)) continue;
    if (d === 0 && p.minuteOfDay >= BUSINESS_END_MINUTE) continue;
    return istToUtcMs(p.date, '18:00');
  }
  return nowMs + DAY;
}

/** `<IST date>.<cluster>.<nodegroup>.<6 hex of the cluster key>`: one pending change per group and day. */
export function proposalId(clusterKey: string, cluster: string, nodegroup: string, nowMs: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < clusterKey.length; i++) {
    h ^= clusterKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${istParts(nowMs).date}.${cluster}.${nodegroup}.${h.toString(16).padStart(8, '0').slice(0, 6)}`;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export interface ProposeInput {
  clusterKey: string;
  cluster: string;
  ng: Pick<NodegroupConfig, 'name' | 'instanceTypes' | 'scalingMode' | 'businessHours' | 'offHours' | 'floor'>;
  /** CPU utilisation (%) over the window, one value per period. */
  cpu: readonly number[];
  /** Memory utilisation (%), when a memory metric exists. */
  memory?: readonly number[];
  forecastPeakCpu?: number;
  catalogue: Record<string, InstanceSpec>;
  /** Hours per month at the business-hours and off-hours sizes (src/domain/cost/schedule-hours.ts). */
  monthlyHours: { business: number; off: number };
  calendar: BusinessCalendar;
  nowMs: number;
  expiryHours: number;
  settings?: TuningSettings;
}

/** One node group's right-sizing proposal, or why there is none. */
export function proposeForGroup(input: ProposeInput): ProposalOutcome {
  const s = input.settings ?? DEFAULT_TUNING_SETTINGS;
  const { ng } = input;
  const cpu = stats(input.cpu);
  if (cpu.points < s.minPoints)
    return { skipped: `${ng.name}: ${cpu.points} CPU datapoints in the window, ${s.minPoints} needed` };
  const mem = input.memory && stats(input.memory).points > 0 ? stats(input.memory) : undefined;
  const cpuDemand = Math.max(cpu.p95, input.forecastPeakCpu ?? -Infinity);
  const memDemand = mem ? mem.p95 : -Infinity;
  const bindingResource = memDemand > cpuDemand ? 'memory' : 'cpu';
  const demandPct = Math.max(cpuDemand, memDemand);
  const evidence: TuningEvidence = {
    cpu,
    ...(mem ? { memory: mem } : {}),
    ...(input.forecastPeakCpu !== undefined ? { forecastPeakCpu: round(input.forecastPeakCpu, 2) } : {}),
    demandPct: round(demandPct, 2),
    bindingResource,
  };
  const type = ng.instanceTypes[0]!;
  const biz = ng.businessHours;
  const spec = input.catalogue[type];
  const under = demandPct < s.lowPct;
  const over = demandPct > s.highPct;
  if (!under && !over)
    return {
      skipped: `${ng.name}: ${bindingResource} ${round(demandPct)}% is within ${s.lowPct}–${s.highPct}%`,
    };

  const base = {
    clusterKey: input.clusterKey,
    cluster: input.cluster,
    nodegroup: ng.name,
    id: proposalId(input.clusterKey, input.cluster, ng.name, input.nowMs),
    current: { instanceType: type, businessHours: { ...biz } },
    evidence,
    createdAtMs: input.nowMs,
    holdUntilMs: businessWindowEnd(input.nowMs, input.calendar),
  };
  const expiresAtMs = Math.min(input.nowMs + input.expiryHours * 3_600_000, base.holdUntilMs);
  const why = `${bindingResource} p95 ${round(bindingResource === 'cpu' ? cpu.p95 : mem!.p95)}%${
    input.forecastPeakCpu !== undefined ? `, forecast CPU peak ${round(input.forecastPeakCpu)}%` : ''
  }`;
  const cost = (delta: number | undefined) =>
    delta === undefined ? {} : { monthlyCostChangeUsd: Math.round(delta * 100) / 100 };
  const costText = (delta: number | undefined) =>
    delta === undefined
      ? 'cost change unknown (no price)'
      : `${delta < 0 ? '−' : '+'}$${Math.abs(Math.round(delta)).toLocaleString('en-US')}/month`;

  // A count change first (desired mode): reversible, and it goes through the controller.
  if (ng.scalingMode === 'desired' && biz.desired > 0) {
    const needed = Math.ceil((biz.desired * demandPct) / s.targetPct - 1e-9);
    const desired = under ? Math.max(needed, ng.floor, 1) : needed;
    const fitsMax = desired <= biz.max;
    if ((under && desired < biz.desired) || (over && desired > biz.desired && fitsMax)) {
      const proposed = { min: Math.min(biz.min, desired), desired, max: biz.max };
      const delta =
        spec?.usdPerHour !== undefined
          ? (desired - biz.desired) * spec.usdPerHour * input.monthlyHours.business
          : undefined;
      const projectedPct = round((demandPct * biz.desired) / desired, 2);
      return {
        proposal: {
          ...base,
          kind: 'business-size',
          direction: under ? 'down' : 'up',
          proposed: { instanceType: type, businessHours: proposed },
          projectedPct,
          ...cost(delta),
          expiresAtMs,
          summary: `${input.cluster}/${ng.name}: business-hours desired ${biz.desired} → ${desired} (${why}; ~${round(projectedPct)}% after), ${costText(delta)}`,
        },
      };
    }
  }

  // Otherwise the neighbouring type of the same family, if it lands at or under the target.
  if (!spec)
    return { skipped: `${ng.name}: ${type} is not in the price table (vCPU/memory unknown), no type change proposed` };
  const ladder = familyLadder(type, input.catalogue);
  const at = ladder.indexOf(type);
  const next = ladder[under ? at - 1 : at + 1];
  if (next === undefined)
    return {
      skipped: `${ng.name}: ${why}, but ${type} is the ${under ? 'smallest' : 'largest'} ${familyOf(type)} type`,
    };
  const nspec = input.catalogue[next]!;
  const cpuAfter = cpuDemand * (spec.vcpu / nspec.vcpu);
  const memAfter = mem ? memDemand * (spec.memoryGiB / nspec.memoryGiB) : -Infinity;
  const projectedPct = round(Math.max(cpuAfter, memAfter), 2);
  if (under && projectedPct > s.targetPct)
    return { skipped: `${ng.name}: ${why}, but ${next} would run at ${round(projectedPct)}% (target ${s.targetPct}%)` };
  const nodeHours = biz.desired * input.monthlyHours.business + ng.offHours.desired * input.monthlyHours.off;
  const delta =
    spec.usdPerHour !== undefined && nspec.usdPerHour !== undefined
      ? (nspec.usdPerHour - spec.usdPerHour) * nodeHours
      : undefined;
  return {
    proposal: {
      ...base,
      kind: 'instance-type',
      direction: under ? 'down' : 'up',
      proposed: { instanceType: next, businessHours: { ...biz } },
      projectedPct,
      ...cost(delta),
      expiresAtMs,
      summary: `${input.cluster}/${ng.name}: instance type ${type} → ${next} (${why}; ~${round(projectedPct)}% after), ${costText(delta)}`,
    },
  };
}

/** Operator decisions on a pending change (update validators, CLI, API). */
const who = () => zod().string().min(1).max(100);
// Built on first use (src/domain/lazy-zod.ts): the pending-change workflow imports this module.
export const approveRequestSchema = lazySchema(() =>
  zod()
    .object({ by: who(), note: zod().string().max(500).optional() })
    .strict(),
);
export type ApproveRequest = z.input<typeof approveRequestSchema>;
export const rejectRequestSchema = lazySchema(() =>
  zod()
    .object({ by: who(), reason: zod().string().min(1, 'a reason is required').max(500) })
    .strict(),
);
export type RejectRequest = z.input<typeof rejectRequestSchema>;

export type ProposalState = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ProposalStatus {
  proposal: TuningProposal;
  state: ProposalState;
  decidedBy?: string;
  decidedAtMs?: number;
  note?: string;
  /** What applying it did (approved): the controller's override, or the config suggestion. */
  result?: string;
}

/** Validates a decision against the current state; throws with a clear message. */
export function validateDecision(
  status: ProposalStatus,
  nowMs: number,
  kind: 'approve' | 'reject',
  req: unknown,
): ApproveRequest | RejectRequest {
  const parsed = (kind === 'approve' ? approveRequestSchema : rejectRequestSchema).safeParse(req);
  if (!parsed.success)
    throw new Error(
      `invalid ${kind}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`,
    );
  if (status.state !== 'pending')
    throw new Error(
      `proposal ${status.proposal.id} is already ${status.state}${status.decidedBy ? ` by ${status.decidedBy}` : ''}`,
    );
  if (nowMs >= status.proposal.expiresAtMs) throw new Error(`proposal ${status.proposal.id} has expired`);
  return parsed.data;
}
