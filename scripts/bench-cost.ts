/**
 * `npm run bench:cost` — prints one JSON line:
 *   {"bench":"cost","pools":…,"opportunity_ms":…,"clusters":50,"cost_analysis_ms":…}
 * opportunity_ms: scoring every instance type × AZ pool of the real us-east-1 spot history
 * (../shared/data/spot-prices, last 7 days) with the default price model, ranking and summary.
 * cost_analysis_ms: cost model + recommendations (with spot placement) for 50 generated clusters.
 * Each figure is the median of 5 timed runs after one warm-up. CSV parsing is not timed.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/load';
import type { ClusterConfig } from '../src/config/clusters';
import { analyseFleetCost } from '../src/domain/cost/cost-model';
import type { FleetPriceBook } from '../src/domain/cost/prices';
import { recommend } from '../src/domain/cost/recommendations';
import { shippedPriceTable, shippedSpotAdvisor } from '../src/data/pricing';
import { sharedDataPath } from '../src/data/shared';
import { parseSpotPriceCsv } from '../src/domain/pricing/spot-history';
import { scoreRegion, summariseOpportunities, type OpportunityAnalysis } from '../src/domain/spot/opportunities';
import type { PlacementPool } from '../src/domain/spot/placement';
import { defaultPriceModel } from '../src/ml/price-model';

const REGION = 'us-east-1';
const WINDOW_HOURS = 7 * 24;
const CLUSTERS = 50;
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed<T>(fn: () => T): { ms: number; result: T } {
  let result = fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  return { ms: Math.round(median(times) * 100) / 100, result };
}

/** Deterministic fleet: 50 clusters × 4 node groups over the priced types, mixed capacity and workloads. */
function generateClusters(types: string[]): ClusterConfig[] {
  const raw = Array.from({ length: CLUSTERS }, (_, c) => ({
    name: `cluster-${String(c).padStart(2, '0')}`,
    accountId: String(100000000000 + c),
    region: REGION,
    nodegroups: Array.from({ length: 4 }, (_, g) => {
      const k = c * 4 + g;
      const business = 2 + (k % 9);
      const off = g === 3 ? business : Math.max(1, Math.floor(business / 3));
      return {
        name: `ng-${g}`,
        capacityType: k % 3 === 0 ? 'SPOT' : 'ON_DEMAND',
        workload: g === 2 ? 'stateful' : 'stateless',
        scalingMode: k % 5 === 0 ? 'bounds' : 'desired',
        instanceTypes:
          k % 3 === 0 ? [types[k % types.length], types[(k + 1) % types.length]] : [types[k % types.length]],
        businessHours: { min: 1, desired: business, max: business * 2 },
        offHours: { min: 1, desired: off, max: business * 2 },
        floor: g === 2 ? 1 : 0,
      };
    }),
  }));
  return parseConfig({ clusters: raw }, 'bench fleet').clusters;
}

function main(): void {
  const csv = sharedDataPath(['spot-prices', 'spot_prices_us-east-1.csv']);
  const histories = parseSpotPriceCsv(readFileSync(csv, 'utf8'), csv);
  const table = shippedPriceTable();
  const advisor = shippedSpotAdvisor();
  const model = defaultPriceModel();
  const end = Math.max(...histories.flatMap((h) => h.points.map((p) => p.t)));
  const window = { start: end - WINDOW_HOURS * 3_600_000, end };

  const opp = timed((): OpportunityAnalysis => {
    const scored = scoreRegion({
      region: REGION,
      histories,
      onDemandPrice: (t) => table.price(REGION, t)?.usdPerHour,
      interruption: (t) => advisor.interruption(REGION, t),
      model: model.predict,
      window,
    });
    return summariseOpportunities([REGION], scored.opportunities, scored.problems);
  });

  const types = [...new Set(histories.map((h) => h.instanceType))].sort();
  const clusters = generateClusters(types);
  const book: FleetPriceBook = { onDemand: {}, spot: {} };
  for (const t of [...types, ...table.rows.map((r) => r.instanceType)]) {
    const row = table.price(REGION, t);
    if (row)
      book.onDemand[`${REGION}/${t}`] = {
        region: REGION,
        instanceType: t,
        usdPerHour: row.usdPerHour,
        source: 'fallback-table',
        sourceDate: row.sourceDate,
      };
  }
  for (const t of types) {
    const prices = opp.result.all.filter((o) => o.instanceType === t).map((o) => o.currentPrice);
    if (prices.length)
      book.spot[`${REGION}/${t}`] = {
        usdPerHour: prices.reduce((s, x) => s + x, 0) / prices.length,
        source: 'spot-history',
        pools: prices.length,
      };
  }
  const pools: PlacementPool[] = opp.result.all.map((o) => ({
    instanceType: o.instanceType,
    availabilityZone: o.availabilityZone,
    spotPrice: o.forecastPrice,
    onDemandPrice: o.onDemandPrice,
    risk: o.interruptionRisk,
    interruptionRate: o.expectedInterruptionRate,
    ...(table.spec(o.instanceType) ?? { vcpu: 0, memoryGiB: 0 }),
  }));
  const timetable = { businessDays: [1, 2, 3, 4, 5], holidays: ['2026-01-26', '2026-08-15', '2026-10-02'] };
  const cost = timed(() => {
    const fleet = analyseFleetCost(clusters, timetable, book);
    return recommend({ clusters, cost: fleet, book, poolsByRegion: { [REGION]: pools }, spec: (t) => table.spec(t) });
  });
  if (opp.result.totalOpportunities === 0 || cost.result.recommendations.length === 0)
    throw new Error('bench produced no results');

  process.stdout.write(
    `${JSON.stringify({ bench: 'cost', pools: opp.result.totalOpportunities, opportunity_ms: opp.ms, clusters: clusters.length, cost_analysis_ms: cost.ms })}\n`,
  );
}

main();
