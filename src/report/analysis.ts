import type { AwsClientFactory, AwsTarget } from '../aws/clients';
import type { EksflowConfig } from '../config/schema';
import { analyseFleetCost } from '../domain/cost/cost-model';
import { priceKey, type FleetPriceBook, type SpotPrice } from '../domain/cost/prices';
import { recommend } from '../domain/cost/recommendations';
import { gravitonEquivalents } from '../domain/pricing/graviton';
import type { OnDemandQuote, PriceSourceStatus } from '../domain/pricing/on-demand-prices';
import type { PriceTable } from '../domain/pricing/on-demand-table';
import type { SpotAdvisor } from '../domain/pricing/spot-advisor';
import type { SpotPoolHistory } from '../domain/pricing/spot-history';
import {
  scoreRegion,
  summariseOpportunities,
  windowSeries,
  type OpportunityAnalysis,
  type SpotOpportunity,
} from '../domain/spot/opportunities';
import { expensivePools, spotOutlookNote, type ExpensivePool } from '../domain/spot/outlook-check';
import { planPlacement, type PlacementPool, type PlacementRequest } from '../domain/spot/placement';
import { defaultPriceModel, type NamedPriceModel } from '../ml/price-model';
import { shippedPriceTable, shippedSpotAdvisor } from '../data/pricing';
import { errorSummary } from '../errors';
import { OnDemandPrices } from './on-demand-prices';
import { ec2SpotHistory, type SpotHistorySource } from './spot-sources';
import type { CostReport, PriceProvenance, SpotPlacementSection, SpotReport } from './types';

/**
 * Gathers prices (Pricing API, spot history) and turns them into the cost and spot reports. Shared
 * by the activities and the CLI, so `eksflow report cost` computes exactly what the 10:00 workflow
 * does. All decisions are in src/domain; this module only fetches and assembles.
 */
export interface AnalysisDeps {
  aws: AwsClientFactory;
  config: EksflowConfig;
  now: () => Date;
  onDemand: OnDemandPrices;
  table: PriceTable;
  advisor: SpotAdvisor;
  priceModel: NamedPriceModel;
  spotHistory: SpotHistorySource;
  /** Shown in the report when prices come from an endpoint override (the sandbox server). */
  pricingEndpoint?: string;
  /**
   * Scored spot pools per region for spot outlooks, shared by the checks made within
   * `OUTLOOK_TTL_MS` of each other (a scale-up asks once per spot group; one scoring per region
   * answers them all). Absent: every check scores afresh.
   */
  outlookCache?: Map<string, { atMs: number; scored: Promise<ScoredRegion> }>;
}

export function createAnalysisDeps(base: {
  aws: AwsClientFactory;
  config: EksflowConfig;
  now: () => Date;
  pricingEndpoint?: string;
  priceModel?: NamedPriceModel;
  spotHistory?: SpotHistorySource;
}): AnalysisDeps {
  const table = shippedPriceTable();
  return {
    ...base,
    table,
    advisor: shippedSpotAdvisor(),
    priceModel: base.priceModel ?? defaultPriceModel(),
    spotHistory: base.spotHistory ?? ec2SpotHistory(base.aws),
    onDemand: new OnDemandPrices({ pricingClient: () => base.aws.pricing(), table, now: base.now }),
    outlookCache: new Map(),
  };
}

/**
 * How long a region's scored spot pools answer spot outlooks: spot prices move by the hour and the
 * outlook looks 24 h ahead, so a scale-up's checks (seconds apart) share one scoring.
 */
export const OUTLOOK_TTL_MS = 5 * 60_000;

/** Default look-back of spot history: a week shows weekday/weekend swings without stale prices. */
export const DEFAULT_SPOT_HOURS = 168;

interface RegionMarket {
  region: string;
  histories: SpotPoolHistory[];
  historyError?: string;
}

interface Market {
  now: Date;
  window: { start: number; end: number; hours: number };
  regions: RegionMarket[];
  onDemand: Record<string, OnDemandQuote>;
  priceStatus: PriceSourceStatus;
}

/** One AWS target per region (the first cluster's account and role) for the regional EC2 calls. */
function regionTargets(config: EksflowConfig): Map<string, AwsTarget> {
  const out = new Map<string, AwsTarget>();
  for (const c of config.clusters) {
    if (!out.has(c.region)) out.set(c.region, { accountId: c.accountId, region: c.region, roleArn: c.roleArn });
  }
  return out;
}

