import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Worker } from '@temporalio/worker';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import {
  connectDevServer,
  createTestWorker,
  temporalAddress,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';
import { captureCli } from '../support/cli-capture';
import {
  cleanupWorldState,
  csiVolume,
  nightCluster,
  seedCleanupWorld,
  snapshotsTagged,
} from '../support/night-fixtures';

/**
 * The operator's view on the dev server with moto: `eksflow backups run|list|verify --latest` and
 * `eksflow cleanup plan|run` through the real CLI, a worker with the real activities, and the
 * resources in moto. moto completes snapshots and volumes at once (no `pending` phase).
 */
describe('night jobs from the CLI (dev server + moto)', () => {
  const aws = testAwsFactory();
  const cl = nightCluster('it-night-cli');
  const raw = {
    clusters: [cl],
    backups: { keep: { daily: 2, weekly: 0, monthly: 0 }, drRegion: 'eu-west-1' },
    cleanup: { mode: { elasticIps: 'delete', volumes: 'tag' }, volumeMinAgeDays: 0, graceHours: 0 },
  };
  const config = testConfig(raw);
  const t = { accountId: cl.accountId, region: cl.region, roleArn: cl.roleArn };
  const taskQueue = uniqueName('it-night-cli');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: Worker;
  let running: Promise<void>;
  let cli: ReturnType<typeof captureCli>;

  beforeAll(async () => {
    stack = await connectDevServer();
    await seedCluster(aws, config.clusters[0]!);
    await reconcileNodegroupAsgs(aws, config.clusters);
    worker = await createTestWorker({
      connection: stack.nativeConnection,
      taskQueue,
      deps: testActivityDeps({ config, client: stack.client, taskQueue, aws }),
    });
    running = worker.run();
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-night-cli-'));
    writeFileSync(join(dir, 'eksflow.yaml'), stringify(raw));
    cli = captureCli({
      EKSFLOW_CONFIG: join(dir, 'eksflow.yaml'),
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
  });

  afterAll(async () => {
    cli?.restore();
    worker?.shutdown();
    await running;
    await stack?.close();
  });

  it('backups run, list and the restore drill', async () => {
    const vol = await csiVolume(aws, t, cl.name, 'data-pg-0');
    expect(await cli.run('backups', 'run', '--dry-run')).toBe(0);
    expect(cli.out).toMatch(/dry run: nothing changed/);
    expect(await snapshotsTagged(aws, t, 'eksflow:backup-of', [vol])).toEqual([]);

    for (let i = 0; i < 3; i++) {
      expect(await cli.run('backups', 'run', '--cluster', cl.name)).toBe(0);
      expect(cli.out).toMatch(new RegExp(`${cl.accountId}/${cl.region}/${cl.name}\\s+1\\s+1\\s+1\\s+`));
    }
    // Three runs on one day: daily 2 keeps one (the newest of that day) in each region.
    expect(await snapshotsTagged(aws, t, 'eksflow:backup-of', [vol])).toHaveLength(1);
    expect(await snapshotsTagged(aws, { ...t, region: 'eu-west-1' }, 'eksflow:backup-of', [vol])).toHaveLength(1);

    expect(await cli.run('backups', 'list')).toBe(0);
    expect(cli.out).toMatch(/^SNAPSHOT\s+CLUSTER\s+REGION\s+VOLUME/m);
    expect(cli.out).toMatch(
      new RegExp(`snap-[0-9a-f]+\\s+\\S+\\s+ap-south-1\\s+${vol}\\s+\\S+\\s+completed\\s+8\\s+daily`),
    );
    expect(cli.out).toMatch(new RegExp(`eu-west-1\\s+${vol}`));
    expect(cli.out).toMatch(/^2 snapshot\(s\)$/m);

    expect(await cli.run('backups', 'verify')).toBe(2);
    expect(cli.err).toMatch(/give --latest/);
    expect(await cli.run('backups', 'verify', '--latest', '--az', 'nowhere')).toBe(2);
    expect(await cli.run('backups', 'verify', '--latest', '--cluster', cl.name, '--az', `${cl.region}b`)).toBe(0);
    expect(cli.out).toMatch(
      new RegExp(
        `^OK: volume from snap-[0-9a-f]+ became available\\n  snapshot snap-[0-9a-f]+ \\(${cl.accountId}/${cl.region}/${cl.name}\\) → volume vol-[0-9a-f]+ in ${cl.region}b, available after \\d+ s, deleted: yes`,
        'm',
      ),
    );
    expect(await cli.run('backups', 'run', '--cluster', 'no-such-cluster')).toBe(2);
    expect(cli.err).toMatch(/unknown cluster "no-such-cluster"/);
  });

  it('cleanup plan changes nothing; run tags volumes (mode tag) and releases EIPs (mode delete, no grace)', async () => {
    const w = await seedCleanupWorld(aws, t, cl.name);
    const before = await cleanupWorldState(aws, t, w);
    expect(await cli.run('cleanup', 'plan', '--cluster', cl.name)).toBe(0);
    expect(cli.out).toMatch(new RegExp(`elasticIps\\s+${w.eip}\\s+would tag\\s+3\\.65`));
    expect(cli.out).toMatch(/^plan \(nothing changed\): \d+ candidate\(s\), \$\d+\.\d\d\/month/m);
    expect(cli.out).toMatch(new RegExp(`protected \\(eksflow:protect\\), left alone: volumes/${w.protectedVolume}`));
    expect(await cleanupWorldState(aws, t, w)).toEqual(before);

    expect(await cli.run('cleanup', 'run', '--cluster', cl.name)).toBe(0); // phase one: tag
    expect(await cli.run('cleanup', 'run', '--cluster', cl.name)).toBe(0); // grace 0: phase two
    expect(cli.out).toMatch(new RegExp(`elasticIps\\s+${w.eip}\\s+deleted\\s+3\\.65`));
    const after = await cleanupWorldState(aws, t, w);
    expect(after.eip).toBeUndefined();
    expect(after.oldVolume).toMatch(/^\d{4}-\d\d-\d\dT/); // tagged, never deleted in mode tag
    expect(after.replacement).toBeNull(); // instances: mode report
  });
});
