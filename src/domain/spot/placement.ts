import { riskRank, type InterruptionRisk, type RiskLevel } from '../pricing/spot-advisor';

export interface PlacementRequest {
  /** Minimum vCPU of each node. */
  vcpu: number;
  /** Minimum memory of each node, GiB. */
  memoryGiB: number;
  /** Nodes to place. */
  count: number;
  /** Highest interruption risk a pool may have. */
  maxRisk: RiskLevel;
  /** Largest share of the nodes in one pool (type × AZ). Default 0.4. */
  maxPoolShare?: number;
  /** Largest share of the nodes in one Availability Zone. Default 0.7, so at least two AZs. */
  maxAzShare?: number;
  /**
   * Hours a node group runs on On-Demand after an interruption before spot capacity is back
   * (capacity rebalancing, fallback). Prices the risk in the expected cost. Default 24.
   */
  fallbackHours?: number;
}

export interface PlacementPool {
  instanceType: string;
  availabilityZone: string;
  /** Expected spot price per node-hour: the forecast when a model gave one, else the current price. */
  spotPrice: number;
  onDemandPrice: number;
  risk: InterruptionRisk;
  /** Expected share of instances interrupted per month. */
  interruptionRate: number;
  vcpu: number;
  memoryGiB: number;
}

export interface PlacementAllocation {
  instanceType: string;
  availabilityZone: string;
  count: number;
  spotPrice: number;
  expectedPricePerNode: number;
  risk: InterruptionRisk;
}

export interface PlacementResult {
  feasible: boolean;
  request: Required<PlacementRequest>;
  capPerPool: number;
  capPerAz: number;
  allocations: PlacementAllocation[];
  placed: number;
  /** Expected USD per hour of the placed nodes, interruptions included. */
  expectedHourlyCost: number;
  /** The same nodes on On-Demand (each pool's type at its On-Demand price). */
  onDemandHourlyCost: number;
  savingsPercent: number;
  excluded: { tooSmall: number; tooRisky: number; unpriced: number };
  explanation: string[];
}

const HOURS_PER_MONTH = 730;

/**
 * Expected price of a node-hour in a pool: spot most of the time, On-Demand for the fallback hours
 * that follow each interruption (`rate` interruptions per instance-month).
 */
export function expectedPricePerNode(pool: PlacementPool, fallbackHours: number): number {
  const onDemandShare = Math.min(1, (pool.interruptionRate * fallbackHours) / HOURS_PER_MONTH);
  return pool.spotPrice * (1 - onDemandShare) + pool.onDemandPrice * onDemandShare;
}

export function withDefaults(req: PlacementRequest): Required<PlacementRequest> {
  return { maxPoolShare: 0.4, maxAzShare: 0.7, fallbackHours: 24, ...req };
}

/** A cap as a node count: the share of `count`, rounded down, but never below one node. */
export function capFor(count: number, share: number): number {
  return Math.max(1, Math.floor(count * share + 1e-9));
}

/**
 * Chooses pools for `count` nodes at the lowest expected cost, with at most `capPerPool` nodes in
 * any pool and `capPerAz` in any AZ. Pools nest inside AZs, so these caps form a laminar matroid and
 * filling the cheapest pool first, up to whichever cap binds, is optimal. Ties go to the pool with
 * the lower risk, then to an AZ with fewer nodes so far, then by name for a stable answer.
 */
