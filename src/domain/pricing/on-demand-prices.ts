import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing';
import { onDemandFilters, pickOnDemandPrice } from './price-list';
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

export interface OnDemandPricesOptions {
  /** Built lazily so a run that needs no prices never creates a Pricing client. */
  pricingClient: () => PricingClient;
  table: PriceTable;
  /** Wall clock, for the per-day cache key. */
  now: () => Date;
  /** Lookups in flight at once; the Pricing API throttles bursts. */
  concurrency?: number;
}

/**
 * On-Demand prices from the AWS Pricing API, cached per UTC day (prices change a few times a year,
 * and a worker asks for the same few types every morning). When the API fails — unreachable,
 * throttled past the SDK's retries, access denied — the rest of the run uses the shipped table and
 * the status says why, so the report can tell its reader. Fallback answers are not cached: the next
 * run asks the API again.
 */
export class OnDemandPrices {
  private readonly cache = new Map<string, OnDemandQuote>();
  private runStatus: PriceSourceStatus = {};

  constructor(private readonly opts: OnDemandPricesOptions) {}

  /** Starts a new run: forgets a previous API failure (the cache of good answers stays). */
  beginRun(): void {
    this.runStatus = {};
  }

  status(): PriceSourceStatus {
    return { ...this.runStatus };
  }

  async quote(region: string, instanceType: string): Promise<OnDemandQuote> {
    const key = `${this.day()}/${region}/${instanceType}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    if (this.runStatus.apiReachable === false) return this.fromTable(region, instanceType);
    try {
      const quote = await this.fromApi(region, instanceType);
      this.runStatus.apiReachable = true;
      this.cache.set(key, quote);
      return quote;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      this.runStatus = {
        apiReachable: false,
        fallbackReason: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`,
        fallbackSourceDate: this.opts.table.oldestSourceDate(),
      };
      return this.fromTable(region, instanceType);
    }
  }

  /** Quotes for many (region, type) pairs, a few at a time; keyed `region/type`. */
  async quoteAll(pairs: { region: string; instanceType: string }[]): Promise<Record<string, OnDemandQuote>> {
    const unique = [...new Map(pairs.map((p) => [`${p.region}/${p.instanceType}`, p])).values()];
    const out: Record<string, OnDemandQuote> = {};
    let next = 0;
    const worker = async () => {
      while (next < unique.length) {
        const p = unique[next++];
        out[`${p.region}/${p.instanceType}`] = await this.quote(p.region, p.instanceType);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 4, unique.length) }, worker));
    return out;
  }

  private async fromApi(region: string, instanceType: string): Promise<OnDemandQuote> {
    const client = this.opts.pricingClient();
    const priceList: unknown[] = [];
    let nextToken: string | undefined;
    // A filtered query returns one or two products; the loop only guards against a paged answer.
    for (let page = 0; page < 5; page++) {
      const out = await client.send(
        new GetProductsCommand({
          ServiceCode: 'AmazonEC2',
          Filters: onDemandFilters(region, instanceType),
          FormatVersion: 'aws_v1',
          MaxResults: 100,
          NextToken: nextToken,
        }),
      );
      priceList.push(...((out.PriceList as unknown[] | undefined) ?? []));
      nextToken = out.NextToken;
      if (!nextToken) break;
    }
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

  private fromTable(region: string, instanceType: string): OnDemandQuote {
    const row = this.opts.table.price(region, instanceType);
    if (row) return { region, instanceType, usdPerHour: row.usdPerHour, source: 'fallback-table', sourceDate: row.sourceDate };
    const known = this.opts.table.regions();
    const why = known.includes(region)
      ? `${instanceType} is not in the shipped price table`
      : `the shipped price table has no prices for ${region} (it covers ${known.join(', ')})`;
    return { region, instanceType, source: 'none', note: `no On-Demand price for ${instanceType} in ${region}: the Pricing API is unreachable and ${why}` };
  }

  private day(): string {
    return this.opts.now().toISOString().slice(0, 10);
  }
}
