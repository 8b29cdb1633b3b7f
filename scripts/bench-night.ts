/**
 * `npm run bench:night`: the night jobs over a 50-cluster sandbox (moto + a Temporal dev server,
 * one worker): the 02:00 backup (a snapshot of each selected volume, waited for, GFS-pruned), the
 * 03:00 security scan (2 node groups per cluster, seeded findings), the 04:00 log archival over the
 * first BENCH_ARCHIVE_CLUSTERS clusters, and the 19:00 cleanup (every kind scanned in each
 * account/region, candidates tagged). Prints one JSON line.
 *
 * moto is started with MOTO_EC2_LOAD_DEFAULT_AMIS=false: by default it loads ~1,300 public AMIs,
 * each with a snapshot, and a tag-filtered DescribeSnapshots then walks all of them (seconds per
 * call on this machine). Beside the jobs it prints the ceiling measured in the same run: one
 * CreateSnapshot round trip (p50 of 20) and one tag-filtered DescribeSnapshots (p50 of 5); and
 * archive_floor_ms — the poll interval times the longest per-account export queue, the least any
 * archival can take when exports are one at a time per account.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSnapshotCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { connectClient } from '../src/client';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { expandTemplate, yesterdayIst } from '../src/domain/logs/plan';
import { reconcileNodegroupAsgs } from '../src/sandbox/nodegroup-asg-reconciler';
import { startMoto, startTemporalDevServer, type ManagedProcess } from '../src/sandbox/processes';
import {
  sandboxAmiParameterTemplate,
  seedCluster,
  seedLogGroups,
  seedNightResources,
  seedSecurityFindings,
} from '../src/sandbox/seed';
import { createWorker } from '../src/worker';
import type { BackupsResult } from '../workflows/backups/backups';
import type { ResourceCleanupResult } from '../workflows/cleanup/cleanup';
import type { LogArchivalSummary } from '../workflows/logs/messages';
import type { SecurityScanResult } from '../workflows/security/messages';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 50);
const ARCHIVE_CLUSTERS = Number(process.env.BENCH_ARCHIVE_CLUSTERS ?? 10);
const LOG_POLL_SECONDS = 5;
const progress = (msg: string) => process.stderr.write(`[bench:night] ${msg}\n`);

function benchConfig() {
  const targets = [
    { accountId: '111111111111', region: 'ap-south-1' },
    { accountId: '222222222222', region: 'us-east-1' },
  ];
  const loaded = parseConfig(
    {
      clusters: Array.from({ length: CLUSTERS }, (_, i) => ({
        name: `night-${String(i).padStart(3, '0')}`,
        ...targets[i % targets.length],
        nodegroups: [0, 1].map((g) => ({
          name: `ng-${g}`,
          instanceTypes: ['m5.large'],
          businessHours: { min: 1, desired: 1, max: 2 },
          offHours: { min: 1, desired: 1, max: 2 },
        })),
      })),
      backups: { pollSeconds: 1 },
      cleanup: { mode: 'tag', volumeMinAgeDays: 0 },
      logs: { catchUpDays: 0, pollSeconds: LOG_POLL_SECONDS },
    },
    'bench config',
  );
  return {
    ...loaded,
    security: {
      ...loaded.security,
      amiReleaseParameter: sandboxAmiParameterTemplate(loaded.security.amiReleaseParameter),
    },
  };
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const started: ManagedProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-night-'));
  try {
    progress('starting moto (no default AMIs) and a Temporal dev server');
    const [moto, temporal] = await Promise.all([
      startMoto({ logFile: join(dir, 'moto.log'), env: { MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' } }),
      startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
    ]);
    started.push(moto, temporal);
    const config = benchConfig();
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS });
    progress(`seeding ${CLUSTERS} clusters: node groups, volumes, snapshots, EIPs, ENIs, findings, log groups`);
    for (const c of config.clusters.slice(0, 2)) await seedCluster(aws, c);
    for (let i = 2; i < config.clusters.length; i += 10)
      await Promise.all(config.clusters.slice(i, i + 10).map((c) => seedCluster(aws, c)));
    await reconcileNodegroupAsgs(aws, config.clusters);
    const nowMs = Date.now();
    for (const [i, c] of config.clusters.entries()) {
      await seedNightResources(aws, c);
      await seedSecurityFindings(aws, c, config.security.amiReleaseParameter);
      if (i < ARCHIVE_CLUSTERS)
        await seedLogGroups(aws, c, {
          bucket: expandTemplate(config.logs.bucket, { accountId: c.accountId, region: c.region }),
          nowMs,
          eventsPerHour: 1,
        });
    }

    // The ceiling: one CreateSnapshot and one tag-filtered DescribeSnapshots round trip to this moto.
    const probe = await seedNightResources(aws, config.clusters[0]!);
    const calls: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = Date.now();
      await aws.ec2(config.clusters[0]!).send(new CreateSnapshotCommand({ VolumeId: probe.volumes[0] }));
      calls.push(Date.now() - t);
    }
    const describes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      await aws.ec2(config.clusters[0]!).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: 'tag:eksflow:backup-run', Values: ['probe'] }],
        }),
      );
      describes.push(Date.now() - t);
    }

    const env = readEnv({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench-night',
      EKSFLOW_AWS_ENDPOINT: moto.endpoint,
      EKSFLOW_AUDIT_LOG: join(dir, 'audit.jsonl'),
      EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
    });
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    progress('starting a worker (bundles the workflow code)');
    const worker = await createWorker(env, config);
    const running = worker.run();
    const client = await connectClient(env);
    const run = async <T>(type: string, args: unknown[]): Promise<{ ms: number; result: T }> => {
      const t0 = Date.now();
      const result = await client.workflow.execute<(...a: unknown[]) => Promise<T>>(type, {
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        workflowId: `bench-night/${type}/${t0}`,
        args,
      });
      return { ms: Date.now() - t0, result };
    };

    progress('backups');
    const b = await run<BackupsResult>('backups', [{ restoreDrill: 'never' }]);
    progress('security scan');
    const s = await run<SecurityScanResult>('securityScans', [{ scanId: 'bench' }]);
    progress(`log archival over ${ARCHIVE_CLUSTERS} clusters`);
    const names = config.clusters.slice(0, ARCHIVE_CLUSTERS).map((c) => c.name);
    const a = await run<LogArchivalSummary>('logArchival', [{ date: yesterdayIst(nowMs), clusters: names }]);
    progress('cleanup');
    const c = await run<ResourceCleanupResult>('resourceCleanup', [{}]);

    const perAccount = Object.values(
      a.result.exports.reduce<Record<string, number>>(
        (m, e) => ({ ...m, [e.accountId]: (m[e.accountId] ?? 0) + 1 }),
        {},
      ),
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'night',
        clusters: b.result.clusters.length,
        volumes: b.result.clusters.reduce((n, x) => n + x.volumes.length, 0),
        snapshots_completed: b.result.clusters.reduce(
          (n, x) => n + x.volumes.filter((v) => v.state === 'completed').length,
          0,
        ),
        snapshots_pruned: b.result.clusters.reduce((n, x) => n + x.pruned.length, 0),
        snapshots_ms: b.ms,
        create_snapshot_call_ms: p50(calls),
        describe_snapshots_call_ms: p50(describes),
        backup_errors: b.result.failures.length,
        scan_ms: s.ms,
        findings: s.result.totalActive,
        scan_clusters_failed: s.result.clustersFailed.length,
        archive_ms: a.ms,
        archive_floor_ms: Math.max(0, ...perAccount) * LOG_POLL_SECONDS * 1000,
        log_groups: a.result.groups,
        exports: a.result.tasks,
        archive_failed: a.result.failed.length,
        cleanup_ms: c.ms,
        cleanup_targets: c.result.plans.length,
        cleanup_candidates: c.result.report.totals.candidates,
        cleanup_tagged: c.result.report.totals.tagged,
        cleanup_usd_month: c.result.report.totals.candidateUsdMonth,
      })}\n`,
    );

    worker.shutdown();
    await running;
    await client.connection.close();
  } finally {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    const causes: string[] = [];
    for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
      causes.push(e.message ?? String(e));
    process.stderr.write(`bench:night failed: ${causes.join(' ← ')}\n`);
    process.exit(1);
  },
);
