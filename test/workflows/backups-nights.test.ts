import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { backups } from '../../workflows';
import { createActivities } from '../../activities';
import { planRetention } from '../../src/domain/backups/retention';
import { testActivityDeps, testAwsFactory, testConfig, uniqueName, workflowBundle } from '../support/stack';
import { startNightHarness, type NightHarness } from '../support/night-harness';
import {
  csiVolume,
  nightCluster,
  snapshotOf,
  snapshotsOfVolume,
  snapshotsTagged,
  tagOf,
} from '../support/night-fixtures';

const DAY = 86_400_000;

/**
 * Ten nights of the 02:00 backup on the time-skipping server, against moto with the real
 * activities: one snapshot per volume per night, DR copies, grandfather-father-son pruning of
 * eksflow's own snapshots in both regions, and the monthly restore drill.
 * moto reports a snapshot `completed` at once; the durable wait for `pending` snapshots is
 * exercised by the second test, whose state reads say `pending` for a while.
 */
describe('backups: ten nights (time-skipping)', () => {
  const aws = testAwsFactory();
  const cl = nightCluster('ts-backup');
  const raw = {
    clusters: [cl],
    backups: { policy: 'nightly', keep: { daily: 3, weekly: 2, monthly: 1 }, drRegion: 'us-west-2', pollSeconds: 60 },
  };
  const config = testConfig(raw);
  const target = { accountId: cl.accountId, region: cl.region, roleArn: cl.roleArn };
  const taskQueue = uniqueName('ts-backups');
  let env: TestWorkflowEnvironment;
  let plain: Client;
  let h: NightHarness;
  let deps: ReturnType<typeof testActivityDeps>;

  beforeAll(async () => {
    h = await startNightHarness({ config, taskQueue, aws });
    ({ env, plain, deps } = h);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('snapshots nightly, copies to DR, keeps exactly the GFS set of its own snapshots and never touches others', async () => {
    const volA = await csiVolume(aws, target, cl.name, 'data-db-0');
    const volB = await csiVolume(aws, target, cl.name, 'data-db-1');
    const otherCluster = await csiVolume(aws, target, 'someone-else', 'data-x');
    // Snapshots eksflow did not make, another policy's, and a protected one: retention never sees them.
    const foreign = await snapshotOf(aws, target, volA, { team: 'db' });
    const otherPolicy = await snapshotOf(aws, target, volA, {
      'eksflow:backup-of': volA,
      'eksflow:backup-policy': 'weekly-manual',
      'eksflow:taken-at': '2020-01-01T00:00:00Z',
    });
    const protectedOld = await snapshotOf(aws, target, volA, {
      'eksflow:backup-of': volA,
      'eksflow:backup-policy': 'nightly',
      'eksflow:taken-at': '2020-01-01T00:00:00Z',
      'eksflow:protect': 'legal hold',
    });

    const takenAts: string[] = [];
    let drills = 0;
    for (let night = 0; night < 10; night++) {
      if (night > 0) await env.sleep(DAY);
      const handle = await plain.workflow.start(backups, {
        taskQueue,
        workflowId: uniqueName(`backups-night-${night}`),
        args: [{ clusters: [cl.name] }],
      });
      const r = await handle.result();
      takenAts.push(r.takenAt);
      expect(r.failures).toEqual([]);
      const c = r.clusters[0]!;
      expect(c.volumes.map((v) => [v.volumeId, v.state, v.copyState])).toEqual(
        [volA, volB].sort().map((v) => [v, 'completed', 'completed']),
      );
      if (r.restoreDrill) {
        drills++;
        expect(r.restoreDrill).toMatchObject({
          ok: true,
          deleted: true,
          cluster: `${cl.accountId}/${cl.region}/${cl.name}`,
        });
      }
    }
    // The drill has its own monthly schedule (timetable `restore-drill`): the nightly run never drills,
    // not even on the 1st of the month (IST).
    expect(drills).toBe(0);

    const expected = planRetention(
      takenAts.map((t, i) => ({ id: String(i), takenAt: t })),
      { daily: 3, weekly: 2, monthly: 1 },
    );
    const expectedTimes = expected.keep.map((k) => k.takenAt).sort();
    for (const vol of [volA, volB]) {
      const mine = (await snapshotsOfVolume(aws, target, vol)).filter(
        (s) => tagOf(s, 'eksflow:backup-policy') === 'nightly' && !tagOf(s, 'eksflow:protect'),
      );
      expect(mine.map((s) => tagOf(s, 'eksflow:taken-at')).sort()).toEqual(expectedTimes);
      const copies = await snapshotsTagged(aws, { ...target, region: 'us-west-2' }, 'eksflow:backup-of', [vol]);
      expect(copies.map((s) => tagOf(s, 'eksflow:taken-at')).sort()).toEqual(expectedTimes);
    }
    const survivors = (await snapshotsOfVolume(aws, target, volA)).map((s) => s.SnapshotId);
    expect(survivors).toEqual(expect.arrayContaining([foreign, otherPolicy, protectedOld]));
    expect(await snapshotsOfVolume(aws, target, otherCluster)).toEqual([]);

    // Every delete is in the audit log exactly once, and only for snapshots of the two volumes.
    const deletes = deps.audit.read().filter((a) => a.action === 'ec2:DeleteSnapshot');
    const ids = deletes.map((a) => a.target.split('/').pop());
    expect(new Set(ids).size).toBe(ids.length);
    expect(deletes.length).toBe(2 * 2 * (10 - expected.keep.length)); // two volumes, two regions
    expect(new Set(deletes.map((d) => (d.detail as { volumeId: string }).volumeId))).toEqual(new Set([volA, volB]));
  });

  it('waits durably for a pending snapshot and prunes nothing for a volume whose snapshot never completes', async () => {
    const cl2 = nightCluster('ts-backup-wait');
    const raw2 = {
      clusters: [cl2],
      backups: { keep: { daily: 1, weekly: 0, monthly: 0 }, pollSeconds: 300, waitTimeoutMinutes: 60 },
    };
    const config2 = testConfig(raw2);
    const t2 = { accountId: cl2.accountId, region: cl2.region, roleArn: cl2.roleArn };
    const ok = await csiVolume(aws, t2, cl2.name, 'ok');
    const stuck = await csiVolume(aws, t2, cl2.name, 'stuck');
    const old = await snapshotOf(aws, t2, stuck, {
      'eksflow:backup-of': stuck,
      'eksflow:backup-policy': 'daily',
      'eksflow:taken-at': '2020-01-01T00:00:00Z',
    });
    const oldOk = await snapshotOf(aws, t2, ok, {
      'eksflow:backup-of': ok,
      'eksflow:backup-policy': 'daily',
      'eksflow:taken-at': '2020-01-01T00:00:00Z',
    });
    // moto completes snapshots at once; these state reads report what EBS reports for a while:
    // `pending` for the first snapshot 3 times, and always for the stuck volume's snapshot.
    const q2 = uniqueName('ts-backups-wait');
    const real = createActivities(testActivityDeps({ config: config2, client: env.client, taskQueue: q2, aws }));
    let reads = 0;
    const readTimes: number[] = [];
    const stuckSnapshots = new Set<string>();
    const w2 = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: q2,
      workflowBundle: await workflowBundle(),
      activities: {
        ...real,
        takeBackupSnapshots: async (i: Parameters<typeof real.takeBackupSnapshots>[0]) => {
          const out = await real.takeBackupSnapshots(i);
          for (const s of out) if (s.volumeId === stuck) stuckSnapshots.add(s.snapshotId);
          return out;
        },
        backupSnapshotStates: async (i: Parameters<typeof real.backupSnapshotStates>[0]) => {
          readTimes.push(Date.now());
          const states = await real.backupSnapshotStates(i);
          reads++;
          for (const id of Object.keys(states)) if (stuckSnapshots.has(id) || reads <= 3) states[id] = 'pending';
          return states;
        },
      },
    });
    const r = await w2.runUntil(async () => {
      const h = await env.client.workflow.start(backups, {
        taskQueue: q2,
        workflowId: uniqueName('backups-wait'),
        args: [{ restoreDrill: 'never' }],
      });
      return h.result();
    });
    const c = r.clusters[0]!;
    expect(c.volumes.map((v) => [v.volumeId, v.state])).toEqual(
      [
        [ok, 'completed'],
        [stuck, 'timeout'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    expect(r.failures).toEqual([expect.stringContaining(`${stuck}: snapshot`)]);
    // 60 min timeout / 5 min polls: the first read plus 12 timer-spaced reads.
    expect(reads).toBe(13);
    // Pruned: the ok volume's old snapshot; the stuck volume keeps everything it had.
    expect(c.pruned).toEqual([oldOk]);
    expect((await snapshotsOfVolume(aws, t2, stuck)).map((s) => s.SnapshotId)).toContain(old);
  });
});
