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
   * Largest share of the nodes on one instance type (across AZs). Default 0.5, so at least two
   * types: a capacity crunch often hits one type in every AZ at once.
   */
  maxTypeShare?: number;
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
  capPerType: number;
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
  return { maxPoolShare: 0.4, maxAzShare: 0.7, maxTypeShare: 0.5, fallbackHours: 24, ...req };
}

/** A cap as a node count: the share of `count`, rounded down, but never below one node. */
export function capFor(count: number, share: number): number {
  return Math.max(1, Math.floor(count * share + 1e-9));
}

interface Edge {
  to: number;
  cap: number;
  cost: number;
  /** Index of the reverse edge in graph[to]. */
  rev: number;
  /** The pool this edge stands for (type → AZ edges only). */
  pool?: number;
}

/**
 * Min-cost flow by successive shortest paths (Bellman-Ford, since residual edges carry negative
 * costs). Returns the flow pushed, at most `want`. Graphs here have a few dozen nodes.
 */
function minCostFlow(graph: Edge[][], source: number, sink: number, want: number): number {
  let flow = 0;
  while (flow < want) {
    const dist = new Array<number>(graph.length).fill(Infinity);
    const prev: ({ node: number; edge: number } | undefined)[] = new Array(graph.length).fill(undefined);
    dist[source] = 0;
    for (let round = 0; round < graph.length; round++) {
      let changed = false;
      for (let u = 0; u < graph.length; u++) {
        if (dist[u] === Infinity) continue;
        graph[u].forEach((e, i) => {
          if (e.cap > 0 && dist[u] + e.cost < dist[e.to] - 1e-12) {
            dist[e.to] = dist[u] + e.cost;
            prev[e.to] = { node: u, edge: i };
            changed = true;
          }
        });
      }
      if (!changed) break;
    }
    if (dist[sink] === Infinity) break;
    let push = want - flow;
    for (let v = sink; v !== source; v = prev[v]!.node) push = Math.min(push, graph[prev[v]!.node][prev[v]!.edge].cap);
    for (let v = sink; v !== source; v = prev[v]!.node) {
      const e = graph[prev[v]!.node][prev[v]!.edge];
      e.cap -= push;
      graph[v][e.rev].cap += push;
    }
    flow += push;
  }
  return flow;
}

function addEdge(graph: Edge[][], from: number, to: number, cap: number, cost: number, pool?: number): void {
  graph[from].push({ to, cap, cost, rev: graph[to].length, pool });
  graph[to].push({ to: from, cap: 0, cost: -cost, rev: graph[from].length - 1 });
}

/**
 * Chooses pools for `count` nodes at the lowest expected cost with at most `capPerPool` nodes in a
 * pool, `capPerType` on one instance type and `capPerAz` in one AZ. Those caps are a flow network
 * (source → type → pool → AZ → sink), so a min-cost flow gives the exact optimum — or, when the
 * caps cannot all be met, the cheapest placement of as many nodes as they allow.
 */
