import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openOrMergeAlert } from '../../src/client/alerts';
import { REPO_ROOT } from '../../src/sandbox/processes';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import { connectDevServer, temporalAddress, uniqueName } from '../support/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { alertsTestConfig, alertsTestEnvNames, TEST_ROUTING_KEY } from '../unit/alerts/fixtures';

/**
 * What the image runs: the compiled CLI and the compiled worker (`npm run build`: dist/ and the
 * workflow bundle), with plain `node`, against the dev server. The build is reused when it is newer
 * than every source file, else made here.
 */
const DIST = join(REPO_ROOT, 'dist');
const BUNDLE = join(DIST, 'workflow-bundle.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|json|csv)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function ensureBuild(): void {
  const sources = Math.max(
    ...['src', 'workflows', 'activities', 'schedules'].map((d) => newestSource(join(REPO_ROOT, d))),
  );
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs > sources) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

describe('production build: compiled CLI and worker', () => {
  const taskQueue = uniqueName('it-prod-build');
  const names = alertsTestEnvNames('it_prod_build');
  let receivers: Receivers;
  let worker: WorkerProcess;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let configPath: string;
  const config = () =>
    alertsTestConfig({
      prefix: 'it_prod_build',
      pagerdutyUrl: receivers.pagerdutyUrl,
      extra: { rules: [{ type: 'it_prod_build_slack', channels: ['slack'], offHours: 'immediate' }] },
    });
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(DIST, 'src', 'cli', 'main.js'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        EKSFLOW_CONFIG: configPath,
        TEMPORAL_ADDRESS: temporalAddress(),
        TEMPORAL_TASK_QUEUE: taskQueue,
      },
    });

  beforeAll(async () => {
    ensureBuild();
    receivers = await startReceivers();
    stack = await connectDevServer();
    configPath = join(mkdtempSync(join(tmpdir(), 'eksflow-prod-build-')), 'eksflow.yaml');
    writeFileSync(configPath, stringify(config()));
    worker = await spawnWorkerProcess({
      config: config(),
      taskQueue,
      nodeArgs: [join(DIST, 'src', 'worker.js')],
      env: {
        [names.slackPrimary]: receivers.slackUrlFor('prod-build'),
        [names.slackSecondary]: receivers.slackUrlFor('prod-build-2'),
        [names.slackManager]: receivers.slackUrlFor('prod-build-3'),
        [names.pagerdutyKey]: TEST_ROUTING_KEY,
      },
    });
  }, 600_000);

  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await receivers?.close();
  });

  it('the compiled CLI prints its help with node alone', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const area of ['scaling', 'alerts', 'schedules', 'cleanup']) expect(r.stdout).toContain(area);
  });

  it('the compiled worker runs a workflow from the prebuilt bundle, and the compiled CLI lists it', async () => {
    expect(worker.output()).toContain('"workflowCode":"bundle"');
    const key = uniqueName('prod-build');
    const { workflowId } = await openOrMergeAlert(
      stack.client,
      { taskQueue, config: config(), uiBaseUrl: 'http://localhost:8233' },
      { severity: 'warning', type: 'it_prod_build_slack', dedupKey: key, summary: `compiled ${key}` },
    );
    await receivers.waitFor(
      () => receivers.received('slack').some((r) => JSON.stringify(r.body).includes(key)),
      60_000,
    );
    const listed = cli(['alerts', 'list', '--json']);
    expect({ status: listed.status, stderr: listed.stderr }).toMatchObject({ status: 0 });
    expect(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toContain(workflowId);
  });
});
