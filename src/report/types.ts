import type { FleetCost } from '../domain/cost/cost-model';
import type { NamespaceShare } from '../domain/cost/namespace-split';
import type { RecommendationSet } from '../domain/cost/recommendations';
import type { PriceSourceStatus } from '../domain/pricing/on-demand-prices';
import type { OpportunityAnalysis } from '../domain/spot/opportunities';
import type { PlacementResult } from '../domain/spot/placement';

/** Where the report's prices came from, stated at the top of every report. */
export interface PriceProvenance extends PriceSourceStatus {
  /** One sentence for the reader, e.g. "Pricing API unreachable (…); prices from the shipped table dated 2026-07-20". */
  summary: string;
  /** `simple estimate` or the name of the ML model that gave trend and volatility. */
  priceModel: string;
}

export interface ReportBase {
  generatedAt: string;
  window: { start: string; end: string; hours: number };
  prices: PriceProvenance;
  /** Everything that could not be priced or fetched, in words. */
  problems: string[];
}

export interface SpotPlacementSection {
  region: string;
  /** True when the request was not given and an example request was used. */
  example: boolean;
  result: PlacementResult;
}

export interface SpotReport extends ReportBase {
  kind: 'spot';
  opportunities: OpportunityAnalysis;
  placements: SpotPlacementSection[];
}

export interface NamespaceCostSection {
  cluster: string;
  nodegroup: string;
  monthly: number;
  split: NamespaceShare[];
}

export interface CostReport extends ReportBase {
  kind: 'cost';
  cost: FleetCost;
  /** Each node group's monthly cost by namespace, from pod requests (clusters with a Kubernetes API only). */
  namespaceCosts?: NamespaceCostSection[];
  recommendations: RecommendationSet;
  opportunities: OpportunityAnalysis;
}

export type AnyReport = SpotReport | CostReport;

export interface WrittenReport {
  htmlPath: string;
  jsonPath: string;
}
