import { simplePriceOutlook, type PriceModel } from './price-outlook';

export interface NamedPriceModel {
  name: string;
  predict: PriceModel;
}

/**
 * The price model the spot optimizer uses for trend and volatility. The ML model in src/ml/price.ts
 * (`predictSpotPrice`) has the same shape; this is the one place that chooses between them.
 */
export function defaultPriceModel(): NamedPriceModel {
  return { name: 'simple estimate (hourly carry-forward, least-squares trend, coefficient of variation)', predict: simplePriceOutlook };
}
