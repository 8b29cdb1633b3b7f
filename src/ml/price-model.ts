import { predictSpotPrice } from './price';
import { simplePriceOutlook, type PriceModel } from '../domain/spot/price-outlook';

export interface NamedPriceModel {
  name: string;
  predict: PriceModel;
}

/**
 * The price model the spot optimizer uses for forecast, trend and volatility: the ML predictor of
 * src/ml/price.ts (drift of the last day's slope, calibrated interval, volatility from the daily
 * σ of log changes). Should it refuse a history (no valid price), the documented simple estimate
 * answers instead, so one odd pool never stops a report.
 */
export const mlPriceModel: NamedPriceModel = {
  name: 'ML spot price model (src/ml/price.ts: drift forecast, calibrated interval, log-return volatility)',
  predict: (history, opts) => {
    try {
      const f = predictSpotPrice(history, { horizonHours: opts?.horizonHours ?? 24, now: opts?.now });
      return { forecast: f.forecast, lower: f.lower, upper: f.upper, trend: f.trend, volatility: f.volatility };
    } catch {
      return simplePriceOutlook(history, opts);
    }
  },
};

export const simplePriceModel: NamedPriceModel = {
  name: 'simple estimate (hourly carry-forward, least-squares trend, coefficient of variation)',
  predict: simplePriceOutlook,
};

export function defaultPriceModel(): NamedPriceModel {
  return mlPriceModel;
}