/** Types worth pricing in a region: the fleet's, their Graviton twins, and every type we know a price or risk for. */
function candidateTypes(deps: AnalysisDeps, region: string): string[] {
  const fleet = deps.config.clusters
    .filter((c) => c.region === region)
    .flatMap((c) => c.nodegroups.flatMap((ng) => ng.instanceTypes));
  const known = deps.table.rows.filter((r) => r.region === region).map((r) => r.instanceType);
  return [
    ...new Set([...fleet, ...fleet.flatMap(gravitonEquivalents), ...known, ...deps.advisor.typesIn(region)]),
  ].sort();
}

async function collectMarket(deps: AnalysisDeps, hours: number, onlyRegion?: string): Promise<Market> {
  const now = deps.now();
  const end = now.getTime();
  const start = end - hours * 3_600_000;
  deps.onDemand.beginRun();
  const targets = regionTargets(deps.config);
  if (onlyRegion !== undefined) for (const r of [...targets.keys()]) if (r !== onlyRegion) targets.delete(r);
  const regions = await Promise.all(
    [...targets].map(async ([region, target]): Promise<RegionMarket> => {
      try {
        const histories = await deps.spotHistory.fetch({
          region,
          target,
          instanceTypes: candidateTypes(deps, region),
          start: new Date(start),
          end: now,
        });
        return { region, histories };
      } catch (err) {
        return {
          region,
          histories: [],
          historyError: `${region}: spot price history unavailable (${errorSummary(err)}); spot prices estimated from the Spot Advisor`,
        };
      }
    }),
  );
  const pairs = [...targets.keys()].flatMap((region) =>
    candidateTypes(deps, region).map((instanceType) => ({ region, instanceType })),
  );
  const onDemand = await deps.onDemand.quoteAll(pairs);
  return { now, window: { start, end, hours }, regions, onDemand, priceStatus: deps.onDemand.status() };
}

function provenance(deps: AnalysisDeps, m: Market): PriceProvenance {
  const fallbackDates = [
    ...new Set(
      Object.values(m.onDemand)
        .filter((q) => q.source === 'fallback-table')
        .map((q) => q.sourceDate ?? '?'),
    ),
  ].sort();
  let summary: string;
  if (m.priceStatus.apiReachable === false) {
    summary =
      `AWS Pricing API unreachable (${m.priceStatus.fallbackReason}); On-Demand prices come from the table shipped with eksflow, ` +
      `generated from the Pricing API on ${fallbackDates.join(' and ') || 'an unknown date'} — they may be out of date.`;
  } else if (m.priceStatus.apiReachable === true) {
    summary = `On-Demand prices from the AWS Pricing API (GetProducts: Linux, shared tenancy, no pre-installed software, capacity status Used), cached per day${deps.pricingEndpoint ? `, served by ${deps.pricingEndpoint}` : ''}.`;
  } else {
    summary = 'No On-Demand price was needed.';
  }
  summary += ` Spot prices: ${deps.spotHistory.label}, last ${m.window.hours} h; interruption risk from the AWS Spot Advisor buckets shipped with eksflow.`;
  return { ...m.priceStatus, summary, priceModel: deps.priceModel.name };
}

interface MarketAnalysis {
  opportunities: OpportunityAnalysis;
  poolsByRegion: Record<string, PlacementPool[]>;
  spotPrices: Record<string, SpotPrice>;
  problems: string[];
}

/** A scored spot pool as the placement solver's input (forecast price when there is one); none without a shape. */
function placementPool(deps: AnalysisDeps, o: SpotOpportunity): PlacementPool | undefined {
  const spec = deps.table.spec(o.instanceType) ?? deps.advisor.spec(o.instanceType);
  if (!spec) return undefined;
  return {
    instanceType: o.instanceType,
    availabilityZone: o.availabilityZone,
    spotPrice: o.forecastPrice > 0 ? o.forecastPrice : o.currentPrice,
    onDemandPrice: o.onDemandPrice,
    risk: o.interruptionRisk,
    interruptionRate: o.expectedInterruptionRate,
    vcpu: spec.vcpu,
    memoryGiB: spec.memoryGiB,
  };
}

