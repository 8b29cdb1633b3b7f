import { gaussian, mean, meanAbsoluteError, naiveScale, quantile, seededRandom } from '../../../src/ml/metrics';
import { regularise } from '../../../src/ml/series';

describe('regularise', () => {
  const step = 300_000;
  it('fills missing periods with the last value and averages duplicates', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const points = [
      { t: t0 + 3 * step, value: 7 },
      { t: t0, value: 1 },
      { t: t0 + step, value: 2 },
      { t: t0 + step + 1000, value: 4 },
    ];
    expect(regularise(points, step)).toEqual({ start: t0, values: [1, 3, 3, 7] });
  });
  it('returns nothing for no points', () => {
    expect(regularise([], step).values).toEqual([]);
  });
});

describe('metrics', () => {
  it('computes type-7 quantiles, MAE and the naive MASE scale', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5, 1, 3], 0)).toBe(1);
    expect(quantile([5, 1, 3], 1)).toBe(5);
    expect(meanAbsoluteError([1, 2, 3], [2, 2, 5])).toBe(1);
    expect(naiveScale([1, 3, 2, 2])).toBe(1);
    expect(mean([])).toBeNaN();
  });
  it('draws the same numbers from the same seed', () => {
    const a = gaussian(seededRandom(42));
    const b = gaussian(seededRandom(42));
    const drawsA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(drawsA);
    const uniform = Array.from({ length: 1000 }, seededRandom(1));
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniform)).toBeLessThan(1);
  });
});