export function planPlacement(request: PlacementRequest, pools: PlacementPool[]): PlacementResult {
  const req = withDefaults(request);
  const capPerPool = capFor(req.count, req.maxPoolShare);
  const capPerAz = capFor(req.count, req.maxAzShare);
  const excluded = { tooSmall: 0, tooRisky: 0, unpriced: 0 };
  const eligible: (PlacementPool & { expected: number })[] = [];
  for (const pool of pools) {
    if (!(pool.spotPrice > 0) || !(pool.onDemandPrice > 0)) excluded.unpriced++;
    else if (pool.vcpu < req.vcpu || pool.memoryGiB < req.memoryGiB) excluded.tooSmall++;
    else if (riskRank(pool.risk) > riskRank(req.maxRisk)) excluded.tooRisky++;
    else eligible.push({ ...pool, expected: expectedPricePerNode(pool, req.fallbackHours) });
  }
  eligible.sort(
    (a, b) => a.expected - b.expected || riskRank(a.risk) - riskRank(b.risk) || a.instanceType.localeCompare(b.instanceType) || a.availabilityZone.localeCompare(b.availabilityZone),
  );

  const perAz = new Map<string, number>();
  const allocations: PlacementAllocation[] = [];
  let placed = 0;
  let remaining = [...eligible];
  while (placed < req.count && remaining.length > 0) {
    // Among the cheapest pools of equal expected price, prefer the AZ used least so far.
    const cheapest = remaining[0].expected;
    const ties = remaining.filter((p) => Math.abs(p.expected - cheapest) < 1e-12 && (perAz.get(p.availabilityZone) ?? 0) < capPerAz);
    const pool = ties.sort((a, b) => (perAz.get(a.availabilityZone) ?? 0) - (perAz.get(b.availabilityZone) ?? 0))[0] ?? remaining.find((p) => (perAz.get(p.availabilityZone) ?? 0) < capPerAz);
    if (!pool) break;
    remaining = remaining.filter((p) => p !== pool);
    const room = Math.min(capPerPool, capPerAz - (perAz.get(pool.availabilityZone) ?? 0), req.count - placed);
    if (room <= 0) continue;
    allocations.push({ instanceType: pool.instanceType, availabilityZone: pool.availabilityZone, count: room, spotPrice: pool.spotPrice, expectedPricePerNode: pool.expected, risk: pool.risk });
    perAz.set(pool.availabilityZone, (perAz.get(pool.availabilityZone) ?? 0) + room);
    placed += room;
  }

  const expectedHourlyCost = allocations.reduce((s, a) => s + a.count * a.expectedPricePerNode, 0);
  const onDemandHourlyCost = allocations.reduce((s, a) => s + a.count * (pools.find((p) => p.instanceType === a.instanceType)?.onDemandPrice ?? 0), 0);
  const result: PlacementResult = {
    feasible: placed === req.count,
    request: req,
    capPerPool,
    capPerAz,
    allocations,
    placed,
    expectedHourlyCost,
    onDemandHourlyCost,
    savingsPercent: onDemandHourlyCost > 0 ? ((onDemandHourlyCost - expectedHourlyCost) / onDemandHourlyCost) * 100 : 0,
    excluded,
    explanation: [],
  };
  result.explanation = explainPlacement(result, eligible);
  return result;
}

function usd(x: number): string {
  return `$${x.toFixed(4)}`;
}

function explainPlacement(r: PlacementResult, ranked: (PlacementPool & { expected: number })[]): string[] {
  const q = r.request;
  const lines: string[] = [];
  lines.push(
    `Need ${q.count} node(s) with ≥${q.vcpu} vCPU and ≥${q.memoryGiB} GiB at interruption risk ≤ ${q.maxRisk}; ` +
      `at most ${r.capPerPool} per pool (${Math.round(q.maxPoolShare * 100)}%) and ${r.capPerAz} per AZ (${Math.round(q.maxAzShare * 100)}%).`,
  );
  lines.push(
    `${ranked.length} pool(s) qualify; excluded ${r.excluded.tooSmall} too small, ${r.excluded.tooRisky} above the risk limit, ${r.excluded.unpriced} without prices.`,
  );
  if (r.allocations.length > 0) {
    const pools = new Set(r.allocations.map((a) => a.instanceType)).size;
    const azs = new Set(r.allocations.map((a) => a.availabilityZone)).size;
    lines.push(
      `Filled the cheapest pools by expected price (spot, plus ${q.fallbackHours} h of On-Demand after each expected interruption) up to the caps: ` +
        `${r.allocations.length} pool(s) over ${pools} type(s) and ${azs} AZ(s), ${usd(r.expectedHourlyCost)}/h expected vs ${usd(r.onDemandHourlyCost)}/h On-Demand (${r.savingsPercent.toFixed(1)}% less).`,
    );
    const used = new Set(r.allocations.map((a) => `${a.instanceType}/${a.availabilityZone}`));
    const nextUnused = ranked.find((p) => !used.has(`${p.instanceType}/${p.availabilityZone}`));
    if (nextUnused) lines.push(`Next cheapest unused pool: ${nextUnused.instanceType} in ${nextUnused.availabilityZone} at ${usd(nextUnused.expected)}/h expected.`);
  }
  if (!r.feasible) {
    lines.push(
      `Only ${r.placed} of ${q.count} node(s) could be placed: too few qualifying pools or AZs for the caps. Allow a higher risk, smaller nodes, more instance types, or a larger share per pool.`,
    );
  }
  return lines;
}
