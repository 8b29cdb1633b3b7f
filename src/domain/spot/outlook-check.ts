import type { SpotOpportunity } from './opportunities';
import type { PlacementResult } from './placement';

/**
 * The pre-scale-up look at a spot group's pools (the seed's "ask the price predictor"): a pool
 * whose predicted price 24 h ahead exceeds `ceiling` × its On-Demand price is expensive enough
 * that the group should spread over other pools; the placement planner says where.
 */
export interface ExpensivePool {
  instanceType: string;
  availabilityZone: string;
  forecastPrice: number;
  forecastLower: number;
  forecastUpper: number;
  onDemandPrice: number;
  /** forecastPrice ÷ onDemandPrice */
  fraction: number;
}

export function expensivePools(
  opportunities: readonly SpotOpportunity[],
  instanceTypes: readonly string[],
  ceiling: number,
): ExpensivePool[] {
  const types = new Set(instanceTypes);
  return opportunities
    .filter((o) => types.has(o.instanceType) && o.onDemandPrice > 0 && o.forecastPrice > ceiling * o.onDemandPrice)
    .map((o) => ({
      instanceType: o.instanceType,
      availabilityZone: o.availabilityZone,
      forecastPrice: o.forecastPrice,
      forecastLower: o.forecastLower,
      forecastUpper: o.forecastUpper,
      onDemandPrice: o.onDemandPrice,
      fraction: o.forecastPrice / o.onDemandPrice,
    }))
    .sort((a, b) => b.fraction - a.fraction);
}

const usd = (x: number) => `$${x.toFixed(4)}`;

/** One line for the plan's reasons: which pools are expensive, and the recommended diversification. */
export function spotOutlookNote(
  expensive: readonly ExpensivePool[],
  ceiling: number,
  placement: PlacementResult | null,
): string | null {
  if (expensive.length === 0) return null;
  const pools = expensive
    .map(
      (p) =>
        `${p.instanceType}/${p.availabilityZone} predicted ${usd(p.forecastPrice)}/h in 24 h (90% interval ${usd(p.forecastLower)}–${usd(p.forecastUpper)}) = ${Math.round(100 * p.fraction)}% of On-Demand ${usd(p.onDemandPrice)}`,
    )
    .join(', ');
  const head = `spot price outlook: ${pools} > ${Math.round(100 * ceiling)}% ceiling`;
  if (placement === null) return `${head}; no placement could be planned (no other priced pools)`;
  if (placement.allocations.length === 0) return `${head}; no other pool fits the group's shape and risk limit`;
  const spread = placement.allocations.map((a) => `${a.count}× ${a.instanceType}/${a.availabilityZone}`).join(', ');
  return (
    `${head}; recommended diversification for ${placement.request.count} nodes: ${spread}` +
    ` (expected $${placement.expectedHourlyCost.toFixed(3)}/h, ${placement.savingsPercent.toFixed(0)}% below On-Demand${placement.feasible ? '' : `; only ${placement.placed} placeable`})`
  );
}
