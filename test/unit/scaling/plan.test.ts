import { nodegroupSchema, type NodegroupConfig } from '../../../src/config/clusters';
import {
  activeOverride,
  costImpactPerHour,
  forecastAdjust,
  planGroup,
  sizeToApply,
} from '../../../src/domain/scaling/plan';
import type { OverrideState } from '../../../src/domain/scaling/types';

const ng = (over: Partial<Record<string, unknown>> = {}): NodegroupConfig =>
  nodegroupSchema.parse({
    name: 'web',
    instanceTypes: ['m5.large'],
    businessHours: { min: 2, desired: 4, max: 8 },
    offHours: { min: 1, desired: 1, max: 8 },
    ...over,
  });
const override = (o: Partial<OverrideState>): OverrideState => ({
  nodegroup: 'web',
  untilMs: 2_000,
  reason: 'launch',
  by: 'alice',
  atMs: 0,
  ...o,
});

describe('planGroup', () => {
  it('targets the business-hours size and sends only the fields that differ', () => {
    const p = planGroup({ ng: ng(), phase: 'business', current: { min: 1, desired: 1, max: 8 } });
    expect(p.target).toEqual({ min: 2, desired: 4, max: 8 });
    expect(p.change).toEqual({ min: 2, desired: 4 });
    expect(p.source).toBe('timetable');
  });

  it('is a no-op (no change, no call) when the group is already at target', () => {
    const p = planGroup({ ng: ng(), phase: 'business', current: { min: 2, desired: 4, max: 8 } });
    expect(p.change).toBeUndefined();
    expect(p.reasons.join()).toMatch(/already at target/);
  });

  it('adds 20% (rounded up) when the forecast predicts more than 30% more load', () => {
    const p = planGroup({
      ng: ng(),
      phase: 'business',
      current: { min: 1, desired: 1, max: 8 },
      forecast: { kind: 'forecast', predictedLoadIncrease: 0.42 },
    });
    expect(p.target.desired).toBe(5); // ceil(4 × 1.2)
    expect(p.forecast).toMatch(/\+42% > 30%/);
  });

  it('does not adjust at exactly 30%, and records an unavailable forecast', () => {
    expect(
      planGroup({
        ng: ng(),
        phase: 'business',
        current: { min: 2, desired: 4, max: 8 },
        forecast: { kind: 'forecast', predictedLoadIncrease: 0.3 },
      }).target.desired,
    ).toBe(4);
    const p = planGroup({
      ng: ng(),
      phase: 'business',
      current: { min: 2, desired: 4, max: 8 },
      forecast: { kind: 'unavailable', reason: 'no data' },
    });
    expect(p.target.desired).toBe(4);
    expect(p.forecast).toBe('forecast unavailable: no data');
  });

  it('gives spot groups a +1 buffer on top of the uplift, and clamps to max', () => {
    expect(forecastAdjust(4, 'SPOT', { kind: 'forecast', predictedLoadIncrease: 0.5 }).desired).toBe(6);
    const p = planGroup({
      ng: ng({ capacityType: 'SPOT', businessHours: { min: 2, desired: 7, max: 8 } }),
      phase: 'business',
      current: { min: 1, desired: 1, max: 8 },
      forecast: { kind: 'forecast', predictedLoadIncrease: 0.5 },
    });
    expect(p.target.desired).toBe(8); // ceil(7 × 1.2) + 1 = 10, clamped to max 8
    expect(p.reasons.join()).toMatch(/clamped to \[2, 8\]/);
  });

  it('lets an override win over timetable and forecast, widening max to fit its desired', () => {
    const p = planGroup({
      ng: ng(),
      phase: 'business',
      current: { min: 2, desired: 4, max: 8 },
      forecast: { kind: 'forecast', predictedLoadIncrease: 0.9 },
      override: override({ desired: 10 }),
    });
    expect(p.target).toEqual({ min: 2, desired: 10, max: 10 });
    expect(p.source).toBe('override');
    expect(p.forecast).toMatch(/override wins/);
  });

  it('never plans below the floor', () => {
    const p = planGroup({
      ng: ng({ floor: 2, offHours: { min: 0, desired: 0, max: 8 } }),
      phase: 'off',
      current: { min: 2, desired: 4, max: 8 },
    });
    expect(p.target.desired).toBe(2);
  });

  it('in bounds mode moves only min/max, and desired only to stay inside them', () => {
    const bounds = ng({
      scalingMode: 'bounds',
      businessHours: { min: 3, desired: 4, max: 10 },
      offHours: { min: 0, desired: 0, max: 4 },
    });
    const up = planGroup({ ng: bounds, phase: 'business', current: { min: 0, desired: 1, max: 4 } });
    expect(up.target).toEqual({ min: 3, desired: 3, max: 10 });
    const inside = planGroup({ ng: bounds, phase: 'business', current: { min: 0, desired: 6, max: 6 } });
    expect(inside.change).toEqual({ min: 3, max: 10 });
    const down = planGroup({ ng: bounds, phase: 'off', current: { min: 3, desired: 7, max: 10 } });
    expect(down.target).toEqual({ min: 0, desired: 4, max: 4 });
  });

  it('sends the whole target in desired mode; in bounds mode min/max, and desired only when it must move', () => {
    const desired = planGroup({ ng: ng(), phase: 'business', current: { min: 1, desired: 1, max: 8 } });
    expect(sizeToApply(desired)).toEqual({ min: 2, desired: 4, max: 8 });
    const bounds = ng({
      scalingMode: 'bounds',
      businessHours: { min: 3, desired: 4, max: 10 },
      offHours: { min: 0, desired: 0, max: 4 },
    });
    const inside = planGroup({ ng: bounds, phase: 'business', current: { min: 0, desired: 6, max: 6 } });
    expect(sizeToApply(inside)).toEqual({ min: 3, max: 10 });
    const below = planGroup({ ng: bounds, phase: 'business', current: { min: 0, desired: 1, max: 4 } });
    expect(sizeToApply(below)).toEqual({ min: 3, desired: 3, max: 10 });
  });

  it('ignores expired overrides', () => {
    const overrides = { web: override({ desired: 6, untilMs: 1_000 }) };
    expect(activeOverride(overrides, 'web', 999)).toBeDefined();
    expect(activeOverride(overrides, 'web', 1_000)).toBeUndefined();
  });

  it('estimates the hourly cost impact only when the price is known', () => {
    expect(costImpactPerHour({ min: 1, desired: 1, max: 8 }, { min: 2, desired: 4, max: 8 }, 0.096)).toBeCloseTo(0.288);
    expect(costImpactPerHour({ min: 1, desired: 1, max: 8 }, { min: 2, desired: 4, max: 8 })).toBeUndefined();
  });
});
