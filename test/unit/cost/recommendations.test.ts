import { parseConfig } from '../../../src/config/load';
import { analyseFleetCost } from '../../../src/domain/cost/cost-model';
import type { FleetPriceBook } from '../../../src/domain/cost/prices';
import { recommend } from '../../../src/domain/cost/recommendations';
import type { PlacementPool } from '../../../src/domain/spot/placement';

const config = parseConfig({
  clusters: [
    {
      name: 'shop',
      accountId: '123456789012',
      region: 'us-east-1',
      nodegroups: [
        {
          name: 'web',
          instanceTypes: ['m5.large'],
          businessHours: { min: 2, desired: 6, max: 10 },
          offHours: { min: 2, desired: 2, max: 10 },
        },
        {
          name: 'api',
          instanceTypes: ['m5.large'],
          businessHours: { min: 4, desired: 4, max: 8 },
          offHours: { min: 4, desired: 4, max: 8 },
        },
        {
          name: 'db',
          workload: 'stateful',
          instanceTypes: ['r5.large'],
          businessHours: { min: 3, desired: 3, max: 3 },
          offHours: { min: 3, desired: 3, max: 3 },
        },
        {
          name: 'batch',
          scalingMode: 'bounds',
          capacityType: 'SPOT',
          instanceTypes: ['c5.large'],
          floor: 0,
          businessHours: { min: 2, desired: 4, max: 10 },
          offHours: { min: 2, desired: 2, max: 10 },
        },
      ],
    },
    {
      name: 'mumbai',
      accountId: '123456789012',
      region: 'ap-south-1',
      nodegroups: [
        {
          name: 'web',
          instanceTypes: ['m5.large'],
          businessHours: { min: 1, desired: 2, max: 4 },
          offHours: { min: 1, desired: 1, max: 4 },
        },
      ],
    },
  ],
});

const od = (instanceType: string, usdPerHour: number) => ({
  [`us-east-1/${instanceType}`]: { region: 'us-east-1', instanceType, usdPerHour, source: 'pricing-api' as const },
});
const book: FleetPriceBook = {
  onDemand: {
    ...od('m5.large', 0.096),
    ...od('r5.large', 0.126),
    ...od('c5.large', 0.085),
    ...od('m6g.large', 0.077),
    ...od('m7g.large', 0.0816),
    ...od('r6g.large', 0.1008),
    ...od('c6g.large', 0.068),
  },
  spot: { 'us-east-1/c5.large': { usdPerHour: 0.035, source: 'spot-history', pools: 5 } },
};

const pool = (
  instanceType: string,
  az: string,
  spotPrice: number,
  onDemandPrice: number,
  risk: 'low' | 'medium',
  vcpu: number,
  memoryGiB: number,
): PlacementPool => ({
  instanceType,
  availabilityZone: az,
  spotPrice,
  onDemandPrice,
  risk,
  interruptionRate: risk === 'low' ? 0.025 : 0.075,
  vcpu,
  memoryGiB,
});
const pools: PlacementPool[] = ['a', 'b', 'c'].flatMap((az) => [
  pool('m5.large', `us-east-1${az}`, 0.04, 0.096, 'medium', 2, 8),
  pool('m5a.large', `us-east-1${az}`, 0.038, 0.086, 'medium', 2, 8),
  pool('c5.large', `us-east-1${az}`, 0.034, 0.085, 'low', 2, 4),
  pool('c5a.large', `us-east-1${az}`, 0.033, 0.077, 'low', 2, 4),
]);
const specs: Record<string, { vcpu: number; memoryGiB: number }> = {
  'm5.large': { vcpu: 2, memoryGiB: 8 },
  'r5.large': { vcpu: 2, memoryGiB: 16 },
  'c5.large': { vcpu: 2, memoryGiB: 4 },
};

describe('recommendations', () => {
  const cost = analyseFleetCost(config.clusters, config.timetable, book);
  const set = recommend({
    clusters: config.clusters,
    cost,
    book,
    poolsByRegion: { 'us-east-1': pools },
    spec: (t) => specs[t],
  });
  const kinds = (nodegroup: string) =>
    set.recommendations
      .filter((r) => r.nodegroup === nodegroup && r.cluster === 'shop')
      .map((r) => r.kind)
      .sort();

  it('moves stateless On-Demand groups to diversified spot, never stateful ones', () => {
    const web = set.recommendations.find((r) => r.nodegroup === 'web' && r.kind === 'spot-diversify')!;
    expect(web.estimatedMonthlySavings).toBeGreaterThan(0);
    expect(web.detail).toMatch(/m5a\.large/);
    expect(kinds('db')).not.toContain('spot-diversify');
  });

  it('suggests an off-hours size only where the timetable saves nothing, and lowers a bounds-mode minimum', () => {
    expect(kinds('api')).toContain('offhours-size');
    expect(kinds('web')).not.toContain('offhours-size');
    const batchMin = set.recommendations.find((r) => r.nodegroup === 'batch' && r.kind === 'offhours-min')!;
    expect(batchMin.upperBound).toBe(true);
    // 2 spare nodes × off hours per month × 0.035
    expect(batchMin.estimatedMonthlySavings).toBeCloseTo(2 * cost.schedule.monthly.off * 0.035, 2);
  });

  it('recommends Graviton where priced and says so where not', () => {
    const g = set.recommendations.find((r) => r.nodegroup === 'db' && r.kind === 'graviton')!;
    // r6g.large 0.1008 vs r5.large 0.126 → 20% of the group's cost.
    expect(g.title).toMatch(/r6g\.large/);
    expect(g.estimatedMonthlySavings).toBeCloseTo(cost.clusters[0].nodegroups[2].monthly * 0.2, 1);
    expect(set.notes.join('\n')).not.toMatch(/shop\/db/);
  });

  it('skips node groups without prices (ap-south-1) without failing', () => {
    expect(set.recommendations.some((r) => r.region === 'ap-south-1')).toBe(false);
    expect(cost.problems.some((p) => p.startsWith('mumbai/web:'))).toBe(true);
  });

  it('sorts by savings and counts one recommendation per group in the headline', () => {
    const s = set.recommendations.map((r) => r.estimatedMonthlySavings);
    expect(s).toEqual([...s].sort((a, b) => b - a));
    const best = new Map<string, number>();
    for (const r of set.recommendations)
      best.set(r.nodegroup, Math.max(best.get(r.nodegroup) ?? 0, r.estimatedMonthlySavings));
    expect(set.totalEstimatedMonthlySavings).toBeCloseTo(
      [...best.values()].reduce((a, b) => a + b, 0),
      2,
    );
  });
});
