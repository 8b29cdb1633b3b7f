import type { InterruptionInfo, InterruptionRisk } from '../pricing/spot-advisor';
import { clipToWindow, type PricePoint, type SpotPoolHistory } from '../pricing/spot-history';
import type { PriceModel, PriceTrend } from './price-outlook';
import { HIGH_VALUE_ABOVE, RECOMMEND_ABOVE, opportunityScore, savingsPercent } from './scoring';

/** One spot pool (instance type × AZ) as an opportunity. Plain JSON. */
export interface SpotOpportunity {
  region: string;
  instanceType: string;
  availabilityZone: string;
  currentPrice: number;
  onDemandPrice: number;
  savingsPercent: number;
  interruptionRisk: InterruptionRisk;
  /** AWS's bucket label, e.g. "10-15%". */
  interruptionLabel: string;
  expectedInterruptionRate: number;
  priceTrend: PriceTrend;
  volatility: number;
  forecastPrice: number;
  forecastLower: number;
  forecastUpper: number;
  opportunityScore: number;
  recommended: boolean;
  /** Price changes seen in the window (1 = it held all along). */
  priceChanges: number;
}

export interface OpportunityInput {
  region: string;
  histories: SpotPoolHistory[];
  /** On-Demand USD/hour of a type in this region, undefined when unknown. */
  onDemandPrice: (instanceType: string) => number | undefined;
  interruption: (instanceType: string) => InterruptionInfo;
  model: PriceModel;
  window: { start: number; end: number };
  horizonHours?: number;
}

export interface OpportunitySummary {
  avgSavingsPercent: number;
  bestSavingsPercent: number;
  recommendedCount: number;
}

export interface OpportunityAnalysis {
  regions: string[];
  totalOpportunities: number;
  highValueOpportunities: number;
  /** The best 20 by score. */
  top: SpotOpportunity[];
  /** Every scored pool, for the savings-vs-risk chart and placement. */
  all: SpotOpportunity[];
  summary: OpportunitySummary;
  /** Pools that could not be scored, grouped into readable messages. */
  problems: string[];
}

export const TOP_N = 20;

/**
 * The window's view of a pool history: the price in effect at the window start is moved to the
 * start, and the last price is extended to the end, because a spot price holds until it changes.
 */
export function windowSeries(history: SpotPoolHistory, start: number, end: number): PricePoint[] {
  const clipped = clipToWindow(history, start, end).points;
  if (clipped.length === 0) return [];
  const series = clipped.map((p) => ({ t: Math.max(p.t, start), price: p.price }));
  const last = series[series.length - 1];
  if (last.t < end) series.push({ t: end, price: last.price });
  return series;
}

/** Scores every pool of one region; pools without an On-Demand price become one message per region. */
export function scoreRegion(input: OpportunityInput): { opportunities: SpotOpportunity[]; problems: string[] } {
  const opportunities: SpotOpportunity[] = [];
  const unpriced = new Set<string>();
  for (const history of input.histories) {
    const series = windowSeries(history, input.window.start, input.window.end);
    if (series.length === 0) continue;
    const onDemand = input.onDemandPrice(history.instanceType);
    if (onDemand === undefined || onDemand <= 0) {
      unpriced.add(history.instanceType);
      continue;
    }
    const currentPrice = series[series.length - 1].price;
    const outlook = input.model(series, { horizonHours: input.horizonHours ?? 24, now: input.window.end });
    const info = input.interruption(history.instanceType);
    const savings = savingsPercent(currentPrice, onDemand);
    const score = opportunityScore({
      savingsPercent: savings,
      risk: info.risk,
      trend: outlook.trend,
      volatility: outlook.volatility,
    });
    opportunities.push({
      region: input.region,
      instanceType: history.instanceType,
      availabilityZone: history.availabilityZone,
      currentPrice,
      onDemandPrice: onDemand,
      savingsPercent: round(savings, 2),
      interruptionRisk: info.risk,
      interruptionLabel: info.label,
      expectedInterruptionRate: info.expectedInterruptionRate,
      priceTrend: outlook.trend,
      volatility: round(outlook.volatility, 4),
      forecastPrice: round(outlook.forecast, 6),
      forecastLower: round(outlook.lower, 6),
      forecastUpper: round(outlook.upper, 6),
      opportunityScore: round(score, 2),
      recommended: score > RECOMMEND_ABOVE,
      priceChanges: Math.max(1, series.length - 1),
    });
  }
  const problems =
    unpriced.size > 0
      ? [
          `${input.region}: no On-Demand price for ${[...unpriced].sort().join(', ')} — their spot pools are not scored (savings need an On-Demand price)`,
        ]
      : [];
  return { opportunities, problems };
}

/** Ranks scored pools of all regions and summarises them as the original design did. */
export function summariseOpportunities(
  regions: string[],
  scored: SpotOpportunity[],
  problems: string[],
): OpportunityAnalysis {
  const all = [...scored].sort(
    (a, b) =>
      b.opportunityScore - a.opportunityScore ||
      b.savingsPercent - a.savingsPercent ||
      a.instanceType.localeCompare(b.instanceType) ||
      a.availabilityZone.localeCompare(b.availabilityZone),
  );
  const n = all.length;
  return {
    regions,
    totalOpportunities: n,
    highValueOpportunities: all.filter((o) => o.opportunityScore > HIGH_VALUE_ABOVE).length,
    top: all.slice(0, TOP_N),
    all,
    summary: {
      avgSavingsPercent: n ? round(all.reduce((s, o) => s + o.savingsPercent, 0) / n, 2) : 0,
      bestSavingsPercent: n ? Math.max(...all.map((o) => o.savingsPercent)) : 0,
      recommendedCount: all.filter((o) => o.recommended).length,
    },
    problems: n === 0 && problems.length === 0 ? ['no spot price history was found for any pool'] : problems,
  };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
