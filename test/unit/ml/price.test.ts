import { predictSpotPrice, resampleHourly, type PricePoint } from '../../../src/ml/price';
import { seededRandom } from '../../../src/ml/metrics';

const HOUR = 3_600_000;
const T0 = Date.UTC(2021, 2, 1);

/** A price history sampled hourly for `days`, as change points. */
function hourlyHistory(days: number, priceAt: (hour: number) => number): PricePoint[] {
  return Array.from({ length: days * 24 + 1 }, (_, h) => ({ t: T0 + h * HOUR, price: priceAt(h) }));
}

describe('spot price predictor', () => {
  it('reports a recent step up as an increasing trend, and a step down as decreasing', () => {
    const days = 20;
    const stepAt = days * 24 - 10;
    const up = predictSpotPrice(hourlyHistory(days, (h) => (h < stepAt ? 0.05 : 0.055)));
    expect(up.trend).toBe('increasing');
    expect(up.current).toBeCloseTo(0.055, 12);
    const down = predictSpotPrice(hourlyHistory(days, (h) => (h < stepAt ? 0.05 : 0.045)));
    expect(down.trend).toBe('decreasing');
  });

  it('calls a flat price stable, with zero volatility and a narrow interval around it', () => {
    const flat = predictSpotPrice(hourlyHistory(20, () => 0.0375));
    expect(flat.trend).toBe('stable');
    expect(flat.volatility).toBe(0);
    expect(flat.forecast).toBeCloseTo(0.0375, 12);
    expect(flat.lower).toBeLessThan(0.0375);
    expect(flat.upper).toBeGreaterThan(0.0375);
    expect((flat.upper - flat.lower) / 0.0375).toBeLessThan(0.01);
  });

  it('continues a steady rise and calls it increasing', () => {
    const rising = predictSpotPrice(hourlyHistory(20, (h) => 0.04 * (1 + 0.0005 * h)));
    expect(rising.trend).toBe('increasing');
    expect(rising.forecast).toBeGreaterThan(rising.current);
    expect(rising.lower).toBeLessThanOrEqual(rising.forecast);
    expect(rising.upper).toBeGreaterThanOrEqual(rising.forecast);
  });

  it('scores a jumpy price as more volatile than a calm one, both within [0, 1]', () => {
    const random = seededRandom(3);
    const calm = predictSpotPrice(hourlyHistory(20, (h) => 0.05 + 0.0001 * Math.sin(h / 10)));
    const jumpy = predictSpotPrice(hourlyHistory(20, () => 0.05 * (1 + 0.05 * (random() - 0.5))));
    expect(calm.volatility).toBeGreaterThanOrEqual(0);
    expect(jumpy.volatility).toBeLessThanOrEqual(1);
    expect(jumpy.volatility).toBeGreaterThan(calm.volatility + 0.2);
  });

  it('works on sparse change points and forecasts from `now`', () => {
    const history: PricePoint[] = [
      { t: T0, price: 0.1 },
      { t: T0 + 50 * HOUR, price: 0.11 },
      { t: T0 + 300 * HOUR, price: 0.105 },
    ];
    const now = T0 + 400 * HOUR;
    const result = predictSpotPrice(history, { now, horizonHours: 24 });
    expect(result.current).toBe(0.105);
    expect(result.hourly).toHaveLength(24);
    expect(result.hourly[0].t).toBe(now + HOUR);
    expect(result.hourly[23].t).toBe(now + 24 * HOUR);
    // Changes after `now` are not used.
    const ignoringFuture = predictSpotPrice([...history, { t: now + 5 * HOUR, price: 1 }], { now });
    expect(ignoringFuture).toEqual(result);
  });

  it('resamples change points hourly by carrying the price forward', () => {
    const history = [
      { t: T0, price: 1 },
      { t: T0 + 90 * 60_000, price: 2 },
    ];
    expect(resampleHourly(history, T0, T0 + 3 * HOUR)).toEqual([1, 1, 2, 2]);
  });

  it('rejects a history without a valid price', () => {
    expect(() => predictSpotPrice([])).toThrow(/no valid price/);
  });
});
