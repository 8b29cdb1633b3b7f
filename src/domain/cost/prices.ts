import type { OnDemandQuote } from '../pricing/on-demand-prices';

/** A spot price for a type in a region: the mean current price over its AZs, or an estimate. */
export interface SpotPrice {
  usdPerHour: number;
  /** `spot-history`: from DescribeSpotPriceHistory; `advisor-estimate`: On-Demand × (1 − Spot Advisor savings). */
  source: 'spot-history' | 'advisor-estimate';
  /** AZ pools the mean is taken over (0 for an estimate). */
  pools: number;
}

/** Every price the cost model may need, keyed `region/instanceType`. Plain JSON. */
export interface FleetPriceBook {
  onDemand: Record<string, OnDemandQuote>;
  spot: Record<string, SpotPrice>;
}

export function priceKey(region: string, instanceType: string): string {
  return `${region}/${instanceType}`;
}

export function onDemandUsd(book: FleetPriceBook, region: string, instanceType: string): number | undefined {
  return book.onDemand[priceKey(region, instanceType)]?.usdPerHour;
}