function analyseMarket(deps: AnalysisDeps, m: Market): MarketAnalysis {
  const scored = [];
  const problems: string[] = [];
  const poolsByRegion: Record<string, PlacementPool[]> = {};
  const spotPrices: Record<string, SpotPrice> = {};
  for (const rm of m.regions) {
    if (rm.historyError) problems.push(rm.historyError);
    else if (rm.histories.length === 0)
      problems.push(`${rm.region}: no spot price history was returned for any candidate instance type`);
    const { opportunities, problems: p } = scoreRegion({
      region: rm.region,
      histories: rm.histories,
      onDemandPrice: (type) => m.onDemand[priceKey(rm.region, type)]?.usdPerHour,
      interruption: (type) => deps.advisor.interruption(rm.region, type),
      model: deps.priceModel.predict,
      window: m.window,
    });
    scored.push(...opportunities);
    problems.push(...p);
    poolsByRegion[rm.region] = opportunities.flatMap((o) => {
      const pool = placementPool(deps, o);
      return pool ? [pool] : [];
    });
    // Spot price per type for the cost model: the mean current price over its AZs.
    const byType = new Map<string, number[]>();
    for (const h of rm.histories) {
      const series = windowSeries(h, m.window.start, m.window.end);
      if (series.length > 0)
        byType.set(h.instanceType, [...(byType.get(h.instanceType) ?? []), series[series.length - 1].price]);
    }
    for (const [type, prices] of byType)
      spotPrices[priceKey(rm.region, type)] = {
        usdPerHour: prices.reduce((s, x) => s + x, 0) / prices.length,
        source: 'spot-history',
        pools: prices.length,
      };
    for (const type of candidateTypes(deps, rm.region)) {
      const key = priceKey(rm.region, type);
      const od = m.onDemand[key]?.usdPerHour;
      const saving = deps.advisor.interruption(rm.region, type).advisorSavingsPercent;
      if (!spotPrices[key] && od !== undefined && saving !== undefined)
        spotPrices[key] = { usdPerHour: od * (1 - saving / 100), source: 'advisor-estimate', pools: 0 };
    }
  }
  return {
    opportunities: summariseOpportunities(
      m.regions.map((r) => r.region),
      scored,
      problems,
    ),
    poolsByRegion,
    spotPrices,
    problems,
  };
}

function windowIso(m: Market) {
  return {
    start: new Date(m.window.start).toISOString(),
    end: new Date(m.window.end).toISOString(),
    hours: m.window.hours,
  };
}

export interface PlacementAsk extends PlacementRequest {
  /** Region to place in; the first region of the fleet when absent. */
  region?: string;
}

/** Shown when no placement was asked for: ten general-purpose nodes at medium risk at most. */
export const EXAMPLE_PLACEMENT: PlacementRequest = {
  vcpu: 2,
  memoryGiB: 8,
  count: 10,
  maxRisk: 'medium',
  maxPoolShare: 0.4,
};

export async function runSpotAnalysis(
  deps: AnalysisDeps,
  opts: { hours?: number; placements?: PlacementAsk[] } = {},
): Promise<SpotReport> {
  const market = await collectMarket(deps, opts.hours ?? DEFAULT_SPOT_HOURS);
  const analysed = analyseMarket(deps, market);
  const regions = market.regions.map((r) => r.region);
  const asks: { region: string; example: boolean; request: PlacementRequest }[] = opts.placements?.length
    ? opts.placements.map(({ region, ...request }) => ({
        region: region ?? regions.find((r) => (analysed.poolsByRegion[r] ?? []).length > 0) ?? regions[0],
        example: false,
        request,
      }))
    : regions
        .filter((r) => (analysed.poolsByRegion[r] ?? []).length > 0)
        .map((region) => ({ region, example: true, request: EXAMPLE_PLACEMENT }));
  const placements: SpotPlacementSection[] = asks.map((a) => ({
    region: a.region,
    example: a.example,
    result: planPlacement(a.request, analysed.poolsByRegion[a.region] ?? []),
  }));
  return {
    kind: 'spot',
    generatedAt: market.now.toISOString(),
    window: windowIso(market),
    prices: provenance(deps, market),
    problems: analysed.opportunities.problems,
    opportunities: analysed.opportunities,
    placements,
  };
}

export async function runCostAnalysis(deps: AnalysisDeps, opts: { hours?: number } = {}): Promise<CostReport> {
  const market = await collectMarket(deps, opts.hours ?? DEFAULT_SPOT_HOURS);
  const analysed = analyseMarket(deps, market);
  const book: FleetPriceBook = { onDemand: market.onDemand, spot: analysed.spotPrices };
  const cost = analyseFleetCost(deps.config.clusters, deps.config.timetable, book);
  const recommendations = recommend({
    clusters: deps.config.clusters,
    cost,
    book,
    poolsByRegion: analysed.poolsByRegion,
    spec: (t) => deps.table.spec(t) ?? deps.advisor.spec(t),
  });
  return {
    kind: 'cost',
    generatedAt: market.now.toISOString(),
    window: windowIso(market),
    prices: provenance(deps, market),
    problems: [...cost.problems, ...analysed.problems],
    cost,
    recommendations,
    opportunities: analysed.opportunities,
  };
}

export interface SpotGroupOutlookQuery {
  region: string;
  instanceTypes: string[];
  /** nodes the group is about to run */
  count: number;
  /** a pool is expensive when its predicted price 24 h ahead exceeds this × On-Demand */
  ceiling: number;
  hours?: number;
}

