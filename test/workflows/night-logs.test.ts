import { CancelExportTaskCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities';
import { MARKER } from '../../activities/logs';
import { logsGateway } from '../../activities/gateways/logs';
import type { AlertInput } from '../../src/domain/alerts/types';
import { datedPrefix, istDate, overlaps, yesterdayIst } from '../../src/domain/logs/plan';
import { seedLogGroups } from '../../src/sandbox/seed';
import { logArchival } from '../../workflows';
import type { LogArchivalProgress, LogArchivalSummary } from '../../workflows/logs/messages';
import { testAwsFactory, testConfig, uniqueName } from '../support/stack';
import { startNightHarness, type NightHarness } from '../support/night-harness';

/**
 * The 04:00 log archival on the time-skipping server with the real activities against moto.
 * moto facts (checked by these tests): CreateExportTask reports COMPLETED at once and writes the
 * events to S3 (under `<prefix>/<uuid>/<stream>/000000.gz`, the uuid not being the task id);
 * CancelExportTask turns any task CANCELLED; moto does not enforce one active export per account
 * (eksflow's workflow does — asserted from the run's own timeline).
 */
describe('logArchival night (time-skipping, activities on moto)', () => {
  const aws = testAwsFactory();
  const region = 'ap-south-1';
  const u = uniqueName('tsl');
  const A = '791111111111';
  const B = '792222222222';
  const C = '793333333333';
  const ng = [
    {
      name: 'ng',
      instanceTypes: ['m5.large'],
      businessHours: { min: 1, desired: 1, max: 2 },
      offHours: { min: 1, desired: 1, max: 2 },
    },
  ];
  const cl = (name: string, accountId: string) => ({
    name,
    accountId,
    region,
    roleArn: `arn:aws:iam::${accountId}:role/eksflow-automation`,
    nodegroups: ng,
  });
  const config = testConfig({
    clusters: [cl(`${u}-a1`, A), cl(`${u}-a2`, A), cl(`${u}-b1`, B), cl(`${u}-c1`, C)],
    logs: { bucket: `${u}-{accountId}-{region}`, catchUpDays: 1, retentionDays: 30, pollSeconds: 30, maxAttempts: 3 },
  });
  const bucketOf = (acct: string) => `${u}-${acct}-${region}`;
  const taskQueue = uniqueName('ts-logs');
  const alerts: AlertInput[] = [];
  const nowMs = Date.now();
  const date = yesterdayIst(nowMs);
  let env: TestWorkflowEnvironment;
  let h: NightHarness;
  let deps: ActivityDeps;

  beforeAll(async () => {
    // Account C gets log groups but no bucket: its cluster is reported, the rest goes on.
    for (const c of config.clusters)
      await seedLogGroups(aws, c, { bucket: bucketOf(c.accountId), nowMs, skipBucket: c.accountId === C });
    h = await startNightHarness({ config, taskQueue, aws, alerts });
    ({ env, deps } = h);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const audit = (action: string) => deps.audit.read().filter((r) => r.action === action);
  const keys = async (acct: string, prefix: string) =>
    (
      (
        await aws
          .s3({ accountId: acct, region, roleArn: `arn:aws:iam::${acct}:role/eksflow-automation` })
          .send(new ListObjectsV2Command({ Bucket: bucketOf(acct), Prefix: prefix }))
      ).Contents ?? []
    ).map((o) => o.Key!);

  it('night 1: every group × day exported and verified, one export at a time per account, retention set, bucket problem alerted', async () => {
    const start = await env.currentTimeMs();
    const r = await env.client.workflow.execute(logArchival, {
      taskQueue,
      workflowId: `log-archival/${u}-1`,
      args: [{ date }],
    });
    expect(r).toMatchObject({
      date,
      groups: 6,
      planned: 12,
      exported: 12,
      empty: 0,
      alreadyArchived: 0,
      failed: [],
      tasks: 12,
    });
    expect(r.objects).toBeGreaterThanOrEqual(12);
    expect(r.bytes).toBeGreaterThan(0);
    // Durable waits: 12 exports, two accounts in parallel, each poll 30 s → at least 8 × 30 s of (skipped) time.
    expect((await env.currentTimeMs()) - start).toBeGreaterThanOrEqual(8 * 30_000);
    for (const acct of [A, B]) {
      const mine = r.exports
        .filter((e) => e.accountId === acct)
        .map((e) => e.outcome as { startedMs: number; endedMs: number });
      expect(mine.length).toBe(acct === A ? 8 : 4);
      expect(overlaps(mine)).toBe(false);
    }
    // Objects under each dated prefix, and the marker that makes the day archived.
    const g = `/aws/eks/${u}-a1/cluster`;
    const prefix = datedPrefix('eksflow-logs', A, region, g, date);
    const written = await keys(A, `${prefix}/`);
    expect(written).toContain(`${prefix}/${MARKER}`);
    expect(written.some((k) => /\/kube-apiserver-audit-0\/000000\.gz$/.test(k))).toBe(true);
    // Retention on all six groups, recorded once each.
    expect(r.retention).toMatchObject({ days: 30, unchanged: 0, skipped: [] });
    expect(r.retention.changed).toHaveLength(6);
    const groups = (
      await aws
        .logs({ accountId: A, region, roleArn: `arn:aws:iam::${A}:role/eksflow-automation` })
        .send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/eks/${u}-a1/` }))
    ).logGroups!;
    expect(groups.map((x) => x.retentionInDays)).toEqual([30]);
    expect(audit('logs:CreateExportTask')).toHaveLength(12);
    expect(audit('logs:PutRetentionPolicy')).toHaveLength(6);
    // Account C: no bucket → a problem, one warning alert for the night.
    expect(r.problems).toEqual([
      expect.stringMatching(new RegExp(`^bucket ${bucketOf(C)} does not exist in ${C}/${region}`)),
    ]);
    expect(alerts.map((a) => [a.type, a.severity, a.dedupKey])).toEqual([
      ['log_archival_failed', 'warning', `log-archival/${date}`],
    ]);
  });

  it('night 1 again (a rerun): nothing exported twice, retention untouched', async () => {
    const r = await env.client.workflow.execute(logArchival, {
      taskQueue,
      workflowId: `log-archival/${u}-1b`,
      args: [{ date, clusters: [`${u}-a1`, `${u}-a2`, `${u}-b1`] }],
    });
    expect(r).toMatchObject({
      planned: 0,
      exported: 0,
      alreadyArchived: 12,
      tasks: 0,
      failed: [],
      retention: { changed: [], unchanged: 6 },
    });
    expect(audit('logs:CreateExportTask')).toHaveLength(12);
    expect(audit('logs:PutRetentionPolicy')).toHaveLength(6);
  });

  it('night 2: only the new day is exported; a task cancelled under it is started again (attempt 2) and never counted twice', async () => {
    const next = istDate(Date.parse(`${date}T12:00:00Z`) + 86_400_000);
    const handle = await env.client.workflow.start(logArchival, {
      taskQueue,
      workflowId: `log-archival/${u}-2`,
      args: [{ date: next, clusters: [`${u}-b1`] }],
    });
    // Time stands still until we wait for the result: cancel B's first export task while the workflow sleeps.
    const target = { accountId: B, region, roleArn: `arn:aws:iam::${B}:role/eksflow-automation` };
    let cancelled: string | undefined;
    for (let i = 0; i < 100 && !cancelled; i++) {
      const t = (await logsGateway(aws, target).exportTasks()).find(
        (x) => x.destinationPrefix?.endsWith(next.replace(/-/g, '/')) && x.status?.code !== 'CANCELLED',
      );
      if (t) {
        await aws.logs(target).send(new CancelExportTaskCommand({ taskId: t.taskId }));
        cancelled = t.taskId;
      } else await new Promise((res) => setTimeout(res, 100));
    }
    expect(cancelled).toBeDefined();
    const progress = await handle.query<LogArchivalProgress>('logArchivalProgress');
    expect(Object.values(progress.current).filter(Boolean).length).toBeLessThanOrEqual(1);
    const r: LogArchivalSummary = await handle.result();
    expect(r).toMatchObject({ date: next, planned: 2, exported: 2, alreadyArchived: 2, failed: [], tasks: 3 });
    const retried = r.exports.find((e) => e.outcome.status === 'exported' && e.outcome.attempts === 2);
    expect(retried).toBeDefined();
    expect(r.exports.filter((e) => e.day === date)).toEqual([]);
  });

  it('dry run plans and changes nothing', async () => {
    const before = deps.audit.read().length;
    const r = await env.client.workflow.execute(logArchival, {
      taskQueue,
      workflowId: `log-archival/${u}-dry`,
      args: [{ date: istDate(Date.parse(`${date}T12:00:00Z`) + 2 * 86_400_000), clusters: [`${u}-a1`], dryRun: true }],
    });
    // a1's groups: the day after `date` was never archived (night 2 ran for b1 only), nor the one after.
    expect(r).toMatchObject({ dryRun: true, planned: 4, tasks: 0, exported: 0 });
    expect(r.headline).toMatch(/\(dry run\): 4 export\(s\) owed over 2 group\(s\); 0 already archived/);
    expect(deps.audit.read().length).toBe(before);
  });
});
