import { opportunityScore, RISK_PENALTY, savingsPercent, TREND_ADJUSTMENT } from '../../../src/domain/spot/scoring';
import { riskFromBucket, riskRank } from '../../../src/domain/pricing/spot-advisor';
import { simplePriceOutlook } from '../../../src/domain/spot/price-outlook';

describe('opportunity score (the original design formula)', () => {
  it('adds savings (capped at 90), stability bonus, risk penalty and trend adjustment', () => {
    // 60 + (1 − 0.1) × 20 − 10 + 0 = 68
    expect(opportunityScore({ savingsPercent: 60, volatility: 0.1, risk: 'medium', trend: 'stable' })).toBeCloseTo(
      68,
      10,
    );
    // min(95, 90) + 20 + 0 + 15 = 125 → clamped to 100
    expect(opportunityScore({ savingsPercent: 95, volatility: 0, risk: 'low', trend: 'decreasing' })).toBe(100);
    // 10 + 0 − 40 − 10 → clamped to 0
    expect(opportunityScore({ savingsPercent: 10, volatility: 1, risk: 'very_high', trend: 'increasing' })).toBe(0);
  });

  it('uses the baseline defaults when the model gives no volatility or trend, and −15 for unknown risk', () => {
    // 50 + (1 − 0.5) × 20 − 15 + 0 = 45
    expect(opportunityScore({ savingsPercent: 50, risk: 'unknown' })).toBeCloseTo(45, 10);
  });

  it('keeps the documented penalty and adjustment tables', () => {
    expect(RISK_PENALTY).toEqual({ low: 0, medium: -10, high: -25, very_high: -40, unknown: -15 });
    expect(TREND_ADJUSTMENT).toEqual({ decreasing: 15, stable: 0, increasing: -10 });
  });

  it('computes savings against On-Demand', () => {
    expect(savingsPercent(0.0384, 0.096)).toBeCloseTo(60, 10);
  });

  it('maps Spot Advisor buckets onto risk levels in order', () => {
    expect([0, 1, 2, 3, 4].map(riskFromBucket)).toEqual(['low', 'medium', 'medium', 'high', 'very_high']);
    expect(riskRank('low')).toBeLessThan(riskRank('medium'));
    expect(riskRank('high')).toBeLessThan(riskRank('unknown'));
    expect(riskRank('unknown')).toBeLessThan(riskRank('very_high'));
  });
});

describe('simple price outlook', () => {
  const H = 3_600_000;
  it('calls a rising price increasing and a flat one stable', () => {
    const rising = Array.from({ length: 48 }, (_, i) => ({ t: i * H, price: 0.04 + i * 0.0002 }));
    const flat = [
      { t: 0, price: 0.05 },
      { t: 47 * H, price: 0.05 },
    ];
    expect(simplePriceOutlook(rising).trend).toBe('increasing');
    expect(simplePriceOutlook(rising).forecast).toBeGreaterThan(rising[47].price);
    const f = simplePriceOutlook(flat);
    expect(f).toMatchObject({ trend: 'stable', forecast: 0.05 });
    expect(f.volatility).toBeCloseTo(0, 12);
  });

  it('keeps volatility within 0..1', () => {
    const wild = Array.from({ length: 30 }, (_, i) => ({ t: i * H, price: i % 2 ? 0.01 : 1 }));
    const v = simplePriceOutlook(wild).volatility;
    expect(v).toBeGreaterThan(0.5);
    expect(v).toBeLessThanOrEqual(1);
  });
});
