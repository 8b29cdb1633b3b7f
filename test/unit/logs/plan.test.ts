import { logsSchema } from '../../../src/config/logs';
import {
  archiveDays,
  datedPrefix,
  expandTemplate,
  groupsReadyForRetention,
  istDate,
  istDayWindow,
  isIsoDate,
  overlaps,
  planExports,
  queuesByAccount,
  yesterdayIst,
  type ArchiveGroup,
  type ExportOutcome,
} from '../../../src/domain/logs/plan';

const g = (accountId: string, group: string, extra: Partial<ArchiveGroup> = {}): ArchiveGroup => ({
  accountId,
  region: 'ap-south-1',
  cluster: 'c',
  group,
  bucket: `b-${accountId}`,
  ...extra,
});

describe('log archival planning', () => {
  it('IST days: yesterday at 04:00 IST, the window of an IST day in UTC, both ends inclusive', () => {
    expect(yesterdayIst(Date.parse('2026-11-30T22:30:00Z'))).toBe('2026-11-30'); // 04:00 IST on 1 Dec
    expect(yesterdayIst(Date.parse('2026-11-30T18:29:59Z'))).toBe('2026-11-29'); // 23:59:59 IST on 30 Nov
    expect(istDate(Date.parse('2026-11-30T18:30:00Z'))).toBe('2026-12-01');
    const w = istDayWindow('2026-11-30');
    expect(new Date(w.fromMs).toISOString()).toBe('2026-11-29T18:30:00.000Z');
    expect(new Date(w.toMs).toISOString()).toBe('2026-11-30T18:29:59.999Z');
    expect(istDayWindow('2026-12-01').fromMs).toBe(w.toMs + 1);
  });

  it('days with catch-up, oldest first, across a month end; date validation', () => {
    expect(archiveDays('2026-12-01', 2)).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(archiveDays('2026-03-01', 0)).toEqual(['2026-03-01']);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-1-01')).toBe(false);
  });

  it('dated prefix and templates', () => {
    expect(datedPrefix('eksflow-logs', '111111111111', 'ap-south-1', '/aws/eks/prod/cluster', '2026-11-30')).toBe(
      'eksflow-logs/111111111111/ap-south-1/aws/eks/prod/cluster/2026/11/30',
    );
    expect(expandTemplate('eksflow-logs-{accountId}-{region}', { accountId: '1', region: 'r' })).toBe(
      'eksflow-logs-1-r',
    );
    expect(expandTemplate('/aws/eks/{cluster}/cluster', { cluster: 'prod' })).toBe('/aws/eks/prod/cluster');
    expect(expandTemplate('{unknown}', {})).toBe('{unknown}');
  });

  it('plans every (group, day) not archived, in a stable order', () => {
    const groups = [g('2', '/b'), g('1', '/z'), g('1', '/a')];
    const items = planExports(
      groups,
      ['2026-11-29', '2026-11-30'],
      ['1/ap-south-1/z@2026-11-29', '1/ap-south-1/a@2026-11-29'],
      'p',
    );
    expect(items.map((i) => i.key)).toEqual([
      '1/ap-south-1/a@2026-11-30',
      '1/ap-south-1/z@2026-11-30',
      '2/ap-south-1/b@2026-11-29',
      '2/ap-south-1/b@2026-11-30',
    ]);
    expect(items[0]).toMatchObject({
      day: '2026-11-30',
      destinationPrefix: 'p/1/ap-south-1/a/2026/11/30',
      bucket: 'b-1',
      fromMs: istDayWindow('2026-11-30').fromMs,
    });
    const q = queuesByAccount(items);
    expect(Object.keys(q).sort()).toEqual(['1', '2']);
    expect(q['1']!.map((i) => i.key)).toEqual(['1/ap-south-1/a@2026-11-30', '1/ap-south-1/z@2026-11-30']);
  });

  it('retention only on groups whose every planned day is archived (a failed or unfinished day keeps the data)', () => {
    const groups = [g('1', '/a'), g('1', '/b'), g('1', '/c')];
    const items = planExports(groups, ['2026-11-29', '2026-11-30'], [], 'p');
    const ok: ExportOutcome = {
      status: 'exported',
      taskId: 't',
      attempts: 1,
      objects: 1,
      bytes: 1,
      startedMs: 0,
      endedMs: 1,
    };
    const outcomes: Record<string, ExportOutcome> = {
      '1/ap-south-1/a@2026-11-29': ok,
      '1/ap-south-1/a@2026-11-30': { status: 'empty', taskId: 't', attempts: 1, startedMs: 0, endedMs: 1 },
      '1/ap-south-1/b@2026-11-29': ok,
      '1/ap-south-1/b@2026-11-30': { status: 'failed', attempts: 3, reason: 'x' },
      '1/ap-south-1/c@2026-11-29': ok,
    };
    expect(groupsReadyForRetention(items, outcomes, groups)).toEqual(['1/ap-south-1/a']);
  });

  it('overlap detection for the one-export-per-account rule', () => {
    expect(
      overlaps([
        { startedMs: 0, endedMs: 10 },
        { startedMs: 10, endedMs: 20 },
      ]),
    ).toBe(false);
    expect(
      overlaps([
        { startedMs: 5, endedMs: 15 },
        { startedMs: 0, endedMs: 10 },
      ]),
    ).toBe(true);
  });

  it('config: defaults, retention values CloudWatch accepts, retention longer than the catch-up window', () => {
    expect(logsSchema.parse({})).toMatchObject({
      bucket: 'eksflow-logs-{accountId}-{region}',
      retentionDays: 30,
      catchUpDays: 2,
      groupPrefixes: ['/aws/eks/{cluster}/cluster', '/aws/containerinsights/{cluster}/'],
    });
    const issue = (x: unknown) => logsSchema.safeParse(x).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issue({ retentionDays: 31 })).toEqual([
      expect.stringMatching(/^retentionDays: one of 1, 3, 5, 7, 14, 30, 60/),
    ]);
    expect(issue({ retentionDays: 3, catchUpDays: 2 })).toEqual([
      expect.stringMatching(/^retentionDays: must be longer than catchUpDays \+ 1/),
    ]);
    expect(issue({ bucket: 'Bad_Bucket' })).toEqual([expect.stringMatching(/^bucket: an S3 bucket name/)]);
    expect(issue({ groupPrefixes: ['aws/eks'] })).toEqual([
      expect.stringMatching(/^groupPrefixes.0: a log group prefix starts with \//),
    ]);
  });
});
