import { timetableFor } from '../../../schedules/from-config';
import { parseConfig, ConfigError } from '../../../src/config/load';

const cluster = {
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
};
const issues = (extra: Record<string, unknown>): string[] => {
  try {
    parseConfig({ clusters: [cluster], ...extra });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
};

describe('backups and cleanup config', () => {
  it('has safe defaults: GFS 7/4/12, cleanup reports only', () => {
    const cfg = parseConfig({ clusters: [cluster] });
    expect(cfg.backups).toMatchObject({
      policy: 'daily',
      keep: { daily: 7, weekly: 4, monthly: 12 },
      pollSeconds: 60,
      restoreDrill: { dayOfMonth: 1 },
    });
    expect(cfg.backups.selector.anyOfTagKeys).toEqual([
      'kubernetes.io/created-for/pvc/name',
      'ebs.csi.aws.com/cluster',
    ]);
    expect(cfg.cleanup.mode).toEqual({
      volumes: 'report',
      snapshots: 'report',
      elasticIps: 'report',
      networkInterfaces: 'report',
      launchTemplates: 'report',
      instances: 'report',
    });
    expect(cfg.cleanup).toMatchObject({ graceHours: 24, volumeMinAgeDays: 7, includePvcVolumes: false });
  });

  it('takes one mode for all kinds, or per kind (the rest stay report)', () => {
    expect(parseConfig({ clusters: [cluster], cleanup: { mode: 'tag' } }).cleanup.mode.instances).toBe('tag');
    expect(
      parseConfig({ clusters: [cluster], cleanup: { mode: { elasticIps: 'delete' } } }).cleanup.mode,
    ).toMatchObject({ elasticIps: 'delete', volumes: 'report' });
  });

  it('rejects bad values naming the field', () => {
    expect(issues({ backups: { keep: { daily: -1 } } })).toEqual([expect.stringMatching(/^backups\.keep\.daily: /)]);
    expect(issues({ backups: { keep: { daily: 0, weekly: 0, monthly: 0 } } })).toEqual([
      'backups.keep: keep must retain at least one snapshot',
    ]);
    expect(issues({ backups: { drRegion: 'mars' } })).toEqual(['backups.drRegion: an AWS region such as ap-south-1']);
    expect(issues({ backups: { policy: 'has space' } })).toEqual([
      expect.stringMatching(/^backups\.policy: a policy name/),
    ]);
    expect(issues({ backups: { restoreDrill: { availabilityZone: 'ap-south-1' } } })).toEqual([
      'backups.restoreDrill.availabilityZone: an availability zone such as ap-south-1a',
    ]);
    expect(issues({ backups: { retention: 3 } })).toEqual([
      expect.stringMatching(/^backups: Unrecognized key: "retention"/),
    ]);
    expect(issues({ cleanup: { mode: { volumes: 'purge' } } }).some((i) => i.startsWith('cleanup.mode'))).toBe(true);
    expect(issues({ cleanup: { mode: { disks: 'delete' } } }).some((i) => i.startsWith('cleanup.mode'))).toBe(true);
    expect(issues({ cleanup: { graceHours: -1 } })).toEqual([expect.stringMatching(/^cleanup\.graceHours: /)]);
  });
});

describe('restore-drill timetable entry from backups.restoreDrill.dayOfMonth', () => {
  const drill = (extra: Record<string, unknown>) =>
    timetableFor(parseConfig({ clusters: [cluster], ...extra })).find((e) => e.id === 'restore-drill')!;
  it('runs on the configured day, is off at 0, and a timetable override wins', () => {
    expect(drill({})).toMatchObject({ enabled: true, dayOfMonth: 1, time: '05:00' });
    expect(drill({ backups: { restoreDrill: { dayOfMonth: 12 } } })).toMatchObject({ enabled: true, dayOfMonth: 12 });
    expect(drill({ backups: { restoreDrill: { dayOfMonth: 0 } } })).toMatchObject({
      enabled: false,
      disabledReason: 'backups.restoreDrill.dayOfMonth is 0 (no monthly drill)',
    });
    expect(
      drill({
        backups: { restoreDrill: { dayOfMonth: 12 } },
        timetable: { entries: { 'restore-drill': { dayOfMonth: 20 } } },
      }),
    ).toMatchObject({ dayOfMonth: 20 });
  });
});
