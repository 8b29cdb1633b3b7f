import { ScheduleNotFoundError } from '@temporalio/client';
import { applySchedules, scheduleIdFor } from '../../schedules/apply';
import { resolveTimetable, TIMETABLE, type TimetableEntry } from '../../schedules/timetable';
import { timetableSchema } from '../../src/config/timetable';
import { registeredWorkflowTypes } from '../../schedules/from-config';
import { istDate, istToUtcMs } from '../../src/domain/timetable/ist';
import { eventually } from '../support/eventually';
import { connectDevServer, temporalAddress, uniqueName } from '../support/stack';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { captureCli } from '../support/cli-capture';

describe('the IST timetable as Temporal Schedules (dev server)', () => {
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  const prefix = `${uniqueName('it-sched')}/`;
  const taskQueue = uniqueName('it-sched-q');
  const day = 24 * 3_600_000;
  // A holiday on the next Monday–Friday day; the day after it must still run.
  const now = Date.now();
  const nextWeekday = (from: number) => {
    let t = from;
    do {
      t += day;
    } while ([0, 6].includes(new Date(istToUtcMs(istDate(t), '12:00') + 5.5 * 3_600_000).getUTCDay()));
    return istDate(t);
  };
  const holiday = nextWeekday(now);
  const opts = { taskQueue, holidays: [holiday], catchupWindowMs: 15 * 60_000, prefix };
  const entries = (list: readonly TimetableEntry[] = TIMETABLE) =>
    resolveTimetable(
      // Every shipped entry is delivered: one disabled in the config keeps the disabled path covered.
      timetableSchema.parse({ holidays: [holiday], entries: { 'performance-tuning': { enabled: false } } }),
      registeredWorkflowTypes(),
      list,
    );
  const ids = () => entries().map((e) => scheduleIdFor(e.id, prefix));

  beforeAll(async () => {
    stack = await connectDevServer();
  });

  afterAll(async () => {
    for (const id of ids())
      await stack.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await stack?.close();
  });

  it('creates every entry once; a second apply changes nothing', async () => {
    const first = await applySchedules(stack.client, entries(), opts);
    expect(first).toMatchObject({ created: TIMETABLE.length, updated: 0, deleted: 0 });
    const second = await applySchedules(stack.client, entries(), opts);
    expect(second).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: TIMETABLE.length });
  });

  it('runs 08:00 IST as 02:30 UTC on business days, skips the holiday, and keeps disabled entries paused with the reason', async () => {
    const desc = await stack.client.schedule.getHandle(scheduleIdFor('scale-up', prefix)).describe();
    expect(desc.spec.timezone).toBe('Asia/Kolkata');
    expect(desc.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 15 * 60_000 });
    expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scaleUpFleet', taskQueue });
    const next = desc.info.nextActionTimes.map((d) => d.toISOString());
    expect(next.length).toBeGreaterThan(2);
    for (const t of next) expect(t).toMatch(/T02:30:00\.000Z$/);
    expect(next.some((t) => t.startsWith(holiday))).toBe(false);
    expect(next).toContain(new Date(istToUtcMs(nextWeekday(istToUtcMs(holiday, '12:00')), '08:00')).toISOString());

    const tuning = await stack.client.schedule.getHandle(scheduleIdFor('performance-tuning', prefix)).describe();
    expect(tuning.state).toMatchObject({ paused: true, note: 'disabled: disabled in the config (timetable.entries)' });
  });

  it('a holiday really produces no action: a backfill over the holiday and the next day starts one run', async () => {
    const id = scheduleIdFor('traffic-analysis', prefix);
    const handle = stack.client.schedule.getHandle(id);
    const after = nextWeekday(istToUtcMs(holiday, '12:00'));
    await handle.backfill({
      start: new Date(istToUtcMs(holiday, '00:00')),
      end: new Date(istToUtcMs(after, '23:59')),
      overlap: 'ALLOW_ALL' as never,
    });
    // The scheduler walks a backfill range in time order, so once the next day's run is recorded a
    // holiday run, had there been one, is recorded before it: no waiting for "nothing" needed.
    const nextDayRun = new Date(istToUtcMs(after, '17:30')).toISOString();
    const actions = await eventually(
      async () => (await handle.describe()).info.recentActions,
      (recorded) => recorded.some((a) => a.scheduledAt.toISOString() === nextDayRun),
      "the backfill's run on the day after the holiday",
    );
    expect(actions.map((a) => a.scheduledAt.toISOString())).toEqual([nextDayRun]);
    for (const a of (await handle.describe()).info.recentActions as unknown as {
      action: { workflow: { workflowId: string } };
    }[]) {
      await stack.client.workflow
        .getHandle(a.action.workflow.workflowId)
        .terminate('test')
        .catch(() => undefined);
    }
  });

  it('updates changed entries, deletes removed ones, and leaves an operator pause alone', async () => {
    await stack.client.schedule.getHandle(scheduleIdFor('scale-up', prefix)).pause('operator: change freeze');
    const changed = TIMETABLE.filter((e) => e.id !== 'log-archival').map((e) =>
      e.id === 'gradual-scale-down' ? { ...e, time: '18:15' } : e,
    );
    const report = await applySchedules(stack.client, entries(changed), opts);
    expect(
      report.changes
        .filter((c) => c.change !== 'unchanged')
        .map((c) => [c.scheduleId, c.change])
        .sort(),
    ).toEqual([
      [scheduleIdFor('gradual-scale-down', prefix), 'updated'],
      [scheduleIdFor('log-archival', prefix), 'deleted'],
    ]);
    await expect(
      stack.client.schedule.getHandle(scheduleIdFor('log-archival', prefix)).describe(),
    ).rejects.toBeInstanceOf(ScheduleNotFoundError);
    const down = await stack.client.schedule.getHandle(scheduleIdFor('gradual-scale-down', prefix)).describe();
    expect(down.info.nextActionTimes[0]!.toISOString()).toMatch(/T12:45:00\.000Z$/); // 18:15 IST
    expect((await stack.client.schedule.getHandle(scheduleIdFor('scale-up', prefix)).describe()).state).toMatchObject({
      paused: true,
      note: 'operator: change freeze',
    });
    expect(await applySchedules(stack.client, entries(changed), opts)).toMatchObject({
      created: 0,
      updated: 0,
      deleted: 0,
    });
  });

  it('CLI: `schedules list` shows IST and UTC next runs and why entries are disabled; trigger refuses disabled ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-cli-'));
    writeFileSync(
      join(dir, 'eksflow.yaml'),
      stringify({
        clusters: [
          {
            name: 'c',
            accountId: '111111111111',
            region: 'ap-south-1',
            nodegroups: [
              {
                name: 'g',
                instanceTypes: ['m5.large'],
                businessHours: { min: 1, desired: 1, max: 2 },
                offHours: { min: 1, desired: 1, max: 2 },
              },
            ],
          },
        ],
        timetable: { holidays: [holiday], entries: { 'performance-tuning': { enabled: false } } },
      }),
    );
    const c = captureCli({
      EKSFLOW_CONFIG: join(dir, 'eksflow.yaml'),
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    try {
      expect(await c.run('schedules', 'apply', '--prefix', prefix)).toBe(0);
      expect(c.out).toMatch(/change\(s\)/);
      expect(await c.run('schedules', 'apply', '--prefix', prefix)).toBe(0);
      expect(c.out).toMatch(/^0 change\(s\): 0 created, 0 updated, 0 deleted, 13 unchanged/m);
      expect(await c.run('schedules', 'list', '--prefix', prefix)).toBe(0);
      expect(c.out).toMatch(
        /health-verification\s+08:30\s+Mon–Fri\s+verifyFleetHealth\s+active\s+\d{4}-\d{2}-\d{2} 08:30 IST \(\d{4}-\d{2}-\d{2}T03:00Z\)/,
      );
      expect(c.out).toMatch(/scale-up\s+08:00\s+Mon–Fri\s+scaleUpFleet\s+paused\s+-\s+operator: change freeze/); // paused earlier by an operator
      expect(c.out).toMatch(
        /performance-tuning\s+14:00\s+Mon–Fri\s+performanceTuning\s+disabled\s+-\s+disabled in the config \(timetable\.entries\)/,
      );
      expect(c.out).toMatch(/backups\s+02:00\s+daily\s+backups\s+active/);
      // The restore drill on its own monthly schedule: the next run is 05:00 IST on the 1st.
      expect(c.out).toMatch(
        /restore-drill\s+05:00\s+monthly\(1\)\s+backupRestoreDrill\s+active\s+\d{4}-\d{2}-01 05:00 IST \(\d{4}-\d{2}-\d{2}T23:30Z\)/,
      );
      expect(await c.run('schedules', 'trigger', 'performance-tuning', '--prefix', prefix)).toBe(2);
      expect(c.err).toMatch(/performance-tuning is disabled: disabled in the config \(timetable\.entries\)/);
      expect(await c.run('schedules', 'pause', '--all', '--note', 'maintenance window', '--prefix', prefix)).toBe(0);
      expect(
        (await stack.client.schedule.getHandle(scheduleIdFor('pre-work-analysis', prefix)).describe()).state,
      ).toMatchObject({ paused: true, note: 'maintenance window' });
      expect(await c.run('schedules', 'unpause', '--all', '--prefix', prefix)).toBe(0);
      expect(
        (await stack.client.schedule.getHandle(scheduleIdFor('pre-work-analysis', prefix)).describe()).state.paused,
      ).toBe(false);
      expect(
        (await stack.client.schedule.getHandle(scheduleIdFor('performance-tuning', prefix)).describe()).state.paused,
      ).toBe(true);
    } finally {
      c.restore();
    }
  });
});
