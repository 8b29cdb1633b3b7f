import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { sha256Hex } from '../../src/api/auth';
import { AuditLog } from '../../src/audit';
import { configStoreFor } from '../../src/client/config-sync';
import { ensureHealthMonitors } from '../../src/client/health';
import { readEnv } from '../../src/config/env';
import { healthWorkflowId } from '../../src/domain/health/checks';
import { buildIngressServer } from '../../src/ingress/server';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { eventually } from '../support/eventually';
import { healthTestConfig, healthySeries } from '../support/health-fixtures';
import { nightCluster } from '../support/night-fixtures';
import { testPrometheus } from '../support/prometheus';
import {
  connectDevServer,
  createTestWorker,
  motoEndpoint,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';

const TOKENS = {
  viewer: 'night-viewer-token-0123456789',
  operator: 'night-operator-token-0123456789',
  admin: 'night-admin-token-0123456789',
};

/**
 * The night features over the operator API (config sync, security, logs, health, backups,
 * cleanup) on the real ingress, the dev server, a worker with the real activities, moto
 * (Parameter Store, EC2, CloudWatch Logs) and the test run's Prometheus: the same client
 * functions the CLI calls, with roles, zod validation and 202 + workflow status for long runs.
 */
describe('operator API: night features (dev server + moto + Prometheus)', () => {
  const aws = testAwsFactory();
  const prom = testPrometheus();
  const healthName = uniqueName('it-api-health');
  const night = nightCluster('it-api-night');
  const taskQueue = uniqueName('it-api-night');
  const envName = uniqueName('it-api-night').replace(/[^A-Za-z0-9_.-]/g, '-');
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-api-night-'));
  const audit = new AuditLog(join(dir, 'audit.jsonl'));
  const pdKeyEnv = 'EKSFLOW_TEST_API_NIGHT_PD_KEY';
  let receivers: Receivers;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let base: string;
  let reportsDir: string;
  let rawConfig: Record<string, unknown>;
  let configText: string;
  const started: string[] = [];

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    if (res.status === 202 && json?.workflowId) started.push(json.workflowId as string);
    return { status: res.status, body: json };
  };
  const completed = (statusUrl: string, what: string) =>
    eventually(
      async () => (await call('GET', statusUrl, TOKENS.viewer)).body,
      (b) => b.status === 'COMPLETED' || b.status === 'FAILED' || b.status === 'TERMINATED',
      what,
      { timeoutMs: 90_000 },
    );

  beforeAll(async () => {
    receivers = await startReceivers();
    process.env[pdKeyEnv] = 'R0UTINGKEYR0UTINGKEYR0UTINGKEY01';
    // The config-store operations build their AWS clients from the environment: moto, one env per run.
    process.env.EKSFLOW_AWS_ENDPOINT = motoEndpoint();
    process.env.EKSFLOW_ENV = envName;
    await prom.exporter.set(healthySeries(healthName));
    const health = healthTestConfig({
      cluster: healthName,
      prometheusUrl: prom.url,
      pagerdutyUrl: receivers.pagerdutyUrl,
      pdKeyEnv,
      intervalSeconds: 30,
    });
    rawConfig = {
      ...health,
      clusters: [...(health.clusters as unknown[]), night],
      backups: { keep: { daily: 2, weekly: 0, monthly: 0 } },
      cleanup: { mode: { elasticIps: 'delete', volumes: 'tag' }, volumeMinAgeDays: 0, graceHours: 0 },
      api: {
        tokens: (Object.keys(TOKENS) as (keyof typeof TOKENS)[]).map((role) => ({
          name: `${role}-bot`,
          role,
          sha256: sha256Hex(TOKENS[role]),
        })),
      },
    };
    configText = stringify(rawConfig);
    writeFileSync(join(dir, 'eksflow.yaml'), configText);
    process.env.EKSFLOW_CONFIG = join(dir, 'eksflow.yaml');
    const config = testConfig(rawConfig);
    for (const c of config.clusters) await seedCluster(aws, c);
    await reconcileNodegroupAsgs(aws, config.clusters);
    stack = await connectDevServer();
    const deps = testActivityDeps({ config, client: stack.client, taskQueue, aws });
    reportsDir = deps.reportsDir;
    worker = await createTestWorker({ connection: stack.nativeConnection, taskQueue, deps });
    running = worker.run();
    await ensureHealthMonitors(stack.client, config, taskQueue);
    app = buildIngressServer({
      client: stack.client,
      taskQueue,
      token: 'night-ingress-token-0123456789',
      config,
      api: { reportsDir, temporalUiUrl: 'http://temporal-ui.example', audit },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    for (const id of [
      ...started,
      healthWorkflowId({ accountId: '123456789012', region: 'ap-south-1', name: healthName }),
    ])
      await stack?.client.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => undefined);
    worker?.shutdown();
    await running;
    await stack?.close();
    await receivers?.close();
    await prom.exporter.drop({ cluster: healthName });
  });

  test('config: admin pushes (validated, idempotent), viewers pull and diff against the server file', async () => {
    expect((await call('GET', '/api/v1/config/stored', TOKENS.viewer)).status).toBe(404);
    expect((await call('POST', '/api/v1/config/push', TOKENS.operator, { text: configText })).status).toBe(403);
    const invalid = await call('POST', '/api/v1/config/push', TOKENS.admin, { text: 'clusters: 7\n' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/clusters/);
    expect((await call('GET', '/api/v1/config/stored', TOKENS.viewer)).status).toBe(404);

    const first = configText.replace(/^/, '# first version\n');
    const pushed = await call('POST', '/api/v1/config/push', TOKENS.admin, { text: first });
    expect(pushed).toEqual({
      status: 200,
      body: { name: `/eksflow/${envName}/config`, changed: true, version: 1 },
    });
    const again = await call('POST', '/api/v1/config/push', TOKENS.admin, { text: first });
    expect(again.body).toEqual(expect.objectContaining({ changed: false, version: 1 }));
    expect(audit.read().filter((a) => a.action === 'api:config-push')).toHaveLength(1);

    const pulled = await call('GET', '/api/v1/config/stored?version=1', TOKENS.viewer);
    expect(pulled.body).toEqual(expect.objectContaining({ version: 1, text: first, valid: true, issues: [] }));
    expect((await call('GET', '/api/v1/config/stored?version=99', TOKENS.viewer)).status).toBe(404);
    expect((await call('GET', '/api/v1/config/stored?env=bad%20name', TOKENS.viewer)).status).toBe(400);

    const diff = await call('GET', '/api/v1/config/diff', TOKENS.viewer);
    expect(diff.body).toEqual(
      expect.objectContaining({ storedVersion: 1, identical: false, file: join(dir, 'eksflow.yaml') }),
    );
    expect(diff.body.diff).toMatch(/^-# first version$/m);
    // What the CLI's `config pull` reads is what the API stored.
    const stored = await configStoreFor(aws, readEnv()).read();
    expect(stored?.text).toBe(first);
  });

  test('security: a scan answers 202 and completes; findings from its report; suppress adds a config version', async () => {
    expect((await call('POST', '/api/v1/security/scan', TOKENS.viewer, {})).status).toBe(403);
    expect((await call('POST', '/api/v1/security/scan', TOKENS.operator, { clusters: ['nope'] })).status).toBe(400);
    const scan = await call('POST', '/api/v1/security/scan', TOKENS.operator, { clusters: [night.name] });
    expect(scan.status).toBe(202);
    expect(scan.body.workflowId).toMatch(/^security-scan\/manual\//);
    const done = await completed(scan.body.status, 'the security scan completes');
    expect(done.status).toBe('COMPLETED');
    const findings = await call('GET', '/api/v1/security/findings?severity=informational', TOKENS.viewer);
    expect(findings.status).toBe(200);
    // moto's EKS cluster has a public endpoint and no control-plane logs: the scan finds something.
    expect(findings.body.total).toBeGreaterThan(0);
    expect(findings.body.findings).toHaveLength(findings.body.total);
    expect(findings.body.scanId).toBeTruthy();
    const high = await call('GET', '/api/v1/security/findings?severity=high&new=true', TOKENS.viewer);
    expect(high.body.findings.every((f: { severity: string }) => ['critical', 'high'].includes(f.severity))).toBe(true);
    expect((await call('GET', '/api/v1/security/findings?severity=loud', TOKENS.viewer)).status).toBe(400);

    const entry = { id: 'ebs-unencrypted', reason: 'accepted by the api test', until: '2099-01-01' };
    expect((await call('POST', '/api/v1/security/suppress', TOKENS.operator, entry)).status).toBe(403);
    expect((await call('POST', '/api/v1/security/suppress', TOKENS.admin, { ...entry, reason: 'x' })).status).toBe(400);
    const before = (await call('GET', '/api/v1/config/stored', TOKENS.viewer)).body.version as number;
    const sup = await call('POST', '/api/v1/security/suppress', TOKENS.admin, entry);
    expect(sup.status).toBe(200);
    expect(sup.body).toEqual(
      expect.objectContaining({ version: before + 1, previous: before, added: entry, total: 1 }),
    );
    expect(sup.body.snippet).toMatch(/suppress:\n\s+- id: ebs-unencrypted/);
    const now = await call('GET', '/api/v1/config/stored', TOKENS.viewer);
    expect(now.body.valid).toBe(true);
    expect(now.body.text).toMatch(/# first version/); // comments survive
    expect(now.body.text).toMatch(/reason: accepted by the api test/);
  });

  test('logs: archive answers 202 with the per-date workflow; bad dates change nothing', async () => {
    expect((await call('POST', '/api/v1/logs/archive', TOKENS.operator, { date: '2026-02-30' })).status).toBe(400);
    const res = await call('POST', '/api/v1/logs/archive', TOKENS.operator, {
      date: '2026-01-15',
      clusters: [night.name],
      dryRun: true,
    });
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toBe('log-archival/2026-01-15/dry-run');
    const wf = await completed(res.body.status, 'the dry-run archival completes');
    expect(wf.type).toBe('logArchival');
    expect(wf.status).toBe('COMPLETED');
  });

  test('health: status, check now, pause and resume through the monitor; unknown clusters 404', async () => {
    const s = await eventually(
      async () => call('GET', `/api/v1/health/${healthName}`, TOKENS.viewer),
      (r) => r.status === 200 && r.body.checks?.length > 0,
      'the monitor answers with its checks',
    );
    expect(s.body.checks.length).toBeGreaterThan(0);
    expect((await call('GET', `/api/v1/health/${night.name}`, TOKENS.viewer)).status).toBe(404);
    expect((await call('POST', `/api/v1/health/${healthName}/pause`, TOKENS.viewer, { reason: 'x' })).status).toBe(403);
    const checked = await call('POST', `/api/v1/health/${healthName}/check`, TOKENS.operator, {});
    expect(checked.status).toBe(200);
    expect(checked.body.checks.every((c: { state: string }) => c.state === 'ok')).toBe(true);
    const paused = await call('POST', `/api/v1/health/${healthName}/pause`, TOKENS.operator, { reason: 'upgrade' });
    expect(paused.status).toBe(200);
    expect(paused.body.paused).toEqual(expect.objectContaining({ by: 'operator-bot', reason: 'upgrade' }));
    const resumed = await call('POST', `/api/v1/health/${healthName}/resume`, TOKENS.operator, {});
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBeUndefined();
  });

  test('backups: run (202) completes, list shows the snapshots, verify starts the drill', async () => {
    const run = await call('POST', '/api/v1/backups/run', TOKENS.operator, { clusters: [night.name] });
    expect(run.status).toBe(202);
    const done = await completed(run.body.status, 'the backup run completes');
    expect(done.status).toBe('COMPLETED');
    const list = await call('GET', `/api/v1/backups?cluster=${night.name}&limit=50`, TOKENS.viewer);
    expect(list.status).toBe(200);
    expect(list.body.snapshots.every((x: { cluster: string }) => x.cluster.includes(night.name))).toBe(true);
    expect((await call('GET', '/api/v1/backups?limit=0', TOKENS.viewer)).status).toBe(400);
    expect((await call('POST', '/api/v1/backups/verify', TOKENS.operator, { availabilityZone: 'x' })).status).toBe(400);
    const drill = await call('POST', '/api/v1/backups/verify', TOKENS.operator, { clusters: [night.name] });
    expect(drill.status).toBe(202);
    expect(drill.body.workflowId).toMatch(/^backups\/restore-drill\//);
  });

  test('cleanup: plan and run answer 202 and complete; a viewer may not run them', async () => {
    expect((await call('POST', '/api/v1/cleanup/run', TOKENS.viewer, {})).status).toBe(403);
    const plan = await call('POST', '/api/v1/cleanup/plan', TOKENS.operator, { clusters: [night.name] });
    expect(plan.status).toBe(202);
    expect(plan.body.workflowId).toMatch(/^cleanup\/plan\//);
    const p = await completed(plan.body.status, 'the cleanup plan completes');
    expect(p.status).toBe('COMPLETED');
    expect(p.result.dryRun).toBe(true);
    const run = await call('POST', '/api/v1/cleanup/run', TOKENS.operator, { clusters: [night.name] });
    expect(run.status).toBe(202);
    expect((await completed(run.body.status, 'the cleanup run completes')).status).toBe('COMPLETED');
    expect(audit.read().map((a) => a.action)).toEqual(
      expect.arrayContaining(['api:cleanup-plan', 'api:cleanup-run', 'api:backups-run']),
    );
  });
});
