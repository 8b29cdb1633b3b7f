/**
 * `npm run bench:night`: the night jobs over a 50-cluster sandbox (moto + a Temporal dev server,
 * one worker): the 02:00 backup (a snapshot of each selected volume, waited for, GFS-pruned) and
 * the 19:00 cleanup (every kind scanned in each account/region, candidates tagged). Prints one JSON
 * line. `scan_ms` is the 03:00 security scan when this build registers `securityScans`, else null.
 * The ceiling measured in the same run: one CreateSnapshot round trip to this moto (p50 of 20) and
 * one tag-filtered DescribeSnapshots (p50 of 5); a backup makes about three DescribeSnapshots per
 * cluster (find the run's snapshots, their states, the retention set) and moto serves one at a time.
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
import { seedNightResources } from '../src/sandbox/seed';
import { startMoto, startTemporalDevServer, type ManagedProcess } from '../src/sandbox/processes';
import { createWorker } from '../src/worker';
import * as workflows from '../workflows';
import type { BackupsResult } from '../workflows/backups/backups';
import type { ResourceCleanupResult } from '../workflows/cleanup/cleanup';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 50);
const progress = (msg: string) => process.stderr.write(`[bench:night] ${msg}\n`);

function benchConfig() {
  const targets = [
    { accountId: '111111111111', region: 'ap-south-1' },
    { accountId: '222222222222', region: 'us-east-1' },
  ];
  return parseConfig(
    {
      clusters: Array.from({ length: CLUSTERS }, (_, i) => ({
        name: `night-${String(i).padStart(3, '0')}`,
        ...targets[i % targets.length],
        nodegroups: [
          {
            name: 'general',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 2, max: 4 },
            offHours: { min: 0, desired: 1, max: 4 },
          },
        ],
      })),
      backups: { pollSeconds: 1 },
      cleanup: { mode: 'tag', volumeMinAgeDays: 0 },
    },
    'bench config',
  );
}

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
    const config = benchConfig();
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS });
    progress(`seeding ${CLUSTERS} clusters' volumes, snapshots, EIPs, ENIs`);
    for (const c of config.clusters.slice(0, 2)) await seedNightResources(aws, c);
    for (let i = 2; i < config.clusters.length; i += 10)
      await Promise.all(config.clusters.slice(i, i + 10).map((c) => seedNightResources(aws, c)));

    // The ceiling: one CreateSnapshot round trip to this moto.
    const probe = await seedNightResources(aws, config.clusters[0]!);
    const calls: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = Date.now();
      await aws.ec2(config.clusters[0]!).send(new CreateSnapshotCommand({ VolumeId: probe.volumes[0] }));
      calls.push(Date.now() - t);
    }
    calls.sort((a, b) => a - b);
    // And one tag-filtered DescribeSnapshots (what finding a run's snapshots costs on this moto,
    // which holds ~1,300 public snapshots besides ours).
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
    describes.sort((a, b) => a - b);

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
      const h = await client.workflow.start(type, {
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        workflowId: `bench-night/${type}/${t0}`,
        args,
      });
      const result = (await h.result()) as T;
      return { ms: Date.now() - t0, result };
    };

    progress('backups');
    const b = await run<BackupsResult>('backups', [{ restoreDrill: 'never' }]);
    let scanMs: number | null = null;
    if ('securityScans' in workflows) {
      progress('security scans');
      scanMs = (await run('securityScans', [{}])).ms;
    }
    progress('cleanup');
    const c = await run<ResourceCleanupResult>('resourceCleanup', [{}]);

    const volumes = b.result.clusters.reduce((n, x) => n + x.volumes.length, 0);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'night',
        clusters: b.result.clusters.length,
        volumes,
        snapshots_completed: b.result.clusters.reduce(
          (n, x) => n + x.volumes.filter((v) => v.state === 'completed').length,
          0,
        ),
        snapshots_pruned: b.result.clusters.reduce((n, x) => n + x.pruned.length, 0),
        snapshots_ms: b.ms,
        create_snapshot_call_ms: calls[Math.floor(calls.length / 2)],
        describe_snapshots_call_ms: describes[Math.floor(describes.length / 2)],
        scan_ms: scanMs,
        cleanup_ms: c.ms,
        cleanup_targets: c.result.plans.length,
        cleanup_candidates: c.result.report.totals.candidates,
        cleanup_tagged: c.result.report.totals.tagged,
        cleanup_usd_month: c.result.report.totals.candidateUsdMonth,
        errors: b.result.failures.length,
      })}\n`,
    );

    worker.shutdown();
    await running;
    await client.connection.close();
  } finally {
    for (const p of started.reverse()) await p.stop();
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
