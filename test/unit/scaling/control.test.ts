import { nodegroupSchema } from '../../../src/config/clusters';
import {
  applyOverride,
  applyPause,
  effectivePlan,
  emptyControlState,
  expire,
  nextExpiry,
  validateOverride,
  validatePause,
} from '../../../src/domain/scaling/control';
import { istToUtcMs, parseUntil, nextIstTime, formatIst } from '../../../src/domain/timetable/ist';
import { phaseAt } from '../../../src/domain/timetable/phase';

const groups = [
  nodegroupSchema.parse({
    name: 'web',
    instanceTypes: ['m5.large'],
    floor: 1,
    businessHours: { min: 2, desired: 4, max: 8 },
    offHours: { min: 1, desired: 1, max: 8 },
  }),
  nodegroupSchema.parse({
    name: 'workers',
    scalingMode: 'bounds',
    instanceTypes: ['c5.xlarge'],
    businessHours: { min: 2, desired: 4, max: 10 },
    offHours: { min: 0, desired: 0, max: 4 },
  }),
];
const cal = { businessDays: [1, 2, 3, 4, 5], holidays: ['2026-03-04'] };
const monday0900 = istToUtcMs('2026-03-02', '09:00');

describe('operator requests', () => {
  it('rejects invalid overrides with a clear message', () => {
    const base = { nodegroup: 'web', untilMs: monday0900 + 3_600_000, reason: 'launch' };
    expect(() => validateOverride({ ...base, min: 5, max: 3 }, groups, monday0900)).toThrow('min 5 > max 3');
    expect(() => validateOverride({ ...base, nodegroup: 'nope', desired: 3 }, groups, monday0900)).toThrow(
      'unknown node group "nope" (known: web, workers)',
    );
    expect(() => validateOverride({ ...base, desired: 3, untilMs: monday0900 - 1 }, groups, monday0900)).toThrow(
      /in the past/,
    );
    expect(() => validateOverride({ ...base }, groups, monday0900)).toThrow(/at least one of min, desired, max/);
    expect(() => validateOverride({ ...base, desired: 0 }, groups, monday0900)).toThrow(/below the floor 1/);
    expect(() => validateOverride({ ...base, nodegroup: 'workers', desired: 3 }, groups, monday0900)).toThrow(
      /bounds mode/,
    );
    expect(() => validateOverride({ ...base, reason: '', desired: 3 }, groups, monday0900)).toThrow(
      /reason is required/,
    );
    expect(validateOverride({ ...base, desired: 6 }, groups, monday0900).by).toBe('operator');
  });

  it('rejects an override above the configured max unless max is explicit and within maxOverride', () => {
    const base = { nodegroup: 'web', untilMs: monday0900 + 3_600_000, reason: 'launch' };
    // web: max 8 in both phases, no maxOverride.
    expect(() => validateOverride({ ...base, desired: 99 }, groups, monday0900)).toThrow(
      'invalid override: desired 99 is above the configured max 8 of web: raise maxOverride of web in config to allow more',
    );
    expect(() => validateOverride({ ...base, desired: 9, max: 9 }, groups, monday0900)).toThrow(
      'invalid override: max 9 is above the configured max 8 of web (no maxOverride configured)',
    );
    expect(validateOverride({ ...base, desired: 8 }, groups, monday0900).desired).toBe(8);
    const capped = [nodegroupSchema.parse({ ...groups[0], maxOverride: 20 })];
    expect(() => validateOverride({ ...base, desired: 12 }, capped, monday0900)).toThrow(
      'invalid override: desired 12 is above the configured max 8 of web: give --max explicitly (at most 20, the maxOverride of web)',
    );
    expect(() => validateOverride({ ...base, min: 12 }, capped, monday0900)).toThrow(
      /min 12 is above the configured max 8/,
    );
    expect(() => validateOverride({ ...base, desired: 21, max: 21 }, capped, monday0900)).toThrow(
      'invalid override: max 21 is above the maxOverride 20 of web',
    );
    expect(validateOverride({ ...base, desired: 12, max: 12 }, capped, monday0900)).toMatchObject({
      desired: 12,
      max: 12,
    });
    // The bounds-mode group's configured max is the larger phase max (10), not the current phase's.
    expect(validateOverride({ ...base, nodegroup: 'workers', max: 10 }, groups, monday0900).max).toBe(10);
  });

  it('config: maxOverride below the configured max is rejected', () => {
    expect(() => nodegroupSchema.parse({ ...groups[0], maxOverride: 7 })).toThrow(/maxOverride must be at least/);
  });

  it('rejects a pause whose expiry is in the past', () => {
    expect(() => validatePause({ reason: 'freeze', untilMs: monday0900 - 1 }, monday0900)).toThrow(/in the past/);
    expect(() => validatePause({ reason: 'freeze', color: 'red' }, monday0900)).toThrow(/invalid pause/);
  });

  it('expires pauses and overrides at their time, and reports the expired groups', () => {
    let s = applyPause(
      emptyControlState(),
      validatePause({ reason: 'freeze', by: 'bob', untilMs: monday0900 + 1000 }, monday0900),
      monday0900,
    );
    s = applyOverride(
      s,
      validateOverride(
        { nodegroup: 'web', desired: 6, untilMs: monday0900 + 2000, reason: 'launch', by: 'alice' },
        groups,
        monday0900,
      ),
      monday0900,
    );
    expect(nextExpiry(s)).toBe(monday0900 + 1000);
    const a = expire(s, monday0900 + 1000);
    expect(a.state.paused).toBeUndefined();
    expect(a.expiredOverrides).toEqual([]);
    const b = expire(a.state, monday0900 + 2000);
    expect(b.expiredOverrides).toEqual(['web']);
    expect(b.state.overrides).toEqual({});
    expect(b.state.lastActions.map((x) => x.action)).toEqual(['pause', 'override', 'resume', 'clear-override']);
    // State stays plain JSON (it crosses continue-as-new).
    expect(JSON.parse(JSON.stringify(b.state))).toEqual(b.state);
  });

  it('computes the effective plan with overrides winning over the timetable of the current phase', () => {
    const s = applyOverride(
      emptyControlState(),
      validateOverride(
        { nodegroup: 'web', desired: 6, untilMs: monday0900 + 3_600_000, reason: 'launch', by: 'alice' },
        groups,
        monday0900,
      ),
      monday0900,
    );
    const plan = effectivePlan(groups, s, cal, monday0900);
    expect(plan.phase).toBe('business');
    expect(plan.nodegroups[0]).toMatchObject({
      nodegroup: 'web',
      effective: { min: 2, desired: 6, max: 8 },
      source: 'override',
    });
    expect(plan.nodegroups[1]).toMatchObject({
      nodegroup: 'workers',
      effective: { min: 2, max: 10 },
      source: 'timetable',
    });
    expect(effectivePlan(groups, s, cal, monday0900 + 4 * 3_600_000).nodegroups[0]!.source).toBe('timetable');
  });
});

