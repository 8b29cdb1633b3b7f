import { z } from 'zod';

/**
 * The Pricing API's GetProducts answer: `PriceList` is an array of JSON documents (strings on the
 * wire), each one product with its attributes and its terms. Only the parts eksflow reads are
 * validated; everything else passes through untouched.
 */
const priceDimensionSchema = z.object({
  unit: z.string().optional(),
  pricePerUnit: z.record(z.string(), z.string()),
});
const termSchema = z.object({
  priceDimensions: z.record(z.string(), priceDimensionSchema),
  effectiveDate: z.string().optional(),
});
export const priceListItemSchema = z.object({
  product: z.object({
    productFamily: z.string().optional(),
    attributes: z.record(z.string(), z.string()),
    sku: z.string().optional(),
  }),
  terms: z.object({ OnDemand: z.record(z.string(), termSchema).optional() }).passthrough(),
  publicationDate: z.string().optional(),
});
export type PriceListItem = z.infer<typeof priceListItemSchema>;

/** The attributes an On-Demand Linux price must have; also sent as GetProducts TERM_MATCH filters. */
export const LINUX_ON_DEMAND_ATTRIBUTES = {
  operatingSystem: 'Linux',
  tenancy: 'Shared',
  preInstalledSw: 'NA',
  capacitystatus: 'Used',
} as const;

export interface PricingFilter {
  Type: 'TERM_MATCH';
  Field: string;
  Value: string;
}

/** GetProducts filters for one instance type in one region (region code, not the location name). */
export function onDemandFilters(region: string, instanceType: string): PricingFilter[] {
  const fields: Record<string, string> = { instanceType, regionCode: region, ...LINUX_ON_DEMAND_ATTRIBUTES };
  return Object.entries(fields).map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value }));
}

/** The SDK hands PriceList entries over as strings (or string wrappers); tolerate parsed objects too. */
export function decodePriceListEntry(entry: unknown): unknown {
  if (typeof entry === 'string' || entry instanceof String) return JSON.parse(String(entry));
  return entry;
}

export interface ExtractedPrice {
  instanceType: string;
  regionCode?: string;
  usdPerHour: number;
  effectiveDate?: string;
  publicationDate?: string;
}

/**
 * The hourly USD price of one product, or undefined when the item is not an On-Demand Linux shared
 * instance (a defensive re-check of the filters: a server that ignores one would otherwise hand us a
 * Windows or Dedicated price) or carries no positive hourly USD price.
 */
export function extractOnDemandPrice(item: PriceListItem): ExtractedPrice | undefined {
  const attrs = item.product.attributes;
  for (const [field, value] of Object.entries(LINUX_ON_DEMAND_ATTRIBUTES)) {
    if ((attrs[field] ?? '').toLowerCase() !== value.toLowerCase()) return undefined;
  }
  if (!attrs.instanceType) return undefined;
  for (const term of Object.values(item.terms.OnDemand ?? {})) {
    for (const dim of Object.values(term.priceDimensions)) {
      const usd = Number(dim.pricePerUnit.USD);
      if ((dim.unit ?? 'Hrs') === 'Hrs' && Number.isFinite(usd) && usd > 0) {
        return {
          instanceType: attrs.instanceType,
          regionCode: attrs.regionCode,
          usdPerHour: usd,
          effectiveDate: term.effectiveDate,
          publicationDate: item.publicationDate,
        };
      }
    }
  }
  return undefined;
}

/**
 * Picks the price for one instance type from a GetProducts page: decodes and validates every entry,
 * keeps those that really are Linux/Shared/NA/Used, prefers the plain `RunInstances` operation, and
 * takes the lowest when AWS still lists several (e.g. a regional and a Local Zone SKU).
 */
export function pickOnDemandPrice(
  priceList: unknown[],
  instanceType: string,
  region: string,
): ExtractedPrice | undefined {
  const candidates: { price: ExtractedPrice; plain: boolean }[] = [];
  for (const entry of priceList) {
    let decoded: unknown;
    try {
      decoded = decodePriceListEntry(entry);
    } catch {
      continue; // not JSON: not a product we can read
    }
    const parsed = priceListItemSchema.safeParse(decoded);
    if (!parsed.success) continue;
    const price = extractOnDemandPrice(parsed.data);
    if (!price || price.instanceType !== instanceType) continue;
    if (price.regionCode && price.regionCode !== region) continue;
    candidates.push({ price, plain: (parsed.data.product.attributes.operation ?? 'RunInstances') === 'RunInstances' });
  }
  const preferred = candidates.some((c) => c.plain) ? candidates.filter((c) => c.plain) : candidates;
  return preferred.map((c) => c.price).sort((a, b) => a.usdPerHour - b.usdPerHour)[0];
}
