import { timetableSchema } from '../../../src/config/timetable';
import { holidaySkip, scheduleOptionsFor, definitionHash } from '../../../schedules/apply';
import { resolveTimetable, TIMETABLE, type TimetableEntry } from '../../../schedules/timetable';

const registered = [
  'preWorkAnalysis',
  'scaleUpFleet',
  'verifyFleetHealth',
  'trafficAnalysis',
  'scaleDownFleet',
  'costAnalysis',
];
const opts = { taskQueue: 'q', holidays: ['2026-12-25'], catchupWindowMs: 900_000 };

describe('timetable data', () => {
  it('has the IST times of the design', () => {
    const times = Object.fromEntries(TIMETABLE.map((e) => [e.id, e.time]));
    expect(times).toMatchObject({
      'pre-work-analysis': '07:30',
      'scale-up': '08:00',
      'health-verification': '08:30',
      'cost-analysis': '10:00',
      'spot-optimization': '11:00',
      'performance-tuning': '14:00',
      'traffic-analysis': '17:30',
      'gradual-scale-down': '18:00',
      'resource-cleanup': '19:00',
      backups: '02:00',
      'security-scans': '03:00',
      'log-archival': '04:00',
      'restore-drill': '05:00',
    });
  });

  it('runs the restore drill monthly on its own entry: 05:00 IST on the day of the month, overridable', () => {
    const all = [...registered, 'backups', 'backupRestoreDrill'];
    const drill = resolveTimetable(timetableSchema.parse({}), all).find((e) => e.id === 'restore-drill')!;
    expect(drill).toMatchObject({
      enabled: true,
      workflow: 'backupRestoreDrill',
      dayOfMonth: 1,
      days: [0, 1, 2, 3, 4, 5, 6],
      skipHolidays: false,
      args: [{ alertOnFailure: true }],
    });
    expect(scheduleOptionsFor(drill, opts).spec.calendars).toEqual([
      expect.objectContaining({ hour: 5, minute: 0, dayOfMonth: 1 }),
    ]);
    const moved = resolveTimetable(
      timetableSchema.parse({ entries: { 'restore-drill': { dayOfMonth: 15 } } }),
      all,
    ).find((e) => e.id === 'restore-drill')!;
    expect(scheduleOptionsFor(moved, opts).spec.calendars![0]).toMatchObject({ dayOfMonth: 15 });
    expect(definitionHash(moved, opts)).not.toBe(definitionHash(drill, opts));
    // Weekly entries carry no day of the month (their definition hash is unchanged by the field).
    const backups = resolveTimetable(timetableSchema.parse({}), all).find((e) => e.id === 'backups')!;
    expect(backups.dayOfMonth).toBeUndefined();
    expect(scheduleOptionsFor(backups, opts).spec.calendars![0]).not.toHaveProperty('dayOfMonth');
    expect(() => timetableSchema.parse({ entries: { 'restore-drill': { dayOfMonth: 31 } } })).toThrow();
  });

  it('disables entries whose workflow is not delivered or not registered, saying why', () => {
    const entries = resolveTimetable(timetableSchema.parse({}), registered);
    const byId = Object.fromEntries(entries.map((e) => [e.id, e]));
    expect(byId['scale-up']).toMatchObject({ enabled: true, days: [1, 2, 3, 4, 5], skipHolidays: true });
    expect(byId['spot-optimization']).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/spotOptimization is not registered/),
    });
    expect(byId['performance-tuning']).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/performanceTuning is not registered/),
      days: [1, 2, 3, 4, 5],
      skipHolidays: true,
    });
    expect(byId['backups']).toMatchObject({
      enabled: false,
      disabledReason: expect.stringMatching(/backups is not registered/),
      days: [0, 1, 2, 3, 4, 5, 6],
      skipHolidays: false,
    });
    const withNight = Object.fromEntries(
      resolveTimetable(timetableSchema.parse({}), [...registered, 'backups', 'resourceCleanup']).map((e) => [e.id, e]),
    );
    expect(withNight['backups']).toMatchObject({ enabled: true, time: '02:00', days: [0, 1, 2, 3, 4, 5, 6] });
    expect(withNight['resource-cleanup']).toMatchObject({ enabled: true, time: '19:00', days: [1, 2, 3, 4, 5] });
  });

  it('ships no paused entry; an undelivered entry stays disabled whatever the config says', () => {
    expect(TIMETABLE.filter((e) => !e.enabled).map((e) => e.id)).toEqual([]);
    const undelivered: TimetableEntry = {
      id: 'capacity-review',
      time: '15:00',
      days: 'business',
      workflow: 'capacityReview',
      args: [{}],
      enabled: false,
      disabledReason: 'no issue delivers capacity review yet',
      description: 'not delivered',
    };
    const tt = timetableSchema.parse({ entries: { 'capacity-review': { enabled: true } } });
    const entry = resolveTimetable(tt, [...registered, 'capacityReview'], [...TIMETABLE, undelivered]).find(
      (e) => e.id === 'capacity-review',
    );
    expect(entry).toMatchObject({ enabled: false, disabledReason: 'no issue delivers capacity review yet' });
    const tuning = resolveTimetable(timetableSchema.parse({}), [...registered, 'performanceTuning']).find(
      (e) => e.id === 'performance-tuning',
    );
    expect(tuning).toMatchObject({ enabled: true, workflow: 'performanceTuning', time: '14:00' });
    expect(tuning?.disabledReason).toBeUndefined();
  });

  it('applies per-entry config (days, time, enabled) and rejects unknown ids', () => {
    const tt = timetableSchema.parse({
      businessDays: [1, 2, 3, 4, 5, 6],
      entries: { 'scale-up': { time: '07:45' }, 'gradual-scale-down': { enabled: false } },
    });
    const byId = Object.fromEntries(resolveTimetable(tt, registered).map((e) => [e.id, e]));
    expect(byId['scale-up']).toMatchObject({ time: '07:45', days: [1, 2, 3, 4, 5, 6] });
    expect(byId['gradual-scale-down']).toMatchObject({
      enabled: false,
      disabledReason: 'disabled in the config (timetable.entries)',
    });
    expect(() =>
      resolveTimetable(timetableSchema.parse({ entries: { nope: { enabled: false } } }), registered),
    ).toThrow(/unknown entry id\(s\) nope/);
  });

  it('builds IST schedules with overlap skip, a catch-up window and whole-day holiday skips', () => {
    const entry = resolveTimetable(timetableSchema.parse({}), registered).find((e) => e.id === 'scale-up')!;
    const o = scheduleOptionsFor(entry, opts);
    expect(o.scheduleId).toBe('eksflow/scale-up');
    expect(o.spec.timezone).toBe('Asia/Kolkata');
    expect(o.spec.calendars).toEqual([
      expect.objectContaining({
        hour: 8,
        minute: 0,
        dayOfWeek: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'],
      }),
    ]);
    expect(o.spec.skip).toEqual([holidaySkip('2026-12-25')]);
    expect(holidaySkip('2026-12-25')).toMatchObject({
      year: 2026,
      month: 'DECEMBER',
      dayOfMonth: 25,
      hour: '*',
      minute: '*',
      second: '*',
    });
    expect(o.policies).toEqual({ overlap: 'SKIP', catchupWindow: 900_000 });
    expect(definitionHash(entry, opts)).not.toBe(definitionHash(entry, { ...opts, holidays: ['2026-12-26'] }));
  });
});