export function planPlacement(request: PlacementRequest, pools: PlacementPool[]): PlacementResult {
  const req = withDefaults(request);
  const capPerPool = capFor(req.count, req.maxPoolShare);
  const capPerAz = capFor(req.count, req.maxAzShare);
  const capPerType = capFor(req.count, req.maxTypeShare);
  const excluded = { tooSmall: 0, tooRisky: 0, unpriced: 0 };
  const eligible: (PlacementPool & { expected: number })[] = [];
  for (const pool of pools) {
    if (!(pool.spotPrice > 0) || !(pool.onDemandPrice > 0)) excluded.unpriced++;
    else if (pool.vcpu < req.vcpu || pool.memoryGiB < req.memoryGiB) excluded.tooSmall++;
    else if (riskRank(pool.risk) > riskRank(req.maxRisk)) excluded.tooRisky++;
    else eligible.push({ ...pool, expected: expectedPricePerNode(pool, req.fallbackHours) });
  }
  // Cheapest first, so among equal-cost answers the search meets the cheaper, lower-risk pools first.
  eligible.sort(
    (a, b) =>
      a.expected - b.expected ||
      riskRank(a.risk) - riskRank(b.risk) ||
      a.instanceType.localeCompare(b.instanceType) ||
      a.availabilityZone.localeCompare(b.availabilityZone),
  );

  const types = [...new Set(eligible.map((p) => p.instanceType))];
  const azs = [...new Set(eligible.map((p) => p.availabilityZone))];
  const SOURCE = 0;
  const SINK = 1;
  const typeNode = (t: string) => 2 + types.indexOf(t);
  const azNode = (az: string) => 2 + types.length + azs.indexOf(az);
  const graph: Edge[][] = Array.from({ length: 2 + types.length + azs.length }, () => []);
  for (const t of types) addEdge(graph, SOURCE, typeNode(t), capPerType, 0);
  eligible.forEach((p, i) =>
    addEdge(graph, typeNode(p.instanceType), azNode(p.availabilityZone), capPerPool, p.expected, i),
  );
  for (const az of azs) addEdge(graph, azNode(az), SINK, capPerAz, 0);
  const placed = minCostFlow(graph, SOURCE, SINK, req.count);

  const allocations: PlacementAllocation[] = [];
  for (const edges of graph) {
    for (const e of edges) {
      if (e.pool === undefined) continue;
      const used = capPerPool - e.cap;
      if (used <= 0) continue;
      const p = eligible[e.pool];
      allocations.push({
        instanceType: p.instanceType,
        availabilityZone: p.availabilityZone,
        count: used,
        spotPrice: p.spotPrice,
        expectedPricePerNode: p.expected,
        risk: p.risk,
      });
    }
  }
  allocations.sort(
    (a, b) =>
      a.expectedPricePerNode - b.expectedPricePerNode ||
      b.count - a.count ||
      a.instanceType.localeCompare(b.instanceType) ||
      a.availabilityZone.localeCompare(b.availabilityZone),
  );

  const expectedHourlyCost = allocations.reduce((s, a) => s + a.count * a.expectedPricePerNode, 0);
  const onDemandHourlyCost = allocations.reduce(
    (s, a) => s + a.count * (pools.find((p) => p.instanceType === a.instanceType)?.onDemandPrice ?? 0),
    0,
  );
  const result: PlacementResult = {
    feasible: placed === req.count,
    request: req,
    capPerPool,
    capPerAz,
    capPerType,
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
      `at most ${r.capPerPool} per pool (${Math.round(q.maxPoolShare * 100)}%), ${r.capPerType} per instance type (${Math.round(q.maxTypeShare * 100)}%) and ${r.capPerAz} per AZ (${Math.round(q.maxAzShare * 100)}%).`,
  );
  if (ranked.length + r.excluded.tooSmall + r.excluded.tooRisky + r.excluded.unpriced === 0) {
    lines.push(
      'No spot pool was offered: the region has no scored pools (no spot history, or no On-Demand price to compare with).',
    );
  }
  lines.push(
    `${ranked.length} pool(s) qualify; excluded ${r.excluded.tooSmall} too small, ${r.excluded.tooRisky} above the risk limit, ${r.excluded.unpriced} without prices.`,
  );
  if (r.allocations.length > 0) {
    const pools = new Set(r.allocations.map((a) => a.instanceType)).size;
    const azs = new Set(r.allocations.map((a) => a.availabilityZone)).size;
    lines.push(
      `Chose the cheapest mix by expected price (spot, plus ${q.fallbackHours} h of On-Demand after each expected interruption) within the caps (exact min-cost flow): ` +
        `${r.allocations.length} pool(s) over ${pools} type(s) and ${azs} AZ(s), ${usd(r.expectedHourlyCost)}/h expected vs ${usd(r.onDemandHourlyCost)}/h On-Demand (${r.savingsPercent.toFixed(1)}% less).`,
    );
    const used = new Set(r.allocations.map((a) => `${a.instanceType}/${a.availabilityZone}`));
    const nextUnused = ranked.find((p) => !used.has(`${p.instanceType}/${p.availabilityZone}`));
    if (nextUnused)
      lines.push(
        `Next cheapest unused pool: ${nextUnused.instanceType} in ${nextUnused.availabilityZone} at ${usd(nextUnused.expected)}/h expected.`,
      );
  }
  if (!r.feasible) {
    lines.push(
      `Only ${r.placed} of ${q.count} node(s) could be placed: too few qualifying pools, types or AZs for the caps. Allow a higher risk, smaller nodes, more instance types, or larger shares.`,
    );
  }
  return lines;
}
