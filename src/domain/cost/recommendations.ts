import type { ClusterConfig, NodegroupConfig } from '../../config/clusters';
import { gravitonEquivalents } from '../pricing/graviton';
import { planPlacement, type PlacementPool, type PlacementResult } from '../spot/placement';
import type { FleetCost, NodegroupCost } from './cost-model';
import { onDemandUsd, type FleetPriceBook } from './prices';
import type { ScheduleHours } from './schedule-hours';

export type RecommendationKind = 'spot-diversify' | 'spot-more-pools' | 'offhours-size' | 'offhours-min' | 'graviton';
export type RecommendationRisk = 'low' | 'medium' | 'high';

/** One change worth making, with what it would save and what could go wrong. Plain JSON. */
export interface Recommendation {
  kind: RecommendationKind;
  cluster: string;
  region: string;
  nodegroup: string;
  title: string;
  detail: string;
  estimatedMonthlySavings: number;
  /** True when the figure is an upper bound (it depends on what an autoscaler would do). */
  upperBound: boolean;
  risk: RecommendationRisk;
}

export interface RecommendationContext {
  clusters: ClusterConfig[];
  cost: FleetCost;
  book: FleetPriceBook;
  /** Spot pools per region for placement (scored opportunities turned into pools). */
  poolsByRegion: Record<string, PlacementPool[]>;
  /** vCPU and memory of an instance type. */
  spec: (instanceType: string) => { vcpu: number; memoryGiB: number } | undefined;
  /** Pool share cap used for spot placement. Default 0.4. */
  maxPoolShare?: number;
}

export interface RecommendationSet {
  recommendations: Recommendation[];
  totalEstimatedMonthlySavings: number;
  /** Things that could not be estimated, e.g. Graviton types without a price. */
  notes: string[];
}

type GroupPair = { cluster: ClusterConfig; ng: NodegroupConfig; cost: NodegroupCost };

function pairs(ctx: RecommendationContext): GroupPair[] {
  const out: GroupPair[] = [];
  for (const cluster of ctx.clusters) {
    const cc = ctx.cost.clusters.find(
      (c) => c.cluster === cluster.name && c.accountId === cluster.accountId && c.region === cluster.region,
    );
    for (const ng of cluster.nodegroups) {
      const cost = cc?.nodegroups.find((n) => n.nodegroup === ng.name);
      if (cost?.priced) out.push({ cluster, ng, cost });
    }
  }
  return out;
}

function base(p: GroupPair) {
  return { cluster: p.cluster.name, region: p.cluster.region, nodegroup: p.ng.name };
}

function describePlacement(plan: PlacementResult): string {
  return plan.allocations.map((a) => `${a.count}× ${a.instanceType} in ${a.availabilityZone}`).join(', ');
}

function placementRisk(plan: PlacementResult): RecommendationRisk {
  return plan.allocations.some((a) => a.risk === 'high' || a.risk === 'unknown') ? 'high' : 'medium';
}

/** Stateless On-Demand groups → diversified spot pools of the same shape. */
function spotForStateless(p: GroupPair, ctx: RecommendationContext): Recommendation | undefined {
  if (p.ng.capacityType !== 'ON_DEMAND' || p.ng.workload !== 'stateless' || p.cost.businessNodes === 0)
    return undefined;
  const plan = diversifiedPlacement(p, ctx);
  if (!plan) return undefined;
  const perNode = plan.expectedHourlyCost / plan.placed;
  const savings = p.cost.monthlyNodeHours * ((p.cost.pricePerNodeHour ?? 0) - perNode);
  if (savings <= 0) return undefined;
  return {
    kind: 'spot-diversify',
    ...base(p),
    title: `Move ${p.ng.name} to diversified spot`,
    detail:
      `Stateless and On-Demand today at ${p.cost.businessNodes} node(s) in business hours. A placement of ${describePlacement(plan)} ` +
      `costs $${perNode.toFixed(4)}/node-hour expected vs $${(p.cost.pricePerNodeHour ?? 0).toFixed(4)} On-Demand, no pool above ${Math.round((ctx.maxPoolShare ?? 0.4) * 100)}%. ` +
      'List all these types in the node group (capacity type SPOT), keep PodDisruptionBudgets, and let eksflow replace interrupted nodes.',
    estimatedMonthlySavings: savings,
    upperBound: false,
    risk: placementRisk(plan),
  };
}

