import { readFileSync } from 'node:fs';
import { shippedPriceTable, shippedSpotAdvisor } from '../../../src/data/pricing';
import { clipToWindow, parseSpotPriceCsv, type SpotPoolHistory } from '../../../src/domain/pricing/spot-history';
import { scoreRegion, summariseOpportunities, windowSeries } from '../../../src/domain/spot/opportunities';
import { mlPriceModel, simplePriceModel } from '../../../src/ml/price-model';
import { SPOT_CSV } from './helpers';

const H = 3_600_000;
const table = shippedPriceTable();
const advisor = shippedSpotAdvisor();

describe('window of a change-point history', () => {
  const history: SpotPoolHistory = {
    region: 'us-east-1',
    instanceType: 'm5.large',
    availabilityZone: 'us-east-1a',
    points: [
      { t: 0, price: 0.04 },
      { t: 10 * H, price: 0.041 },
      { t: 30 * H, price: 0.039 },
    ],
  };

  it('carries the price in effect at the start and extends the last price to the end', () => {
    expect(clipToWindow(history, 20 * H, 40 * H).points).toEqual([
      { t: 10 * H, price: 0.041 },
      { t: 30 * H, price: 0.039 },
    ]);
    expect(windowSeries(history, 20 * H, 40 * H)).toEqual([
      { t: 20 * H, price: 0.041 },
      { t: 30 * H, price: 0.039 },
      { t: 40 * H, price: 0.039 },
    ]);
    // No change inside the window: the old price still holds (AWS returns it too).
    expect(windowSeries(history, 50 * H, 60 * H)).toEqual([
      { t: 50 * H, price: 0.039 },
      { t: 60 * H, price: 0.039 },
    ]);
    expect(windowSeries({ ...history, points: [{ t: 70 * H, price: 1 }] }, 50 * H, 60 * H)).toEqual([]);
  });
});

describe('opportunities over the real us-east-1 spot history (last 7 days)', () => {
  const histories = parseSpotPriceCsv(readFileSync(SPOT_CSV, 'utf8'), SPOT_CSV);
  const end = Date.parse('2021-05-14T00:00:00Z');
  const window = { start: end - 168 * H, end };
  const input = {
    region: 'us-east-1',
    histories,
    onDemandPrice: (t: string) => table.price('us-east-1', t)?.usdPerHour,
    interruption: (t: string) => advisor.interruption('us-east-1', t),
    window,
  };

  it('scores every type × AZ pool with the ML model and ranks the top 20', () => {
    expect(histories).toHaveLength(80);
    const { opportunities, problems } = scoreRegion({ ...input, model: mlPriceModel.predict });
    expect(problems).toEqual([]);
    expect(opportunities).toHaveLength(80);
    const a = summariseOpportunities(['us-east-1'], opportunities, problems);
    expect(a.top).toHaveLength(20);
    expect(a.top.map((o) => o.opportunityScore)).toEqual(
      [...a.top.map((o) => o.opportunityScore)].sort((x, y) => y - x),
    );
    for (const o of a.all) {
      expect(o.savingsPercent).toBeGreaterThan(30);
      expect(o.savingsPercent).toBeLessThan(80);
      expect(o.recommended).toBe(o.opportunityScore > 75);
      expect(o.volatility).toBeGreaterThanOrEqual(0);
      expect(o.volatility).toBeLessThanOrEqual(1);
    }
    expect(a.summary.recommendedCount).toBe(a.all.filter((o) => o.recommended).length);
    expect(a.summary.bestSavingsPercent).toBe(Math.max(...a.all.map((o) => o.savingsPercent)));
    // Low-risk c5 and r5 pools rank above very-high-risk m5.xlarge ones.
    const rank = (type: string) => a.all.findIndex((o) => o.instanceType === type);
    expect(rank('c5.large')).toBeLessThan(rank('m5.xlarge'));
  });

  it('gives the same current prices with the simple model (only trend/volatility differ)', () => {
    const ml = scoreRegion({ ...input, model: mlPriceModel.predict }).opportunities;
    const simple = scoreRegion({ ...input, model: simplePriceModel.predict }).opportunities;
    expect(simple.map((o) => o.currentPrice)).toEqual(ml.map((o) => o.currentPrice));
  });

  it('reports a region without On-Demand prices in one clear message instead of failing', () => {
    const saoPaulo = histories.map((h) => ({
      ...h,
      region: 'sa-east-1',
      availabilityZone: h.availabilityZone.replace('us-east-1', 'sa-east-1'),
    }));
    const r = scoreRegion({
      ...input,
      region: 'sa-east-1',
      histories: saoPaulo,
      onDemandPrice: (t) => table.price('sa-east-1', t)?.usdPerHour,
      model: mlPriceModel.predict,
    });
    expect(r.opportunities).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(
      /^sa-east-1: no On-Demand price for c5\.2xlarge, c5\.large, .* — their spot pools are not scored/,
    );
    const a = summariseOpportunities(['sa-east-1'], [], r.problems);
    expect(a.summary).toEqual({ avgSavingsPercent: 0, bestSavingsPercent: 0, recommendedCount: 0 });
  });
});
