import type { PricingClient } from '@aws-sdk/client-pricing';
import { onDemandPriceList } from '../../activities/gateways/pricing';
import {
  quoteFromPriceList,
  quoteFromTable,
  type OnDemandQuote,
  type PriceSourceStatus,
} from '../domain/pricing/on-demand-prices';
import type { PriceTable } from '../domain/pricing/on-demand-table';
import { errorSummary } from '../errors';

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
  /** Lookups in flight: concurrent askers of one key share one GetProducts (the 08:00 run asks 200 at once). */
  private readonly inFlight = new Map<string, Promise<OnDemandQuote>>();
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
    if (this.runStatus.apiReachable === false) return quoteFromTable(this.opts.table, region, instanceType);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const lookup = this.lookup(key, region, instanceType).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, lookup);
    return lookup;
  }

  private async lookup(key: string, region: string, instanceType: string): Promise<OnDemandQuote> {
    try {
      const quote = quoteFromPriceList(
        await onDemandPriceList(this.opts.pricingClient(), region, instanceType),
        region,
        instanceType,
      );
      this.runStatus.apiReachable = true;
      this.cache.set(key, quote);
      return quote;
    } catch (err) {
      this.runStatus = {
        apiReachable: false,
        fallbackReason: errorSummary(err),
        fallbackSourceDate: this.opts.table.oldestSourceDate(),
      };
      return quoteFromTable(this.opts.table, region, instanceType);
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

  private day(): string {
    return this.opts.now().toISOString().slice(0, 10);
  }
}
