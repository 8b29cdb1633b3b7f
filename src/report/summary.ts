import type { CostReport, SpotReport, WrittenReport } from './types';

/** What a workflow returns and a notification says about a cost run. Plain JSON, small. */
export interface CostRunSummary {
  kind: 'cost';
  generatedAt: string;
  htmlPath: string;
  jsonPath: string;
  clusters: number;
  monthlyCostUsd: number;
  timetableSavingsMonthlyUsd: number;
  spotSavingsMonthlyUsd: number;
  recommendations: number;
  potentialSavingsMonthlyUsd: number;
  priceSource: string;
  pricingApiReachable?: boolean;
  problems: number;
  /** One line for Slack/notifications. */
  headline: string;
  /** The link people open (ingress `GET /reports/:id?token=…`); absent without an ingress token. */
  url?: string;
  /** Where the report was stored (`s3://bucket/key`) when a report bucket is configured. */
  objects?: string[];
}

export interface SpotRunSummary {
  kind: 'spot';
  generatedAt: string;
  htmlPath: string;
  jsonPath: string;
  poolsScored: number;
  recommendedPools: number;
  avgSavingsPercent: number;
  bestSavingsPercent: number;
  best?: { instanceType: string; availabilityZone: string; savingsPercent: number; opportunityScore: number };
  priceSource: string;
  pricingApiReachable?: boolean;
  problems: number;
  headline: string;
  url?: string;
  objects?: string[];
}

const money = (x: number) => `$${Math.round(x).toLocaleString('en-US')}`;

export function summariseCostRun(r: CostReport, files: WrittenReport): CostRunSummary {
  const fallback = r.prices.apiReachable === false ? ' (fallback price table)' : '';
  return {
    kind: 'cost',
    generatedAt: r.generatedAt,
    ...files,
    clusters: r.cost.clusters.length,
    monthlyCostUsd: round2(r.cost.monthly),
    timetableSavingsMonthlyUsd: round2(r.cost.timetableSavingsMonthly),
    spotSavingsMonthlyUsd: round2(r.cost.spotSavingsMonthly),
    recommendations: r.recommendations.recommendations.length,
    potentialSavingsMonthlyUsd: r.recommendations.totalEstimatedMonthlySavings,
    priceSource: r.prices.summary,
    pricingApiReachable: r.prices.apiReachable,
    problems: r.problems.length,
    headline:
      `Fleet EC2 cost ${money(r.cost.monthly)}/month${fallback}; the timetable saves ${money(r.cost.timetableSavingsMonthly)} and spot ${money(r.cost.spotSavingsMonthly)}; ` +
      `${r.recommendations.recommendations.length} recommendation(s) worth up to ${money(r.recommendations.totalEstimatedMonthlySavings)}/month` +
      (r.problems.length ? `; ${r.problems.length} item(s) could not be priced` : ''),
  };
}

export function summariseSpotRun(r: SpotReport, files: WrittenReport): SpotRunSummary {
  const a = r.opportunities;
  const best = a.top[0];
  return {
    kind: 'spot',
    generatedAt: r.generatedAt,
    ...files,
    poolsScored: a.totalOpportunities,
    recommendedPools: a.summary.recommendedCount,
    avgSavingsPercent: a.summary.avgSavingsPercent,
    bestSavingsPercent: a.summary.bestSavingsPercent,
    best: best && {
      instanceType: best.instanceType,
      availabilityZone: best.availabilityZone,
      savingsPercent: best.savingsPercent,
      opportunityScore: best.opportunityScore,
    },
    priceSource: r.prices.summary,
    pricingApiReachable: r.prices.apiReachable,
    problems: r.problems.length,
    headline:
      `${a.totalOpportunities} spot pool(s) scored, ${a.summary.recommendedCount} recommended; average savings ${a.summary.avgSavingsPercent.toFixed(1)}%` +
      (best
        ? `, best ${best.instanceType} in ${best.availabilityZone} (${best.savingsPercent.toFixed(1)}%, score ${best.opportunityScore.toFixed(0)})`
        : '') +
      (r.problems.length ? `; ${r.problems.length} problem(s) in the report` : ''),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
