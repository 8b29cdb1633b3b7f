import { parseConfig } from '../../../src/config/load';
import { analyseFleetCost } from '../../../src/domain/cost/cost-model';
import type { FleetPriceBook } from '../../../src/domain/cost/prices';
import { businessDayProfile, scheduleHours } from '../../../src/domain/cost/schedule-hours';

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
          businessHours: { min: 1, desired: 4, max: 8 },
          offHours: { min: 1, desired: 1, max: 8 },
        },
        {
          name: 'workers',
          capacityType: 'SPOT',
          instanceTypes: ['m5.large', 'm5a.large'],
          floor: 2,
          businessHours: { min: 0, desired: 2, max: 4 },
          offHours: { min: 0, desired: 0, max: 4 },
        },
        {
          name: 'gpu',
          instanceTypes: ['zz9.huge'],
          businessHours: { min: 0, desired: 1, max: 1 },
          offHours: { min: 0, desired: 1, max: 1 },
        },
      ],
    },
  ],
});

const book: FleetPriceBook = {
  onDemand: {
    'us-east-1/m5.large': { region: 'us-east-1', instanceType: 'm5.large', usdPerHour: 0.096, source: 'pricing-api' },
    'us-east-1/m5a.large': { region: 'us-east-1', instanceType: 'm5a.large', usdPerHour: 0.086, source: 'pricing-api' },
    'us-east-1/zz9.huge': {
      region: 'us-east-1',
      instanceType: 'zz9.huge',
      source: 'none',
      note: 'the Pricing API has no On-Demand Linux price for zz9.huge in us-east-1',
    },
  },
  spot: {
    'us-east-1/m5.large': { usdPerHour: 0.04, source: 'spot-history', pools: 5 },
    'us-east-1/m5a.large': { usdPerHour: 0.036, source: 'spot-history', pools: 5 },
  },
};

describe('cost model, hand-computed example', () => {
  // Mon–Fri, no holidays: 730/168 weeks a month → 21.7262 business days and 8.6905 other days.
  const fleet = analyseFleetCost(config.clusters, { businessDays: [1, 2, 3, 4, 5], holidays: [] }, book);
  const [web, workers, gpu] = fleet.clusters[0].nodegroups;

  it('prices an On-Demand group under the timetable', () => {
    // Business day: 10 h × 4 + 0.5 h × (4+1)/2 + 13.5 h × 1 = 54.75 node-hours; other days 24.
    expect(web.dailyBusinessDay).toBeCloseTo(54.75 * 0.096, 10); // 5.256
    expect(web.dailyOffDay).toBeCloseTo(24 * 0.096, 10); // 2.304
    expect(web.hourlyBusiness).toBeCloseTo(0.384, 10);
    expect(web.hourlyOff).toBeCloseTo(0.096, 10);
    // (730/168) × (5 × 54.75 + 2 × 24) = 4.345238 × 321.75 = 1398.0804 node-hours → $134.2157
    expect(web.monthlyNodeHours).toBeCloseTo(1398.0804, 3);
    expect(web.monthly).toBeCloseTo(134.2157, 3);
    // Always on at 4 nodes: 730 × 4 × 0.096 = 280.32 → the timetable saves 146.1043.
    expect(web.monthlyAlwaysOnOnDemand).toBeCloseTo(280.32, 10);
    expect(web.timetableSavingsMonthly).toBeCloseTo(146.1043, 3);
    expect(web.spotSavingsMonthly).toBeCloseTo(0, 10);
  });

  it('prices a spot group at the mean spot price of its types, with the floor applied', () => {
    // floor 2 keeps 2 nodes day and night: 730 × 2 = 1460 node-hours at (0.04 + 0.036)/2 = 0.038.
    expect(workers.offNodes).toBe(2);
    expect(workers.pricePerNodeHour).toBeCloseTo(0.038, 12);
    expect(workers.monthly).toBeCloseTo(55.48, 10);
    // On-Demand equivalent (0.096 + 0.086)/2 = 0.091 → 132.86; spot saves 77.38, the timetable nothing.
    expect(workers.monthlyScheduledOnDemand).toBeCloseTo(132.86, 10);
    expect(workers.spotSavingsMonthly).toBeCloseTo(77.38, 10);
    expect(workers.timetableSavingsMonthly).toBeCloseTo(0, 10);
  });

  it('leaves an unknown instance type out of the totals with a clear message', () => {
    expect(gpu.priced).toBe(false);
    expect(fleet.problems).toEqual([
      expect.stringMatching(
        /^shop\/gpu: the Pricing API has no On-Demand Linux price for zz9\.huge in us-east-1 — node group left out of the totals$/,
      ),
    ]);
    expect(fleet.clusters[0].unpricedNodegroups).toBe(1);
    expect(fleet.monthly).toBeCloseTo(134.2157 + 55.48, 3);
    expect(fleet.timetableSavingsMonthly + fleet.spotSavingsMonthly).toBeCloseTo(
      fleet.monthlyAlwaysOnOnDemand - fleet.monthly,
      8,
    );
  });

  it('draws the business day hour by hour, ramp at 18:00', () => {
    expect(businessDayProfile(4, 1)).toEqual([
      1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1.75, 1, 1, 1, 1, 1,
    ]);
    expect(web.businessDayHourly.reduce((s, x) => s + x, 0)).toBeCloseTo(web.dailyBusinessDay, 10);
  });

  it('counts holidays on business days as off days', () => {
    const plain = scheduleHours({ businessDays: [1, 2, 3, 4, 5], holidays: [] });
    // 2026-01-26 is a Monday, 2026-01-25 a Sunday (already off).
    const withHolidays = scheduleHours({ businessDays: [1, 2, 3, 4, 5], holidays: ['2026-01-26', '2026-01-25'] });
    expect(plain.businessDaysPerMonth - withHolidays.businessDaysPerMonth).toBeCloseTo(1 / 12, 12);
    expect(withHolidays.monthly.business + withHolidays.monthly.ramp + withHolidays.monthly.off).toBeCloseTo(730, 10);
  });
});
