/**
 * Seeded synthetic load series with known structure, for tests and for the evaluation's
 * "seasonal" set (real NAB metrics are mostly not seasonal, so they alone would not show
 * whether the seasonal machinery works).
 */
import { gaussian, seededRandom } from './metrics';

export interface SyntheticSeries {
  name: string;
  stepMinutes: number;
  /** epoch ms, starting on a Monday 00:00 UTC */
  timestamps: number[];
  values: number[];
}

const START = Date.UTC(2024, 0, 1); // a Monday
const MINUTES_PER_DAY = 1440;

function timeline(days: number, stepMinutes: number): number[] {
  const count = Math.round((days * MINUTES_PER_DAY) / stepMinutes);
  return Array.from({ length: count }, (_, i) => START + i * stepMinutes * 60_000);
}

/** level + daily sine + linear trend (per day) + Gaussian noise. */
export function dailySinePlusTrend(opts: {
  days: number;
  stepMinutes: number;
  level: number;
  amplitude: number;
  trendPerDay: number;
  noise: number;
  seed: number;
}): SyntheticSeries {
  const normal = gaussian(seededRandom(opts.seed));
  const timestamps = timeline(opts.days, opts.stepMinutes);
  const values = timestamps.map((t) => {
    const day = (t - START) / 86_400_000;
    return opts.level + opts.amplitude * Math.sin(2 * Math.PI * day) + opts.trendPerDay * day + opts.noise * normal();
  });
  return { name: 'synthetic/daily-sine-trend', stepMinutes: opts.stepMinutes, timestamps, values };
}

/**
 * A node group's CPU over working weeks: high from 09:00 to 18:00 on weekdays with ramps,
 * low at night and at weekends, multiplicative noise — the shape the scale-up schedule serves.
 */
export function businessHoursWeekly(opts: { weeks: number; stepMinutes: number; seed: number }): SyntheticSeries {
  const normal = gaussian(seededRandom(opts.seed));
  const timestamps = timeline(opts.weeks * 7, opts.stepMinutes);
  const values = timestamps.map((t) => {
    const minutesIntoWeek = ((t - START) / 60_000) % (7 * MINUTES_PER_DAY);
    const weekday = Math.floor(minutesIntoWeek / MINUTES_PER_DAY); // 0 = Monday
    const hour = (minutesIntoWeek % MINUTES_PER_DAY) / 60;
    const ramp = Math.min(1, Math.max(0, hour - 8)) * Math.min(1, Math.max(0, 19 - hour));
    const busy = weekday < 5 ? 55 * ramp : 8 * ramp;
    return Math.max(0, (15 + busy) * (1 + 0.08 * normal()));
  });
  return { name: 'synthetic/business-hours-weekly', stepMinutes: opts.stepMinutes, timestamps, values };
}

/** Daily sine with occasional large spikes (heavy tails, as in real CPU metrics). */
export function dailyWithSpikes(opts: { days: number; stepMinutes: number; seed: number }): SyntheticSeries {
  const random = seededRandom(opts.seed);
  const normal = gaussian(random);
  const base = dailySinePlusTrend({ ...opts, level: 40, amplitude: 15, trendPerDay: 0, noise: 2 });
  const values = base.values.map((v) => (random() < 0.01 ? v + 30 + 20 * Math.abs(normal()) : v));
  return { name: 'synthetic/daily-with-spikes', stepMinutes: opts.stepMinutes, timestamps: base.timestamps, values };
}

/** The fixed synthetic set of the evaluation. */
export function syntheticEvaluationSeries(): SyntheticSeries[] {
  return [
    {
      ...dailySinePlusTrend({ days: 14, stepMinutes: 5, level: 50, amplitude: 20, trendPerDay: 1, noise: 3, seed: 7 }),
    },
    businessHoursWeekly({ weeks: 5, stepMinutes: 5, seed: 11 }),
    dailyWithSpikes({ days: 14, stepMinutes: 5, seed: 13 }),
  ];
}
