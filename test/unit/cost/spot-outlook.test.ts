import { expensivePools, spotOutlookNote } from '../../../src/domain/spot/outlook-check';
import type { SpotOpportunity } from '../../../src/domain/spot/opportunities';
import { planPlacement, type PlacementPool } from '../../../src/domain/spot/placement';

function opportunity(instanceType: string, az: string, forecastPrice: number, onDemandPrice = 0.096): SpotOpportunity {
  return {
    region: 'us-east-1',
    instanceType,
    availabilityZone: az,
    currentPrice: forecastPrice,
    onDemandPrice,
    savingsPercent: 100 * (1 - forecastPrice / onDemandPrice),
    interruptionRisk: 'low',
    interruptionLabel: '<5%',
    expectedInterruptionRate: 0.025,
    priceTrend: 'increasing',
    volatility: 0.1,
    forecastPrice,
    forecastLower: forecastPrice * 0.95,
    forecastUpper: forecastPrice * 1.05,
    opportunityScore: 50,
    recommended: false,
    priceChanges: 3,
  };
}

const pool = (instanceType: string, az: string, spotPrice: number): PlacementPool => ({
  instanceType,
  availabilityZone: az,
  spotPrice,
  onDemandPrice: 0.096,
  risk: 'low',
  interruptionRate: 0.025,
  vcpu: 2,
  memoryGiB: 8,
});

describe('spot price outlook before a scale-up', () => {
  const opportunities = [
    opportunity('m5.large', 'us-east-1a', 0.07), // 73% of On-Demand
    opportunity('m5.large', 'us-east-1b', 0.03), // 31%
    opportunity('c5.large', 'us-east-1a', 0.08, 0.085), // not the group's type
  ];

  it("flags only the group's pools predicted above the ceiling", () => {
    const expensive = expensivePools(opportunities, ['m5.large'], 0.6);
    expect(expensive.map((p) => `${p.instanceType}/${p.availabilityZone}`)).toEqual(['m5.large/us-east-1a']);
    expect(expensive[0].fraction).toBeCloseTo(0.07 / 0.096, 9);
    expect(expensivePools(opportunities, ['m5.large'], 0.8)).toEqual([]);
  });

  it('names the expensive pool, its interval and the recommended diversification', () => {
    const expensive = expensivePools(opportunities, ['m5.large'], 0.6);
    const placement = planPlacement({ vcpu: 2, memoryGiB: 8, count: 4, maxRisk: 'medium' }, [
      pool('m5.large', 'us-east-1b', 0.03),
      pool('m5a.large', 'us-east-1b', 0.032),
      pool('m5a.large', 'us-east-1c', 0.031),
      pool('t3.large', 'us-east-1c', 0.035),
    ]);
    const note = spotOutlookNote(expensive, 0.6, placement)!;
    expect(note).toMatch(
      /^spot price outlook: m5\.large\/us-east-1a predicted \$0\.0700\/h in 24 h \(90% interval \$0\.0665–\$0\.0735\) = 73% of On-Demand \$0\.0960 > 60% ceiling/,
    );
    expect(note).toMatch(/recommended diversification for 4 nodes: .*m5a\.large\/us-east-1[bc]/);
    expect(note).not.toMatch(/diversification.*m5\.large\/us-east-1a/);
  });

  it('says nothing when no pool is expensive, and says why when nothing can be planned', () => {
    expect(spotOutlookNote([], 0.6, null)).toBeNull();
    expect(spotOutlookNote(expensivePools(opportunities, ['m5.large'], 0.6), 0.6, null)).toMatch(
      /no placement could be planned/,
    );
  });
});