/** Spot groups that rely on one or two instance types: more pools, fewer simultaneous interruptions. */
/** The diversified spot placement (medium risk at most) of a group's business-hours nodes, when one is feasible. */
function diversifiedPlacement(p: GroupPair, ctx: RecommendationContext) {
  const shape = ctx.spec(p.ng.instanceTypes[0]);
  const pools = ctx.poolsByRegion[p.cluster.region] ?? [];
  if (!shape || pools.length === 0) return undefined;
  const plan = planPlacement(
    {
      vcpu: shape.vcpu,
      memoryGiB: shape.memoryGiB,
      count: p.cost.businessNodes,
      maxRisk: 'medium',
      maxPoolShare: ctx.maxPoolShare ?? 0.4,
    },
    pools,
  );
  return plan.feasible ? plan : undefined;
}

function morePoolsForSpot(p: GroupPair, ctx: RecommendationContext): Recommendation | undefined {
  if (p.ng.capacityType !== 'SPOT' || p.ng.instanceTypes.length >= 3 || p.cost.businessNodes === 0) return undefined;
  const plan = diversifiedPlacement(p, ctx);
  if (!plan) return undefined;
  const types = [...new Set(plan.allocations.map((a) => a.instanceType))];
  if (types.every((t) => p.ng.instanceTypes.includes(t))) return undefined;
  const perNode = plan.expectedHourlyCost / plan.placed;
  return {
    kind: 'spot-more-pools',
    ...base(p),
    title: `Diversify ${p.ng.name} over more spot pools`,
    detail:
      `Spot on ${p.ng.instanceTypes.join(', ')} only: one capacity shortage can take most of the group at once. ` +
      `Add ${types.filter((t) => !p.ng.instanceTypes.includes(t)).join(', ')} (placement: ${describePlacement(plan)}).`,
    estimatedMonthlySavings: Math.max(0, p.cost.monthlyNodeHours * ((p.cost.pricePerNodeHour ?? 0) - perNode)),
    upperBound: false,
    risk: 'low',
  };
}

/** Stateless groups the timetable does not shrink at night. */
function offHoursSize(p: GroupPair, hours: ScheduleHours): Recommendation | undefined {
  const { businessNodes, offNodes } = p.cost;
  if (p.ng.workload !== 'stateless' || offNodes < businessNodes || businessNodes <= Math.max(1, p.ng.floor))
    return undefined;
  const target = Math.max(p.ng.floor, 1, Math.ceil(businessNodes / 2));
  if (target >= offNodes) return undefined;
  const savings = (offNodes - target) * hours.monthly.off * (p.cost.pricePerNodeHour ?? 0);
  return {
    kind: 'offhours-size',
    ...base(p),
    title: `Scale ${p.ng.name} down off hours`,
    detail:
      `Runs ${offNodes} node(s) around the clock: the timetable saves nothing here. Set offHours.desired to ${target} ` +
      `(half the business size, not below the floor of ${p.ng.floor}) after checking the off-hours load.`,
    estimatedMonthlySavings: savings,
    upperBound: false,
    risk: 'medium',
  };
}