describe('IST time', () => {
  it('maps 08:00 IST to 02:30 UTC and knows business hours, weekends and holidays', () => {
    expect(new Date(istToUtcMs('2026-03-02', '08:00')).toISOString()).toBe('2026-03-02T02:30:00.000Z');
    expect(phaseAt(istToUtcMs('2026-03-02', '07:59'), cal)).toBe('off');
    expect(phaseAt(istToUtcMs('2026-03-02', '08:00'), cal)).toBe('business');
    expect(phaseAt(istToUtcMs('2026-03-02', '18:00'), cal)).toBe('off');
    expect(phaseAt(istToUtcMs('2026-03-07', '10:00'), cal)).toBe('off'); // Saturday
    expect(phaseAt(istToUtcMs('2026-03-04', '10:00'), cal)).toBe('off'); // holiday
    expect(formatIst(istToUtcMs('2026-03-02', '18:30'))).toBe('2026-03-02 18:30 IST');
  });

  it('parses operator times: durations, next HH:MM IST, IST date-times, ISO instants', () => {
    const now = istToUtcMs('2026-03-02', '18:10');
    expect(parseUntil('2h', now)).toBe(now + 7_200_000);
    expect(parseUntil('07:30', now)).toBe(istToUtcMs('2026-03-03', '07:30'));
    expect(nextIstTime(now, '19:00')).toBe(istToUtcMs('2026-03-02', '19:00'));
    expect(parseUntil('2026-03-05 09:00', now)).toBe(istToUtcMs('2026-03-05', '09:00'));
    expect(parseUntil('2026-03-05T03:30:00Z', now)).toBe(Date.parse('2026-03-05T03:30:00Z'));
    expect(() => parseUntil('tomorrow-ish', now)).toThrow(/cannot read "tomorrow-ish"/);
  });
});
