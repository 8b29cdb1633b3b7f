import type { InterruptionRisk } from '../pricing/spot-advisor';
import type { PriceTrend } from './price-outlook';

/**
 * The opportunity score of the original design (seed `calculate_opportunity_score`), kept as the
 * documented baseline:
 *   score = min(savings%, 90) + max(0, (1 − volatility) × 20) + riskPenalty + trendAdjustment,
 * clamped to 0..100, with risk penalties low 0, medium −10, high −25, very_high −40 (−15 when the
 * risk is unknown) and trend adjustments decreasing +15, stable 0, increasing −10. A pool is
 * recommended above 75 and "high value" above 80.
 */
export const RISK_PENALTY: Record<InterruptionRisk, number> = {
  low: 0,
  medium: -10,
  high: -25,
  very_high: -40,
  unknown: -15,
};

export const TREND_ADJUSTMENT: Record<PriceTrend, number> = {
  decreasing: 15,
  stable: 0,
  increasing: -10,
};

export const RECOMMEND_ABOVE = 75;
export const HIGH_VALUE_ABOVE = 80;
/** The baseline's volatility when the model gives none. */
export const DEFAULT_VOLATILITY = 0.5;

export interface ScoreInput {
  savingsPercent: number;
  risk: InterruptionRisk;
  trend?: PriceTrend;
  volatility?: number;
}

export function opportunityScore(input: ScoreInput): number {
  const base = Math.min(input.savingsPercent, 90);
  const stabilityBonus = Math.max(0, (1 - (input.volatility ?? DEFAULT_VOLATILITY)) * 20);
  const score = base + stabilityBonus + RISK_PENALTY[input.risk] + TREND_ADJUSTMENT[input.trend ?? 'stable'];
  return Math.max(0, Math.min(100, score));
}

export function savingsPercent(spotPrice: number, onDemandPrice: number): number {
  return ((onDemandPrice - spotPrice) / onDemandPrice) * 100;
}
