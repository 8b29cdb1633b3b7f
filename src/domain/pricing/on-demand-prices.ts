import { pickOnDemandPrice } from './price-list';
import type { PriceTable } from './on-demand-table';

/**
 * Where an On-Demand price came from, so the report can say so:
 * `pricing-api` — the live AWS Pricing API (or the sandbox's local GetProducts server);
 * `fallback-table` — the table shipped with eksflow, because the API could not be reached;
 * `none` — nobody knows a price (unknown instance type, or a region without prices).
 */
export type PriceSource = 'pricing-api' | 'fallback-table' | 'none';

export interface OnDemandQuote {
  region: string;
  instanceType: string;
  usdPerHour?: number;
  source: PriceSource;
  /** For the fallback table: the day its price was generated from the Pricing API. */
  sourceDate?: string;
  /** Why there is no price, in words an operator can act on. */
  note?: string;
}

export interface PriceSourceStatus {
  /** Undefined until the API was asked; false after it failed in this run. */
  apiReachable?: boolean;
  /** The error that made eksflow fall back to the shipped table. */
  fallbackReason?: string;
  fallbackSourceDate?: string;
}

/** The quote a Pricing API answer (its PriceList) gives for one type in one region. */
export function quoteFromPriceList(priceList: unknown[], region: string, instanceType: string): OnDemandQuote {
  const price = pickOnDemandPrice(priceList, instanceType, region);
  if (!price) {
    return {
      region,
      instanceType,
      source: 'none',
      note: `the Pricing API has no On-Demand Linux price for ${instanceType} in ${region} (unknown instance type, or not offered there)`,
    };
  }
  return { region, instanceType, usdPerHour: price.usdPerHour, source: 'pricing-api' };
}

/** The quote of the shipped table, when the Pricing API cannot be asked; says why when it has none. */
export function quoteFromTable(table: PriceTable, region: string, instanceType: string): OnDemandQuote {
  const row = table.price(region, instanceType);
  if (row)
    return { region, instanceType, usdPerHour: row.usdPerHour, source: 'fallback-table', sourceDate: row.sourceDate };
  const known = table.regions();
  const why = known.includes(region)
    ? `${instanceType} is not in the shipped price table`
    : `the shipped price table has no prices for ${region} (it covers ${known.join(', ')})`;
  return {
    region,
    instanceType,
    source: 'none',
    note: `no On-Demand price for ${instanceType} in ${region}: the Pricing API is unreachable and ${why}`,
  };
}