export interface SpotGroupOutlook {
  /** the group's pools that were priced and checked */
  checkedPools: number;
  expensive: ExpensivePool[];
  /** for the plan's reasons; null when no pool is expensive */
  note: string | null;
  problems: string[];
}

/**
 * Before a spot group scales up: its pools' predicted prices 24 h ahead against the ceiling, and
 * for expensive ones the placement planner's diversification over the other pools of the region
 * (same shape as the group's first instance type, medium interruption risk at most).
 */
/** A region's spot pools scored by the price model (what every outlook of that region reads). */
export interface ScoredRegion {
  configured: boolean;
  opportunities: ReturnType<typeof scoreRegion>['opportunities'];
  problems: string[];
  historyError?: string;
}

async function scoreMarketRegion(deps: AnalysisDeps, region: string, hours: number): Promise<ScoredRegion> {
  const market = await collectMarket(deps, hours, region);
  const rm = market.regions.find((r) => r.region === region);
  if (!rm) return { configured: false, opportunities: [], problems: [] };
  const { opportunities, problems } = scoreRegion({
    region: rm.region,
    histories: rm.histories,
    onDemandPrice: (type) => market.onDemand[priceKey(rm.region, type)]?.usdPerHour,
    interruption: (type) => deps.advisor.interruption(rm.region, type),
    model: deps.priceModel.predict,
    window: market.window,
  });
  return { configured: true, opportunities, problems, ...(rm.historyError ? { historyError: rm.historyError } : {}) };
}

/** The region's scored pools, shared by outlooks within `OUTLOOK_TTL_MS` (single-flight; a failure is not kept). */
function scoredRegion(deps: AnalysisDeps, region: string, hours: number): Promise<ScoredRegion> {
  const cache = deps.outlookCache;
  if (!cache) return scoreMarketRegion(deps, region, hours);
  const key = `${region}/${hours}`;
  const nowMs = deps.now().getTime();
  const hit = cache.get(key);
  if (hit && nowMs - hit.atMs >= 0 && nowMs - hit.atMs < OUTLOOK_TTL_MS) return hit.scored;
  const scored = scoreMarketRegion(deps, region, hours);
  cache.set(key, { atMs: nowMs, scored });
  // Shared while in flight; a failed or degraded scoring (history unreadable) is not kept for later checks.
  const forget = () => {
    if (cache.get(key)?.scored === scored) cache.delete(key);
  };
  scored.then((r) => (r.historyError !== undefined ? forget() : undefined), forget);
  return scored;
}

export async function spotGroupOutlook(deps: AnalysisDeps, q: SpotGroupOutlookQuery): Promise<SpotGroupOutlook> {
  const rm = await scoredRegion(deps, q.region, q.hours ?? DEFAULT_SPOT_HOURS);
  if (!rm.configured)
    return {
      checkedPools: 0,
      expensive: [],
      note: `spot price outlook: ${q.region} is not a configured region`,
      problems: [`${q.region}: not a configured region`],
    };
  const { opportunities, problems } = rm;
  const types = new Set(q.instanceTypes);
  const checkedPools = opportunities.filter((o) => types.has(o.instanceType)).length;
  const expensive = expensivePools(opportunities, q.instanceTypes, q.ceiling);
  const allProblems = [...(rm.historyError ? [rm.historyError] : []), ...problems];
  if (checkedPools === 0) {
    const why = allProblems.length > 0 ? allProblems.join('; ') : 'no spot price history for them';
    return {
      checkedPools,
      expensive,
      note: `spot price outlook: none of ${q.instanceTypes.join(', ')} could be checked in ${q.region} (${why})`,
      problems: allProblems,
    };
  }
  if (expensive.length === 0) return { checkedPools, expensive, note: null, problems: allProblems };
  const excluded = new Set(expensive.map((p) => `${p.instanceType}/${p.availabilityZone}`));
  const pools: PlacementPool[] = opportunities.flatMap((o) => {
    const pool = excluded.has(`${o.instanceType}/${o.availabilityZone}`) ? undefined : placementPool(deps, o);
    return pool ? [pool] : [];
  });
  const shape = deps.table.spec(q.instanceTypes[0]) ?? deps.advisor.spec(q.instanceTypes[0]);
  const placement =
    shape && pools.length > 0
      ? planPlacement(
          { vcpu: shape.vcpu, memoryGiB: shape.memoryGiB, count: Math.max(1, q.count), maxRisk: 'medium' },
          pools,
        )
      : null;
  return { checkedPools, expensive, note: spotOutlookNote(expensive, q.ceiling, placement), problems };
}
