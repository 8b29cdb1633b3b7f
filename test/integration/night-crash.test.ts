import {
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backups, resourceCleanup } from '../../workflows';
import { AuditLog } from '../../src/audit';
import { planRetention } from '../../src/domain/backups/retention';
import { connectDevServer, testAwsFactory, uniqueName } from '../support/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { csiVolume, nightCluster, snapshotOf, tagOf } from '../support/night-fixtures';

/** Polls the audit file (appended by the worker process) until `pred` holds. */
async function untilAudit(path: string, pred: (n: number) => boolean, action: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    const n = existsSync(path)
      ? readFileSync(path, 'utf8')
          .split('\n')
          .filter((l) => l.includes(`"action":"${action}"`)).length
      : 0;
    if (pred(n)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`audit never showed ${action}`);
}

/**
 * The two night jobs that delete things, each with its worker process SIGKILLed in the middle of
 * its deletes and another worker taking over: nothing is deleted twice, nothing is deleted that
 * was not a candidate, and the job finishes.
 */
describe('night jobs survive a worker crash mid-delete', () => {
  const aws = testAwsFactory();
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    stack = await connectDevServer();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop().catch(() => undefined);
    await stack?.close();
  });

  it('backup pruning: each snapshot deleted at most once, only those retention removed', async () => {
    const cl = nightCluster('it-crash-backup');
    const raw = { clusters: [cl], backups: { policy: 'daily', keep: { daily: 3, weekly: 2, monthly: 2 } } };
    const t = { accountId: cl.accountId, region: cl.region, roleArn: cl.roleArn };
    const vol = await csiVolume(aws, t, cl.name, 'data-0');
    // 80 nights of earlier backups (made by eksflow), plus one made by someone else.
    const start = Date.parse('2026-03-01T20:30:00Z');
    const old: { id: string; takenAt: string }[] = [];
    for (let i = 0; i < 80; i++) {
      const takenAt = new Date(start + i * 86_400_000).toISOString();
      old.push({
        id: await snapshotOf(aws, t, vol, {
          'eksflow:backup-of': vol,
          'eksflow:backup-policy': 'daily',
          'eksflow:taken-at': takenAt,
        }),
        takenAt,
      });
    }
    const foreign = await snapshotOf(aws, t, vol, { team: 'db' });
    const taskQueue = uniqueName('it-crash-backup');
    const auditLog = join(mkdtempSync(join(tmpdir(), 'eksflow-night-crash-')), 'audit.jsonl');
    workers.push(await spawnWorkerProcess({ config: raw, taskQueue, auditLog }));
    const handle = await stack.client.workflow.start(backups, {
      taskQueue,
      workflowId: uniqueName('crash-backups'),
      args: [{ restoreDrill: 'never' }],
    });
    await untilAudit(auditLog, (n) => n >= 5, 'ec2:DeleteSnapshot');
    await workers[0]!.kill();
    const deletedBeforeKill = new AuditLog(auditLog).read().filter((a) => a.action === 'ec2:DeleteSnapshot').length;
    workers.push(await spawnWorkerProcess({ config: raw, taskQueue, auditLog }));
    const r = await handle.result();

    const created = new AuditLog(auditLog).read().filter((a) => a.action === 'ec2:CreateSnapshot');
    expect(created).toHaveLength(1); // the new snapshot was taken once, before the kill
    const newId = (created[0]!.detail as { snapshotId: string }).snapshotId;
    const expected = planRetention([...old, { id: newId, takenAt: r.takenAt }], { daily: 3, weekly: 2, monthly: 2 });
    const deletes = new AuditLog(auditLog)
      .read()
      .filter((a) => a.action === 'ec2:DeleteSnapshot')
      .map((a) => a.target.split('/').pop()!);
    expect(deletedBeforeKill).toBeLessThan(expected.remove.length); // the kill really was mid-batch
    expect(new Set(deletes).size).toBe(deletes.length);
    // Every recorded delete was planned. (A kill between a delete and its audit line can leave one
    // unrecorded — its retry finds it gone and reports it `absent` — so AWS's state is the check.)
    expect(expected.remove.map((x) => x.id)).toEqual(expect.arrayContaining(deletes));
    expect(deletes.length).toBeGreaterThanOrEqual(expected.remove.length - 1);
    const left =
      (await aws.ec2(t).send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'volume-id', Values: [vol] }] })))
        .Snapshots ?? [];
    expect(left.map((s) => s.SnapshotId).sort()).toEqual([...expected.keep.map((k) => k.id), foreign].sort());
    expect(left.filter((s) => tagOf(s, 'eksflow:backup-of')).length).toBe(expected.keep.length);
  });

  it('cleanup: each candidate deleted at most once, nothing else deleted', async () => {
    const cl = nightCluster('it-crash-cleanup');
    const raw = { clusters: [cl], cleanup: { mode: { volumes: 'delete' }, volumeMinAgeDays: 0, graceHours: 1 } };
    const t = { accountId: cl.accountId, region: cl.region, roleArn: cl.roleArn };
    const ec2 = aws.ec2(t);
    const expired = '2026-01-01T00:00:00.000Z';
    const plain = async () =>
      (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${t.region}a`, Size: 4 }))).VolumeId!;
    const candidates: string[] = [];
    for (let i = 0; i < 60; i++) candidates.push(await plain());
    // Tagged as well but not candidates: PVC volumes (may still be bound) and a protected one.
    const keep: string[] = [];
    for (let i = 0; i < 10; i++) keep.push(await csiVolume(aws, t, cl.name, `data-${i}`));
    const prot = await plain();
    keep.push(prot);
    for (const id of [...candidates, ...keep])
      await ec2.send(
        new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'eksflow:cleanup-after', Value: expired }] }),
      );
    await ec2.send(new CreateTagsCommand({ Resources: [prot], Tags: [{ Key: 'eksflow:protect', Value: 'yes' }] }));

    const taskQueue = uniqueName('it-crash-cleanup');
    const auditLog = join(mkdtempSync(join(tmpdir(), 'eksflow-night-crash-')), 'audit.jsonl');
    workers.push(await spawnWorkerProcess({ config: raw, taskQueue, auditLog }));
    const handle = await stack.client.workflow.start(resourceCleanup, {
      taskQueue,
      workflowId: uniqueName('crash-cleanup'),
      args: [{}],
    });
    await untilAudit(auditLog, (n) => n >= 5, 'ec2:DeleteVolume');
    await workers[workers.length - 1]!.kill();
    const deletedBeforeKill = new AuditLog(auditLog).read().filter((a) => a.action === 'ec2:DeleteVolume').length;
    workers.push(await spawnWorkerProcess({ config: raw, taskQueue, auditLog }));
    const r = await handle.result();

    const deletes = new AuditLog(auditLog)
      .read()
      .filter((a) => a.action === 'ec2:DeleteVolume')
      .map((a) => a.target.split('/').pop()!);
    expect(deletedBeforeKill).toBeLessThan(candidates.length);
    expect(new Set(deletes).size).toBe(deletes.length);
    expect(candidates).toEqual(expect.arrayContaining(deletes));
    expect(deletes.length).toBeGreaterThanOrEqual(candidates.length - 1);
    const applied = r.applied[`${cl.accountId}/${cl.region}`]!;
    expect(r.plans[0]!.plan.protectedCandidates).toEqual([`volumes/${prot}`]);
    expect(applied.refused).toEqual([]);
    // The PVC volumes were tagged but are not candidates: the run takes their tag off (some may have been untagged before the kill).
    expect(applied.untagged.length).toBeLessThanOrEqual(10);
    const left =
      (
        await ec2.send(
          new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [...candidates, ...keep] }] }),
        )
      ).Volumes ?? [];
    expect(left.map((v) => v.VolumeId).sort()).toEqual([...keep].sort());
  });
});
