import { forecastDemand } from '../../../src/ml/forecaster';
import { meanAbsoluteError, naiveScale, seededRandom } from '../../../src/ml/metrics';
import { businessHoursWeekly, dailySinePlusTrend } from '../../../src/ml/synthetic';

const HORIZON = 48; // 4 h of 5-minute steps

describe('demand forecaster', () => {
  it('forecasts a daily sine plus trend with MASE < 0.5 at every origin', () => {
    const series = dailySinePlusTrend({
      days: 8,
      stepMinutes: 5,
      level: 50,
      amplitude: 20,
      trendPerDay: 2,
      noise: 0.1,
      seed: 1,
    });
    for (const origin of [5 * 288, 5 * 288 + 100, 6 * 288 + 37, 7 * 288 + 200]) {
      const history = series.values.slice(0, origin);
      const actual = series.values.slice(origin, origin + HORIZON);
      const forecast = forecastDemand({ history, stepMinutes: 5, horizonSteps: HORIZON });
      expect(forecast.model).toBe('holt-winters/daily');
      expect(meanAbsoluteError(actual, forecast.point) / naiveScale(history)).toBeLessThan(0.5);
    }
  });

  it('puts the upper forecast above the point forecast and above most actual values', () => {
    const series = dailySinePlusTrend({
      days: 8,
      stepMinutes: 5,
      level: 50,
      amplitude: 20,
      trendPerDay: 0,
      noise: 3,
      seed: 2,
    });
    let below = 0;
    let total = 0;
    for (let origin = 5 * 288; origin + HORIZON <= series.values.length; origin += 144) {
      const forecast = forecastDemand({
        history: series.values.slice(0, origin),
        stepMinutes: 5,
        horizonSteps: HORIZON,
        upperQuantile: 0.9,
      });
      forecast.upper.forEach((u, h) => {
        expect(u).toBeGreaterThanOrEqual(forecast.point[h]);
        if (series.values[origin + h] <= u) below++;
        total++;
      });
    }
    expect(below / total).toBeGreaterThan(0.8);
  });

  it('predicts the morning load increase of a business-hours node group, and the evening decrease', () => {
    const series = businessHoursWeekly({ weeks: 3, stepMinutes: 5, seed: 4 });
    const stepsPerDay = 288;
    const thursday = 2 * 7 * stepsPerDay + 3 * stepsPerDay;
    const at0730 = thursday + (7 * 60 + 30) / 5;
    const morning = forecastDemand({
      history: series.values.slice(0, at0730),
      stepMinutes: 5,
      horizonSteps: 36, // to 10:30
      window: { fromStep: 18, toStep: 35 }, // 09:00–10:30
    });
    // Night load is ~15, business hours ~70: the window's peak is several times the last hour.
    expect(morning.predictedLoadIncrease).toBeGreaterThan(2);
    const at1800 = thursday + 18 * 12;
    const evening = forecastDemand({
      history: series.values.slice(0, at1800),
      stepMinutes: 5,
      horizonSteps: 36,
      window: { fromStep: 24, toStep: 35 },
    });
    expect(evening.predictedLoadIncrease).toBeLessThan(-0.3);
  });

  it('forecasts a constant load as constant with no increase', () => {
    const forecast = forecastDemand({ history: new Array(3 * 288).fill(30), stepMinutes: 5, horizonSteps: HORIZON });
    forecast.point.forEach((p) => expect(p).toBeCloseTo(30, 9));
    expect(forecast.predictedLoadIncrease).toBeCloseTo(0, 9);
  });

  it('falls back to the recent mean when the history is too short to compare models', () => {
    const forecast = forecastDemand({ history: [10, 12, 14, 12], stepMinutes: 5, horizonSteps: 6 });
    expect(forecast.model).toBe('recent-mean');
    expect(forecast.point).toEqual(new Array(6).fill(12));
  });

  it('rejects an empty history', () => {
    expect(() => forecastDemand({ history: [], stepMinutes: 5, horizonSteps: 6 })).toThrow(/empty history/);
  });
});

describe('demand forecaster: robust level and prediction intervals', () => {
  /** A flat load with rare large bursts (a CloudWatch CPU metric between batch jobs). */
  function spiky(seed: number, length: number, level = 5): number[] {
    const random = seededRandom(seed);
    return Array.from({ length }, () => level + random() * 0.5 + (random() < 0.05 ? 40 * random() : 0));
  }

  it('forecasts a spiky flat load with the robust level, not pulled up by the bursts', () => {
    const history = spiky(1, 4 * 288);
    const forecast = forecastDemand({ history, stepMinutes: 5, horizonSteps: HORIZON });
    expect(forecast.model).toBe('robust-level');
    forecast.point.forEach((p) => expect(p).toBeGreaterThan(5));
    forecast.point.forEach((p) => expect(p).toBeLessThan(5.5));
  });

  it('follows a level shift within two hours', () => {
    const history = [...spiky(2, 4 * 288, 5), ...spiky(3, 24, 20)];
    const forecast = forecastDemand({ history, stepMinutes: 5, horizonSteps: HORIZON });
    expect(forecast.point[0]).toBeGreaterThan(19);
  });

  it('nests its intervals (95% around 80% around the point) and covers about what it says', () => {
    const values = spiky(4, 8 * 288);
    let in80 = 0;
    let in95 = 0;
    let total = 0;
    for (let origin = 4 * 288; origin + HORIZON <= values.length; origin += 72) {
      const forecast = forecastDemand({ history: values.slice(0, origin), stepMinutes: 5, horizonSteps: HORIZON });
      const { p80, p95 } = forecast.intervals;
      forecast.point.forEach((p, h) => {
        expect(p95.lower[h]).toBeLessThanOrEqual(p80.lower[h]);
        expect(p80.lower[h]).toBeLessThanOrEqual(p);
        expect(p).toBeLessThanOrEqual(p80.upper[h]);
        expect(p80.upper[h]).toBeLessThanOrEqual(p95.upper[h]);
        expect(forecast.upper[h]).toBeCloseTo(p80.upper[h], 9);
        const actual = values[origin + h];
        if (actual >= p80.lower[h] && actual <= p80.upper[h]) in80++;
        if (actual >= p95.lower[h] && actual <= p95.upper[h]) in95++;
        total++;
      });
    }
    expect(in80 / total).toBeGreaterThan(0.7);
    expect(in80 / total).toBeLessThan(0.9);
    expect(in95 / total).toBeGreaterThan(0.9);
  });
});