/** Groups sized by an autoscaler (bounds mode) whose off-hours minimum is held above the floor. */
function offHoursMin(p: GroupPair, hours: ScheduleHours): Recommendation | undefined {
  if (p.ng.scalingMode !== 'bounds' || p.ng.offHours.min <= p.ng.floor) return undefined;
  const spare = p.ng.offHours.min - p.ng.floor;
  return {
    kind: 'offhours-min',
    ...base(p),
    title: `Lower ${p.ng.name}'s off-hours minimum`,
    detail:
      `The autoscaler may not go below offHours.min = ${p.ng.offHours.min}, though the floor is ${p.ng.floor}. ` +
      `Lowering the minimum to ${p.ng.floor} lets it release up to ${spare} idle node(s) at night; the saving is an upper bound.`,
    estimatedMonthlySavings: spare * hours.monthly.off * (p.cost.pricePerNodeHour ?? 0),
    upperBound: true,
    risk: 'low',
  };
}

/** The cheapest priced Graviton twin of the group's first type. */
function graviton(p: GroupPair, ctx: RecommendationContext, notes: string[]): Recommendation | undefined {
  const type = p.ng.instanceTypes[0];
  const candidates = gravitonEquivalents(type);
  if (candidates.length === 0) return undefined;
  const x86 = onDemandUsd(ctx.book, p.cluster.region, type);
  const priced = candidates
    .map((t) => ({ type: t, price: onDemandUsd(ctx.book, p.cluster.region, t) }))
    .filter((c): c is { type: string; price: number } => c.price !== undefined)
    .sort((a, b) => a.price - b.price);
  if (x86 === undefined || priced.length === 0) {
    notes.push(
      `${p.cluster.name}/${p.ng.name}: Graviton equivalent of ${type} (${candidates.join(', ')}) has no price in ${p.cluster.region}; not estimated.`,
    );
    return undefined;
  }
  const best = priced[0];
  const fraction = 1 - best.price / x86;
  if (fraction <= 0) return undefined;
  return {
    kind: 'graviton',
    ...base(p),
    title: `Run ${p.ng.name} on ${best.type} (Graviton)`,
    detail:
      `${best.type} costs $${best.price.toFixed(4)}/h On-Demand vs $${x86.toFixed(4)} for ${type} (${(fraction * 100).toFixed(0)}% less, same vCPU and memory); ` +
      `applied to this group's current cost${p.ng.capacityType === 'SPOT' ? ' (spot discounts assumed similar)' : ''}. Needs arm64 (multi-arch) images for every workload scheduled there.`,
    estimatedMonthlySavings: p.cost.monthly * fraction,
    upperBound: false,
    risk: 'medium',
  };
}

/**
 * Recommendations for the fleet, each with an estimated monthly saving and a risk, largest saving
 * first. They are alternatives per node group, not additive: moving to spot and to Graviton each
 * assume the other was not done.
 */
export function recommend(ctx: RecommendationContext): RecommendationSet {
  const notes: string[] = [];
  const out: Recommendation[] = [];
  for (const p of pairs(ctx)) {
    for (const r of [
      spotForStateless(p, ctx),
      morePoolsForSpot(p, ctx),
      offHoursSize(p, ctx.cost.schedule),
      offHoursMin(p, ctx.cost.schedule),
      graviton(p, ctx, notes),
    ]) {
      if (r) out.push({ ...r, estimatedMonthlySavings: Math.round(r.estimatedMonthlySavings * 100) / 100 });
    }
  }
  out.sort(
    (a, b) =>
      b.estimatedMonthlySavings - a.estimatedMonthlySavings ||
      a.cluster.localeCompare(b.cluster) ||
      a.nodegroup.localeCompare(b.nodegroup),
  );
  // The headline figure counts the best single recommendation per node group: they are alternatives.
  const bestPerGroup = new Map<string, number>();
  for (const r of out) {
    const key = `${r.cluster}/${r.region}/${r.nodegroup}`;
    bestPerGroup.set(key, Math.max(bestPerGroup.get(key) ?? 0, r.estimatedMonthlySavings));
  }
  return {
    recommendations: out,
    totalEstimatedMonthlySavings: Math.round([...bestPerGroup.values()].reduce((s, x) => s + x, 0) * 100) / 100,
    notes,
  };
}
