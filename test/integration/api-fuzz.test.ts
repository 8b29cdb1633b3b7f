import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../../src/api/auth';
import { AuditLog } from '../../src/audit';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { buildIngressServer } from '../../src/ingress/server';
import { seedCluster } from '../../src/sandbox/seed';
import { controlStateQuery } from '../../workflows/scaling/messages';
import { scalingCluster } from '../support/scaling-fixtures';
import {
  connectDevServer,
  motoEndpoint,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

const SCHEMATHESIS = resolve(__dirname, '..', '..', '.tools', 'schemathesis', 'bin', 'schemathesis');
const ADMIN = 'fuzz-admin-token-0123456789abc';
const MAX_EXAMPLES = 10;
const CHECKS = 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance';

/** Runs schemathesis against the served spec; resolves with its exit code and output. */
function schemathesis(args: string[], dir: string): Promise<{ code: number; output: string }> {
  return new Promise((res, rej) => {
    const child = spawn(SCHEMATHESIS, ['run', ...args, '--no-color', '--seed', '1', '--generation-database', 'none'], {
      cwd: dir,
      env: { ...process.env, SCHEMATHESIS_HOOKS: '' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, output }));
  });
}

/**
 * schemathesis fuzzes the operator API from its served OpenAPI document, against the real
 * ingress, the dev server and moto: with an admin token no request may answer 5xx or off-spec;
 * without a token (and with a wrong one) every request is refused and nothing changes: the
 * controller's state, the audit log and the workflows started are compared before and after.
 */
describe('operator API under schemathesis', () => {
  const aws = testAwsFactory();
  const cluster = scalingCluster('it-fuzz');
  const taskQueue = uniqueName('it-fuzz');
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-fuzz-'));
  const audit = new AuditLog(join(dir, 'audit.jsonl'));
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let app: FastifyInstance;
  let base: string;

  const controllerState = () =>
    stack.client.workflow.getHandle(controllerWorkflowId(clusterKeyOf(cluster))).query(controlStateQuery);
  const workflowsOnQueue = async () => {
    const ids: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) ids.push(wf.workflowId);
    return ids.sort();
  };

  beforeAll(async () => {
    if (!existsSync(SCHEMATHESIS)) throw new Error(`${SCHEMATHESIS} is missing: run scripts/provision.sh`);
    // The config-store operations (Parameter Store) build their AWS clients from the environment: moto here.
    process.env.EKSFLOW_AWS_ENDPOINT = motoEndpoint();
    process.env.EKSFLOW_ENV = uniqueName('it-fuzz');
    const config = testConfig({
      clusters: [cluster],
      api: { tokens: [{ name: 'fuzz-admin', role: 'admin', sha256: sha256Hex(ADMIN) }], rateLimitPerMinute: 100_000 },
    });
    await seedCluster(aws, config.clusters[0]!);
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
    });
    app = buildIngressServer({
      client: stack.client,
      taskQueue,
      token: 'fuzz-ingress-token-0123456789',
      config,
      api: {
        reportsDir: join(dir, 'reports'),
        temporalUiUrl: 'http://localhost:8233',
        audit,
        schedulePrefix: `${taskQueue}/`,
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // The controller exists before the unauthenticated runs, so "unchanged" compares real state.
    const res = await fetch(`${base}/api/v1/clusters/${cluster.name}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await app?.close();
    if (stack) {
      for await (const s of stack.client.schedule.list())
        if (s.scheduleId.startsWith(`${taskQueue}/`))
          await stack.client.schedule
            .getHandle(s.scheduleId)
            .delete()
            .catch(() => undefined);
      for (const id of await workflowsOnQueue().catch(() => []))
        await stack.client.workflow
          .getHandle(id)
          .terminate('test done')
          .catch(() => undefined);
    }
    await worker?.stop();
    await stack?.close();
  });

  test('without a valid token every operation is refused and nothing changes', async () => {
    const state = await controllerState();
    const auditLines = audit.read().length;
    const workflows = await workflowsOnQueue();
    for (const header of [[], ['-H', 'Authorization: Bearer not-a-valid-token-at-all']]) {
      const run = await schemathesis(
        [
          `${base}/api/v1/openapi.json`,
          ...header,
          '--checks',
          CHECKS,
          '-n',
          String(MAX_EXAMPLES),
          '--phases',
          'examples,fuzzing',
          '--workers',
          '1',
        ],
        dir,
      );
      if (run.code !== 0) throw new Error(`schemathesis failed:\n${run.output.slice(-6000)}`);
    }
    expect(await controllerState()).toEqual(state);
    expect(audit.read().length).toBe(auditLines);
    expect(await workflowsOnQueue()).toEqual(workflows);
  });

  test('with an admin token: no 5xx, every response matches the spec', async () => {
    const run = await schemathesis(
      [
        `${base}/api/v1/openapi.json`,
        '-H',
        `Authorization: Bearer ${ADMIN}`,
        '--checks',
        `${CHECKS},ignored_auth`,
        '-n',
        String(MAX_EXAMPLES),
        '--phases',
        'examples,fuzzing',
        '--workers',
        '1',
        // These start real work against AWS (reports, interruption responses): covered unauthenticated above.
        '--exclude-operation-id',
        'runCostReport',
        '--exclude-operation-id',
        'runSpotReport',
        '--exclude-operation-id',
        'startInterruption',
        // Long runs against AWS (scans, log exports, snapshots, restore drills, cleanup) and writes to the
        // stored config (push, suppress): covered unauthenticated above and in api-night.test.ts.
        ...[
          'runSecurityScan',
          'archiveLogs',
          'runBackups',
          'verifyBackup',
          'planCleanup',
          'runCleanup',
          'pushConfig',
          'suppressFinding',
        ].flatMap((id) => ['--exclude-operation-id', id]),
        '--report',
        'junit',
        '--report-junit-path',
        join(dir, 'junit.xml'),
      ],
      dir,
    );
    const junit = existsSync(join(dir, 'junit.xml')) ? readFileSync(join(dir, 'junit.xml'), 'utf8') : '';
    if (run.code !== 0) throw new Error(`schemathesis failed:\n${run.output.slice(-8000)}`);
    expect(junit).toMatch(/testsuite/);
  });
});
