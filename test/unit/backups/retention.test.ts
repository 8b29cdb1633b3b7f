import {
  dayBucket,
  monthBucket,
  planRetention,
  retentionHorizonDays,
  weekBucket,
} from '../../../src/domain/backups/retention';
import { selectBackupVolumes, type VolumeFacts } from '../../../src/domain/backups/select';

/** One snapshot per night at 02:00 IST (20:30 UTC the day before) for `n` nights ending on `last` (IST date). */
function nightly(last: string, n: number): { id: string; takenAt: string }[] {
  const end = Date.parse(`${last}T02:00:00+05:30`);
  return Array.from({ length: n }, (_, i) => {
    const t = new Date(end - (n - 1 - i) * 86_400_000).toISOString();
    return { id: `snap-${String(i).padStart(3, '0')}`, takenAt: t };
  });
}

describe('buckets (IST)', () => {
  it('puts 02:00 IST on the IST date, not the UTC one', () => {
    expect(dayBucket('2026-11-29T20:30:00.000Z')).toBe('2026-11-30');
    expect(dayBucket('2026-11-29T18:29:59.000Z')).toBe('2026-11-29');
    expect(monthBucket('2026-11-30T18:30:00.000Z')).toBe('2026-12');
  });
  it('uses ISO weeks (Monday start, week 1 holds the first Thursday)', () => {
    expect(weekBucket('2026-11-30T06:00:00Z')).toBe('2026-W49'); // Monday
    expect(weekBucket('2026-11-29T06:00:00Z')).toBe('2026-W48'); // Sunday
    expect(weekBucket('2027-01-01T06:00:00Z')).toBe('2026-W53'); // Friday of the 53rd week
    expect(weekBucket('2024-12-30T06:00:00Z')).toBe('2025-W01');
    expect(weekBucket('2021-01-03T06:00:00Z')).toBe('2020-W53');
  });
});

describe('grandfather-father-son retention', () => {
  it('keeps the newest of each of the last 7 days, 4 weeks and 12 months over 400 nightly snapshots', () => {
    const snaps = nightly('2026-11-30', 400);
    const plan = planRetention(snaps, { daily: 7, weekly: 4, monthly: 12 });
    const kept = plan.keep.map((k) => dayBucket(k.takenAt));
    expect(kept).toEqual([
      // daily: Nov 24–30. weekly (4): Nov 30 (W49) and Nov 29 (W48) are daily ones too, then the
      // Sundays closing W47 and W46.
      '2026-11-30',
      '2026-11-29',
      '2026-11-28',
      '2026-11-27',
      '2026-11-26',
      '2026-11-25',
      '2026-11-24',
      '2026-11-22',
      '2026-11-15',
      // monthly: the last day of each earlier month, back to 11 months before this one.
      '2026-10-31',
      '2026-09-30',
      '2026-08-31',
      '2026-07-31',
      '2026-06-30',
      '2026-05-31',
      '2026-04-30',
      '2026-03-31',
      '2026-02-28',
      '2026-01-31',
      '2025-12-31',
    ]);
    expect(plan.keep[0]!.reasons).toEqual(['latest', 'daily', 'weekly', 'monthly']);
    expect(plan.keep.find((k) => dayBucket(k.takenAt) === '2026-11-22')!.reasons).toEqual(['weekly']);
    expect(plan.keep.length + plan.remove.length).toBe(400);
  });

  it('keeps only the newest of several snapshots on one day', () => {
    const snaps = [
      { id: 'a', takenAt: '2026-11-30T01:00:00Z' },
      { id: 'b', takenAt: '2026-11-30T05:00:00Z' },
      { id: 'c', takenAt: '2026-11-29T05:00:00Z' },
    ];
    const plan = planRetention(snaps, { daily: 2, weekly: 0, monthly: 0 });
    expect(plan.keep.map((k) => k.id)).toEqual(['b', 'c']);
    expect(plan.remove.map((r) => r.id)).toEqual(['a']);
  });

  it('always keeps the newest, even with nothing to keep', () => {
    const plan = planRetention(nightly('2026-11-30', 3), { daily: 0, weekly: 0, monthly: 0 });
    expect(plan.keep.map((k) => k.id)).toEqual(['snap-002']);
    expect(plan.keep[0]!.reasons).toEqual(['latest']);
  });

  it('is idempotent: planning again over what it kept removes nothing (so a retried prune deletes nothing new)', () => {
    for (const [n, keep] of [
      [60, { daily: 3, weekly: 2, monthly: 2 }],
      [400, { daily: 7, weekly: 4, monthly: 12 }],
      [10, { daily: 1, weekly: 0, monthly: 5 }],
    ] as const) {
      const first = planRetention(nightly('2026-11-30', n), keep);
      const again = planRetention(first.keep, keep);
      expect(again.remove).toEqual([]);
      expect(again.keep.map((k) => k.id)).toEqual(first.keep.map((k) => k.id));
    }
  });

  it('does not depend on the order it is given', () => {
    const snaps = nightly('2026-11-30', 50);
    const a = planRetention(snaps, { daily: 5, weekly: 3, monthly: 2 });
    const b = planRetention([...snaps].reverse(), { daily: 5, weekly: 3, monthly: 2 });
    expect(b).toEqual(a);
  });

  it('gives the horizon of a policy in days', () => {
    expect(retentionHorizonDays({ daily: 7, weekly: 4, monthly: 12 })).toBe(372);
    expect(retentionHorizonDays({ daily: 7, weekly: 4, monthly: 0 })).toBe(28);
    expect(retentionHorizonDays({ daily: 0, weekly: 0, monthly: 0 })).toBe(1);
  });
});

describe('volume selection', () => {
  const vol = (id: string, tags: Record<string, string>, state = 'in-use'): VolumeFacts => ({
    volumeId: id,
    availabilityZone: 'ap-south-1a',
    sizeGiB: 10,
    volumeType: 'gp3',
    state,
    createTime: '2026-11-01T00:00:00Z',
    attachedTo: [],
    tags,
  });
  const selector = {
    anyOfTagKeys: ['kubernetes.io/created-for/pvc/name', 'ebs.csi.aws.com/cluster'],
    tags: [{ key: 'backup', value: 'yes' }],
  };

  it('selects the cluster’s CSI volumes and configured tags, skipping other clusters, untagged and unusable volumes', () => {
    const out = selectBackupVolumes(
      [
        vol('vol-1', { 'kubernetes.io/cluster/prod': 'owned', 'kubernetes.io/created-for/pvc/name': 'data-db-0' }),
        vol('vol-2', { KubernetesCluster: 'prod', 'ebs.csi.aws.com/cluster': 'true' }, 'available'),
        vol('vol-3', { 'eks:cluster-name': 'prod', backup: 'yes' }),
        vol('vol-4', { 'eks:cluster-name': 'prod', backup: 'no' }),
        vol('vol-5', { 'kubernetes.io/cluster/staging': 'owned', 'ebs.csi.aws.com/cluster': 'true' }),
        vol('vol-6', { 'kubernetes.io/cluster/prod': 'owned', 'ebs.csi.aws.com/cluster': 'true' }, 'creating'),
        vol('vol-7', { 'ebs.csi.aws.com/cluster': 'true' }),
      ],
      'prod',
      selector,
    );
    expect(out.selected.map((v) => v.volumeId)).toEqual(['vol-1', 'vol-2', 'vol-3']);
    expect(out.skipped).toEqual([
      { volumeId: 'vol-4', reason: 'no selector tag' },
      { volumeId: 'vol-6', reason: 'volume is creating' },
    ]);
  });
});
