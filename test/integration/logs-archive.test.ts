import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { MARKER } from '../../activities/logs';
import { loadConfigFile } from '../../src/config/load';
import type { AlertInput } from '../../src/domain/alerts/types';
import { datedPrefix, yesterdayIst } from '../../src/domain/logs/plan';
import { seedLogGroups } from '../../src/sandbox/seed';
import { captureCli } from '../support/cli-capture';
import {
  connectDevServer,
  createTestWorker,
  motoEndpoint,
  temporalAddress,
  testActivityDeps,
  testAwsFactory,
  uniqueName,
} from '../support/stack';

/**
 * `eksflow logs archive` end to end: the CLI starts the logArchival workflow on the Temporal dev
 * server, a worker with the real activities exports from moto's CloudWatch Logs to moto's S3.
 */
describe('eksflow logs archive (dev server + moto)', () => {
  const aws = testAwsFactory();
  const u = uniqueName('itl');
  const account = '794444444444';
  const region = 'us-east-1';
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-logs-cli-'));
  const file = join(dir, 'eksflow.yaml');
  writeFileSync(
    file,
    `clusters:
  - name: ${u}
    accountId: "${account}"
    region: ${region}
    roleArn: arn:aws:iam::${account}:role/eksflow-automation
    nodegroups:
      - { name: web, instanceTypes: [m5.large], businessHours: { min: 1, desired: 1, max: 2 }, offHours: { min: 1, desired: 1, max: 2 } }
logs:
  bucket: ${u}-{accountId}
  catchUpDays: 0
  pollSeconds: 5
`,
  );
  const config = loadConfigFile(file);
  const cluster = config.clusters[0]!;
  const taskQueue = uniqueName('it-logs');
  const date = yesterdayIst(Date.now());
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: Worker;
  let running: Promise<void>;
  let cli: ReturnType<typeof captureCli>;

  beforeAll(async () => {
    await seedLogGroups(aws, cluster, { bucket: `${u}-${account}`, nowMs: Date.now() });
    stack = await connectDevServer();
    const deps = testActivityDeps({ config, client: stack.client, taskQueue, aws });
    worker = await createTestWorker({
      connection: stack.nativeConnection,
      taskQueue,
      deps,
      extra: {
        activities: { ...createActivities(deps), raiseAlert: async (a: AlertInput) => ({ workflowId: a.dedupKey }) },
      },
    });
    running = worker.run();
    cli = captureCli({
      EKSFLOW_CONFIG: file,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      EKSFLOW_AWS_ENDPOINT: motoEndpoint(),
    });
  });
  afterAll(async () => {
    cli?.restore();
    worker?.shutdown();
    await running;
    await stack?.close();
  });

  it('archives the day, prints the summary; a second run exports nothing', async () => {
    expect(await cli.run('logs', 'archive', '--date', date)).toBe(0);
    expect(cli.out).toMatch(
      new RegExp(
        `^log archival ${date}: 2 exported, 0 empty, 0 already archived, 0 failed; 2 task\\(s\\), \\d+ object\\(s\\), \\d+ bytes; retention 30 d set on 2 group\\(s\\)`,
      ),
    );
    expect(cli.out).toMatch(/days \d{4}-\d{2}-\d{2} · 2 group\(s\) · 2 export task\(s\)/);
    const marker = await aws.s3(cluster).send(
      new GetObjectCommand({
        Bucket: `${u}-${account}`,
        Key: `${datedPrefix('eksflow-logs', account, region, `/aws/eks/${u}/cluster`, date)}/${MARKER}`,
      }),
    );
    expect(JSON.parse(await marker.Body!.transformToString())).toMatchObject({
      objects: expect.any(Number),
      bytes: expect.any(Number),
    });
    expect(await cli.run('logs', 'archive', '--date', date, '--json')).toBe(0);
    expect(JSON.parse(cli.out)).toMatchObject({ exported: 0, alreadyArchived: 2, tasks: 0 });
  });

  it('bad input: a date that is not a calendar date, an unknown cluster', async () => {
    expect(await cli.run('logs', 'archive', '--date', '2026-02-30')).toBe(2);
    expect(cli.err).toMatch(/--date must be a calendar date as YYYY-MM-DD, got "2026-02-30"/);
    expect(await cli.run('logs', 'archive', '--cluster', 'nope')).toBe(2);
    expect(cli.err).toMatch(/unknown cluster\(s\) nope/);
  });
});
