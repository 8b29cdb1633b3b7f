/**
 * `npm run bench:night-security`: the 03:00 security scan over 50 clusters (2 node groups each) and
 * the 04:00 log archival over the first BENCH_ARCHIVE_CLUSTERS of them, in moto on a Temporal dev
 * server with one worker. Prints one JSON line: findings and scan_ms (workflow start to result);
 * log groups, exports and archive_ms, beside archive_floor_ms — the poll interval times the longest
 * per-account export queue, the least any run can take when exports are one at a time per account.
 * (The combined `bench:night` adds backups and cleanup from the other night-shift branch.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { connectClient } from '../src/client';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { expandTemplate, yesterdayIst } from '../src/domain/logs/plan';
import { reconcileNodegroupAsgs } from '../src/sandbox/nodegroup-asg-reconciler';
import { startMoto, startTemporalDevServer, type ManagedProcess } from '../src/sandbox/processes';
import { sandboxAmiParameterTemplate, seedCluster, seedLogGroups, seedSecurityFindings } from '../src/sandbox/seed';
import { createWorker } from '../src/worker';
import type { LogArchivalSummary } from '../workflows/logs/messages';
import type { SecurityScanResult } from '../workflows/security/messages';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 50);
const ARCHIVE_CLUSTERS = Number(process.env.BENCH_ARCHIVE_CLUSTERS ?? 10);
const POLL_SECONDS = 5;
const progress = (msg: string) => process.stderr.write(`[bench:night-security] ${msg}\n`);

async function main(): Promise<void> {
  const started: ManagedProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-night-'));
  try {
    progress('starting moto and a Temporal dev server');
    const [moto, temporal] = await Promise.all([
      startMoto({ logFile: join(dir, 'moto.log') }),
      startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
    ]);
    started.push(moto, temporal);
    const targets = [
      { accountId: '111111111111', region: 'ap-south-1' },
      { accountId: '222222222222', region: 'us-east-1' },
    ];
    const raw = {
      clusters: Array.from({ length: CLUSTERS }, (_, i) => ({
        name: `night-${String(i).padStart(3, '0')}`,
        ...targets[i % 2],
        nodegroups: [0, 1].map((g) => ({
          name: `ng-${g}`,
          instanceTypes: ['m5.large'],
          businessHours: { min: 1, desired: 1, max: 2 },
          offHours: { min: 1, desired: 1, max: 2 },
        })),
      })),
      logs: { catchUpDays: 0, pollSeconds: POLL_SECONDS },
    };
    const loaded = parseConfig(raw, 'bench config');
    const config = {
      ...loaded,
      security: {
        ...loaded.security,
        amiReleaseParameter: sandboxAmiParameterTemplate(loaded.security.amiReleaseParameter),
      },
    };
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS });
    progress(`seeding ${CLUSTERS} clusters`);
    for (const c of config.clusters.slice(0, 2)) await seedCluster(aws, c);
    for (let i = 2; i < config.clusters.length; i += 10)
      await Promise.all(config.clusters.slice(i, i + 10).map((c) => seedCluster(aws, c)));
    await reconcileNodegroupAsgs(aws, config.clusters);
    const nowMs = Date.now();
    for (const [i, c] of config.clusters.entries()) {
      await seedSecurityFindings(aws, c, loaded.security.amiReleaseParameter);
      if (i < ARCHIVE_CLUSTERS)
        await seedLogGroups(aws, c, {
          bucket: expandTemplate(config.logs.bucket, { accountId: c.accountId, region: c.region }),
          nowMs,
          eventsPerHour: 1,
        });
    }

    const env = readEnv({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'bench-night',
      EKSFLOW_AWS_ENDPOINT: moto.endpoint,
      EKSFLOW_AUDIT_LOG: join(dir, 'audit.jsonl'),
      EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
    });
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    progress('starting a worker');
    const worker = await createWorker(env, config);
    const running = worker.run();
    const client = await connectClient(env);
    const queue = { taskQueue: env.TEMPORAL_TASK_QUEUE };

    progress('security scan');
    let t0 = Date.now();
    const scan = await client.workflow.execute<(i: unknown) => Promise<SecurityScanResult>>('securityScans', {
      ...queue,
      workflowId: 'bench-security-scan',
      args: [{ scanId: 'bench' }],
    });
    const scanMs = Date.now() - t0;

    progress(`log archival over ${ARCHIVE_CLUSTERS} clusters`);
    t0 = Date.now();
    const names = config.clusters.slice(0, ARCHIVE_CLUSTERS).map((c) => c.name);
    const archive = await client.workflow.execute<(i: unknown) => Promise<LogArchivalSummary>>('logArchival', {
      ...queue,
      workflowId: 'bench-log-archival',
      args: [{ date: yesterdayIst(nowMs), clusters: names }],
    });
    const archiveMs = Date.now() - t0;
    const perAccount = Object.values(
      archive.exports.reduce<Record<string, number>>(
        (m, e) => ({ ...m, [e.accountId]: (m[e.accountId] ?? 0) + 1 }),
        {},
      ),
    );
    worker.shutdown();
    await running;
    await client.connection.close();
    process.stdout.write(
      `${JSON.stringify({
        bench: 'night-security',
        clusters: CLUSTERS,
        findings: scan.totalActive,
        clusters_failed: scan.clustersFailed.length,
        scan_ms: scanMs,
        archive_clusters: ARCHIVE_CLUSTERS,
        log_groups: archive.groups,
        exports: archive.tasks,
        failed: archive.failed.length,
        bytes: archive.bytes,
        archive_ms: archiveMs,
        archive_floor_ms: Math.max(0, ...perAccount) * POLL_SECONDS * 1000,
      })}\n`,
    );
  } finally {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
