import { execFileSync } from 'node:child_process';
import { createSign } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import type { FastifyInstance } from 'fastify';
import { AuditLog } from '../../src/audit';
import { sha256Hex } from '../../src/api/auth';
import { OPERATIONS } from '../../src/api/operations';
import { buildIngressServer } from '../../src/ingress/server';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { seedCluster } from '../../src/sandbox/seed';
import { scheduleIdFor } from '../../schedules/apply';
import { controlStateQuery } from '../../workflows/scaling/messages';
import { eventually } from '../support/eventually';
import { scalingCluster } from '../support/scaling-fixtures';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
};
const INGRESS_TOKEN = 'ingress-token-0123456789abcdef';

/**
 * The operator API on the real ingress, the Temporal dev server, a worker with eksflow's real
 * activities and moto: roles, zod validation (the controller's own validators answer 400/409),
 * long operations (202 + workflow status), schedules, alerts, reports, OIDC JWTs from a local
 * JWKS server, the audit record of who did what, rate limits, and the generated OpenAPI document.
 */
describe('operator API (/api/v1) on the dev server and moto', () => {
  const aws = testAwsFactory();
  const cluster = scalingCluster('it-api');
  const taskQueue = uniqueName('it-api');
  const prefix = `${uniqueName('it-api')}/`;
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-api-'));
  const reportsDir = join(dir, 'reports');
  const audit = new AuditLog(join(dir, 'audit.jsonl'));
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let app: FastifyInstance;
  let base: string;
  let jwks: Server;
  let jwksUrl: string;
  let privateKey: KeyLike;
  let config: ReturnType<typeof testConfig>;
  // A local stand-in for sns.<region>.amazonaws.com: the signing certificate and the SubscribeURL.
  let snsHost: Server;
  let snsBase: string;
  let snsKey: string;
  const snsHits: string[] = [];
  const topicArn = 'arn:aws:sns:ap-south-1:123456789012:eksflow-manual';

  const call = async (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
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
    return { status: res.status, body: json, headers: res.headers };
  };
  const controllerState = () =>
    stack.client.workflow.getHandle(controllerWorkflowId(clusterKeyOf(cluster))).query(controlStateQuery);

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256');
    privateKey = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;

    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'sns.key'),
        '-out',
        join(dir, 'sns.pem'),
        '-subj',
        '/CN=sns.test',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    snsKey = readFileSync(join(dir, 'sns.key'), 'utf8');
    const certPem = readFileSync(join(dir, 'sns.pem'), 'utf8');
    snsHost = createServer((req, res) => {
      snsHits.push(req.url ?? '');
      if (req.url?.startsWith('/SimpleNotificationService-test.pem')) res.end(certPem);
      else if (req.url?.startsWith('/confirm')) res.end('<ConfirmSubscriptionResponse/>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => snsHost.listen(0, '127.0.0.1', r));
    snsBase = `http://127.0.0.1:${(snsHost.address() as AddressInfo).port}`;

    config = testConfig({
      clusters: [cluster],
      // Every shipped entry is delivered: one disabled in the config exercises the disabled path.
      timetable: { entries: { 'performance-tuning': { enabled: false } } },
      api: {
        sns: { topics: [{ arn: topicArn, role: 'operator' }], certUrlPattern: '^http://127\\.0\\.0\\.1:\\d+/' },
        tokens: (Object.keys(TOKENS) as (keyof typeof TOKENS)[]).map((role) => ({
          name: `${role}-bot`,
          role,
          sha256: sha256Hex(TOKENS[role]),
        })),
        oidc: {
          issuer: 'https://idp.example',
          audience: 'eksflow',
          jwksUrl,
          roleClaim: 'groups',
          roleMap: { 'eks-viewers': 'viewer', 'eks-ops': 'operator' },
        },
      },
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
      token: INGRESS_TOKEN,
      config,
      api: { reportsDir, temporalUiUrl: 'http://temporal-ui.example', audit, schedulePrefix: prefix },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    const schedules = stack?.client.schedule.list();
    if (schedules)
      for await (const s of schedules)
        if (s.scheduleId.startsWith(prefix))
          await stack.client.schedule
            .getHandle(s.scheduleId)
            .delete()
            .catch(() => undefined);
    await stack?.client.workflow
      .getHandle(controllerWorkflowId(clusterKeyOf(cluster)))
      .terminate('test done')
      .catch(() => undefined);
    await worker?.stop();
    await stack?.close();
    await new Promise((r) => jwks?.close(r));
    await new Promise((r) => snsHost?.close(r));
  });

  /** Signs an SNS message the way Amazon SNS does (string to sign per the AWS documentation). */
  const snsMessage = (
    fields: Record<string, string>,
    version: '1' | '2' = '2',
    certPath = '/SimpleNotificationService-test.pem',
  ) => {
    const m: Record<string, string> = {
      MessageId: uniqueName('msg'),
      TopicArn: topicArn,
      Timestamp: new Date().toISOString(),
      SignatureVersion: version,
      SigningCertURL: `${snsBase}${certPath}`,
      ...fields,
    };
    const keys =
      m.Type === 'Notification'
        ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
        : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
    const text = keys
      .filter((k) => m[k] !== undefined)
      .map((k) => `${k}\n${m[k]}\n`)
      .join('');
    m.Signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
      .update(text)
      .sign(snsKey, 'base64');
    return m;
  };
  const postSns = (m: Record<string, string>) =>
    fetch(`${base}/sns`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': m.Type ?? '' },
      body: JSON.stringify(m),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  test('SNS: a signed subscription confirmation is confirmed by GETting the SubscribeURL', async () => {
    const res = await postSns(
      snsMessage(
        {
          Type: 'SubscriptionConfirmation',
          Token: 'tok-123',
          Message: 'You have chosen to subscribe',
          SubscribeURL: `${snsBase}/confirm?Token=tok-123`,
        },
        '1',
      ),
    );
    expect(res).toEqual({ status: 200, body: { confirmed: true, topic: topicArn } });
    expect(snsHits).toContain('/confirm?Token=tok-123');
  });

  test('SNS: signed manual triggers (SignatureVersion 1 and 2) run the API operation with the topic role', async () => {
    const pause = await postSns(
      snsMessage({
        Type: 'Notification',
        Subject: 'eksflow',
        Message: JSON.stringify({ action: 'pause', cluster: cluster.name, reason: 'sns drill' }),
      }),
    );
    expect(pause.status).toBe(200);
    expect(pause.body.result.paused).toEqual(
      expect.objectContaining({ by: 'sns:eksflow-manual', reason: 'sns drill' }),
    );
    expect((await controllerState()).paused?.by).toBe('sns:eksflow-manual');
    const resume = await postSns(
      snsMessage({ Type: 'Notification', Message: JSON.stringify({ action: 'resume', cluster: cluster.name }) }, '1'),
    );
    expect(resume.status).toBe(200);
    expect((await controllerState()).paused).toBeUndefined();
    const scale = await postSns(
      snsMessage({
        Type: 'Notification',
        Message: JSON.stringify({ action: 'scale-up', cluster: cluster.name, dryRun: true }),
      }),
    );
    expect(scale.status).toBe(202);
    expect(scale.body.result.workflowId).toMatch(/^plan-up\//);
    // The certificate was fetched once and cached.
    expect(snsHits.filter((h) => h.startsWith('/SimpleNotificationService')).length).toBe(1);
  });

  test('SNS: a tampered, unsigned, foreign-certificate or unknown-topic message changes nothing', async () => {
    const good = snsMessage({
      Type: 'Notification',
      Message: JSON.stringify({ action: 'pause', cluster: cluster.name }),
    });
    expect(
      (await postSns({ ...good, Message: JSON.stringify({ action: 'pause', cluster: cluster.name, reason: 'evil' }) }))
        .status,
    ).toBe(403);
    const hitsBefore = snsHits.length;
    const foreign = snsMessage({ Type: 'Notification', Message: '{}' });
    const evil = await postSns({ ...foreign, SigningCertURL: 'https://evil.example/SimpleNotificationService-x.pem' });
    expect(evil.status).toBe(403);
    expect(evil.body.error).toMatch(/not an Amazon SNS host/);
    expect(snsHits.length).toBe(hitsBefore);
    const other = snsMessage({
      Type: 'Notification',
      TopicArn: 'arn:aws:sns:ap-south-1:123456789012:other',
      Message: JSON.stringify({ action: 'resume', cluster: cluster.name }),
    });
    expect((await postSns(other)).status).toBe(403);
    const bad = await postSns(
      snsMessage({ Type: 'Notification', Message: JSON.stringify({ action: 'reboot-everything' }) }),
    );
    expect(bad.status).toBe(400);
    expect((await postSns({ ...good, Signature: '' })).status).toBe(400);
    expect((await controllerState()).paused).toBeUndefined();
  });

  test('without a valid token nothing is read or changed; a viewer cannot mutate', async () => {
    expect((await call('GET', '/api/v1/clusters')).status).toBe(401);
    expect((await call('GET', '/api/v1/clusters', 'not-a-token-at-all')).status).toBe(401);
    const before = await call('GET', `/api/v1/clusters/${cluster.name}`, TOKENS.viewer);
    expect(before.status).toBe(200);
    const denied = await call('POST', `/api/v1/clusters/${cluster.name}/pause`, TOKENS.viewer, { reason: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatch(/needs the operator role/);
    expect((await call('POST', `/api/v1/clusters/${cluster.name}/pause`, undefined, { reason: 'x' })).status).toBe(401);
    expect((await controllerState()).paused).toBeUndefined();
  });

  test('clusters: list and status with effective sizes', async () => {
    const list = await call('GET', '/api/v1/clusters', TOKENS.viewer);
    expect(list.body.clusters).toEqual([
      expect.objectContaining({
        name: cluster.name,
        key: clusterKeyOf(cluster),
        nodegroups: ['general', 'workers', 'batch'],
      }),
    ]);
    const status = await call('GET', `/api/v1/clusters/${encodeURIComponent(clusterKeyOf(cluster))}`, TOKENS.viewer);
    expect(status.status).toBe(200);
    expect(status.body.cluster).toBe(clusterKeyOf(cluster));
    expect(status.body.plan.nodegroups.map((g: { nodegroup: string }) => g.nodegroup)).toEqual([
      'general',
      'workers',
      'batch',
    ]);
    expect(status.body.plan.nodegroups[0].effective).toEqual(expect.objectContaining({ min: expect.any(Number) }));
    expect((await call('GET', '/api/v1/clusters/no-such-cluster', TOKENS.viewer)).status).toBe(404);
  });

  test('pause/resume/override/clear-override go through the controller and record who', async () => {
    const paused = await call('POST', `/api/v1/clusters/${cluster.name}/pause`, TOKENS.operator, {
      reason: 'deploy freeze',
      until: '4h',
    });
    expect(paused.status).toBe(200);
    expect(paused.body.paused).toEqual(expect.objectContaining({ by: 'operator-bot', reason: 'deploy freeze' }));
    expect((await controllerState()).paused?.by).toBe('operator-bot');
    expect(audit.read()).toContainEqual(
      expect.objectContaining({
        action: 'api:pause',
        target: clusterKeyOf(cluster),
        detail: expect.objectContaining({ by: 'operator-bot' }),
      }),
    );

    const resumed = await call('POST', `/api/v1/clusters/${cluster.name}/resume`, TOKENS.operator, {});
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBeUndefined();

    const ov = await call('POST', `/api/v1/clusters/${cluster.name}/override`, TOKENS.operator, {
      nodegroup: 'general',
      min: 2,
      desired: 4,
      max: 6,
      until: '2h',
      reason: 'load test',
    });
    expect(ov.status).toBe(200);
    const general = ov.body.nodegroups.find((g: { nodegroup: string }) => g.nodegroup === 'general');
    expect(general.source).toBe('override');
    expect(general.effective).toEqual({ min: 2, desired: 4, max: 6 });
    expect(general.override.by).toBe('operator-bot');

    const cleared = await call('POST', `/api/v1/clusters/${cluster.name}/clear-override`, TOKENS.operator, {
      nodegroup: 'general',
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.nodegroups[0].source).toBe('timetable');
  });

  test("bad input gets the validators' message (400/409) and changes nothing", async () => {
    const before = await controllerState();
    const empty = await call('POST', `/api/v1/clusters/${cluster.name}/pause`, TOKENS.operator, { reason: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/reason is required/);
    const past = await call('POST', `/api/v1/clusters/${cluster.name}/pause`, TOKENS.operator, {
      reason: 'x',
      untilMs: Date.parse('2020-01-01T00:00:00Z'),
    });
    expect(past.status).toBe(400);
    expect(past.body.error).toMatch(/in the past/);
    const unknownGroup = await call('POST', `/api/v1/clusters/${cluster.name}/override`, TOKENS.operator, {
      nodegroup: 'nope',
      desired: 3,
      until: '1h',
      reason: 'x',
    });
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body.error).toMatch(/unknown node group "nope"/);
    const bounds = await call('POST', `/api/v1/clusters/${cluster.name}/override`, TOKENS.operator, {
      nodegroup: 'workers',
      desired: 3,
      until: '1h',
      reason: 'x',
    });
    expect(bounds.status).toBe(400);
    expect(bounds.body.error).toMatch(/bounds mode/);
    const aboveMax = await call('POST', `/api/v1/clusters/${cluster.name}/override`, TOKENS.operator, {
      nodegroup: 'general',
      desired: 99,
      until: '1h',
      reason: 'x',
    });
    expect(aboveMax.status).toBe(400);
    expect(aboveMax.body.error).toMatch(/desired 99 is above the configured max \d+ of general/);
    const aboveCeiling = await call('POST', `/api/v1/clusters/${cluster.name}/override`, TOKENS.operator, {
      nodegroup: 'general',
      desired: 99,
      max: 99,
      until: '1h',
      reason: 'x',
    });
    expect(aboveCeiling.status).toBe(400);
    expect(aboveCeiling.body.error).toMatch(
      /max 99 is above the configured max \d+ of general \(no maxOverride configured\)/,
    );
    const noOverride = await call('POST', `/api/v1/clusters/${cluster.name}/clear-override`, TOKENS.operator, {
      nodegroup: 'batch',
    });
    expect(noOverride.status).toBe(409);
    expect(noOverride.body.error).toMatch(/has no override/);
    const extra = await call('POST', `/api/v1/clusters/${cluster.name}/pause`, TOKENS.operator, {
      reason: 'x',
      by: 'someone-else',
    });
    expect(extra.status).toBe(400);
    const notJson = await fetch(`${base}/api/v1/clusters/${cluster.name}/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' },
      body: '{"reason":',
    });
    expect(notJson.status).toBe(400);
    const after = await controllerState();
    expect(after.paused).toEqual(before.paused);
    expect(after.overrides).toEqual(before.overrides);
  });

  test('scale-up with dryRun answers 202 with the workflow; GET of the workflow returns its status and result', async () => {
    const res = await call('POST', `/api/v1/clusters/${cluster.name}/scale-up`, TOKENS.operator, { dryRun: true });
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toMatch(new RegExp(`^plan-up/${clusterKeyOf(cluster)}/`));
    expect(res.body.temporalUi).toBe(
      `http://temporal-ui.example/namespaces/default/workflows/${encodeURIComponent(res.body.workflowId)}`,
    );
    const done = await eventually(
      async () => (await call('GET', res.body.status, TOKENS.viewer)).body,
      (b) => b.status === 'COMPLETED',
      'the dry-run scale-up completes',
      { timeoutMs: 60_000 },
    );
    expect(done.requestedBy).toBe('operator-bot');
    expect(done.result.clusters[0]).toEqual(
      expect.objectContaining({ cluster: expect.stringContaining(cluster.name) }),
    );
    expect(
      (await call('GET', `/api/v1/workflows/${encodeURIComponent('no/such/workflow')}`, TOKENS.viewer)).status,
    ).toBe(404);
  });

  test('schedules: admin applies, lists next runs in IST and UTC, pauses and unpauses; operators may not', async () => {
    expect((await call('POST', '/api/v1/schedules/apply', TOKENS.operator, {})).status).toBe(403);
    const applied = await call('POST', '/api/v1/schedules/apply', TOKENS.admin, {});
    expect(applied.status).toBe(200);
    expect(applied.body.created).toBeGreaterThan(0);
    const list = await call('GET', '/api/v1/schedules', TOKENS.viewer);
    const up = list.body.schedules.find((s: { id: string }) => s.id === 'scale-up');
    expect(up).toEqual(
      expect.objectContaining({ scheduleId: scheduleIdFor('scale-up', prefix), time: '08:00', state: 'active' }),
    );
    expect(up.nextRun.ist).toMatch(/ 08:00 IST$/);
    expect(up.nextRun.utc).toMatch(/T02:30:00\.000Z$/);

    expect((await call('POST', '/api/v1/schedules/scale-up/pause', TOKENS.operator, {})).status).toBe(403);
    const paused = await call('POST', '/api/v1/schedules/scale-up/pause', TOKENS.admin, { note: 'holiday' });
    expect(paused.body).toEqual({ id: 'scale-up', workflow: 'scaleUpFleet', done: 'paused' });
    const desc = await stack.client.schedule.getHandle(scheduleIdFor('scale-up', prefix)).describe();
    expect(desc.state.paused).toBe(true);
    expect(desc.state.note).toBe('holiday (by admin-bot)');
    await call('POST', '/api/v1/schedules/scale-up/unpause', TOKENS.admin, {});
    expect((await stack.client.schedule.getHandle(scheduleIdFor('scale-up', prefix)).describe()).state.paused).toBe(
      false,
    );
    const disabled = await call('POST', '/api/v1/schedules/performance-tuning/trigger', TOKENS.admin, {});
    expect(disabled.status).toBe(409);
    expect(disabled.body.error).toMatch(/disabled/);
    expect((await call('POST', '/api/v1/schedules/nope/trigger', TOKENS.admin, {})).status).toBe(404);
  });

  test('alerts: raise, list, get, ack and resolve record who', async () => {
    const key = uniqueName('it-api-alert');
    const raised = await call('POST', '/api/v1/alerts', TOKENS.operator, {
      severity: 'info',
      type: 'it_api_test',
      dedupKey: key,
      summary: 'API test alert',
    });
    expect(raised.status).toBe(202);
    const id = raised.body.workflowId as string;
    expect(id).toBe(`alert/${key}`);
    await eventually(
      async () =>
        (await call('GET', '/api/v1/alerts', TOKENS.viewer)).body.alerts.map(
          (a: { workflowId: string }) => a.workflowId,
        ),
      (ids: string[]) => ids.includes(id),
      'the alert is listed',
    );
    const one = await call('GET', `/api/v1/alerts/${encodeURIComponent(id)}`, TOKENS.viewer);
    expect(one.status).toBe(200);
    expect(one.body.alert.summary).toBe('API test alert');
    const ack = await call('POST', `/api/v1/alerts/${encodeURIComponent(key)}/ack`, TOKENS.operator, {});
    expect(ack.body).toEqual({ workflowId: id, done: 'acknowledged', by: 'operator-bot' });
    await eventually(
      async () => (await call('GET', `/api/v1/alerts/${encodeURIComponent(id)}`, TOKENS.viewer)).body.status,
      (st) => st === 'acknowledged',
      'the alert is acknowledged',
    );
    const resolved = await call('POST', `/api/v1/alerts/${encodeURIComponent(id)}/resolve`, TOKENS.operator, {
      note: 'fixed',
    });
    expect(resolved.status).toBe(200);
    await eventually(
      async () => (await call('POST', `/api/v1/alerts/${encodeURIComponent(id)}/ack`, TOKENS.operator, {})).status,
      (st) => st === 409,
      'a resolved alert cannot be acknowledged',
    );
    expect(
      (await call('POST', `/api/v1/alerts/${encodeURIComponent('never-raised-xyz')}/ack`, TOKENS.operator, {})).status,
    ).toBe(404);
  });

  test('reports: list and get from the reports folder; unknown ids are 404', async () => {
    mkdirSync(reportsDir, { recursive: true });
    writeFileSync(
      join(reportsDir, 'cost-20260721-100005IST.json'),
      JSON.stringify({ kind: 'cost', generatedAt: '2026-07-21T04:30:05Z' }),
    );
    writeFileSync(join(reportsDir, 'cost-20260721-100005IST.html'), '<html>cost</html>');
    writeFileSync(join(reportsDir, 'spot-20260721-110005IST.json'), JSON.stringify({ kind: 'spot' }));
    const all = await call('GET', '/api/v1/reports', TOKENS.viewer);
    expect(all.body.reports.map((r: { id: string }) => r.id)).toEqual([
      'spot-20260721-110005IST',
      'cost-20260721-100005IST',
    ]);
    const cost = await call('GET', '/api/v1/reports?kind=cost', TOKENS.viewer);
    expect(cost.body.reports).toHaveLength(1);
    expect((await call('GET', '/api/v1/reports?kind=bogus', TOKENS.viewer)).status).toBe(400);
    expect((await call('GET', '/api/v1/reports/cost-20260721-100005IST', TOKENS.viewer)).body.kind).toBe('cost');
    expect((await call('GET', `/api/v1/reports/${encodeURIComponent('../../etc/passwd')}`, TOKENS.viewer)).status).toBe(
      404,
    );
    const run = await call('POST', '/api/v1/reports/cost', TOKENS.operator, { hours: 0 });
    expect(run.status).toBe(400);
  });

  test('interruptions in flight are listed', async () => {
    const res = await call('GET', '/api/v1/interruptions', TOKENS.viewer);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.interruptions)).toBe(true);
  });

  test('OIDC: a JWT signed by the IdP key acts with its mapped role and its subject is recorded', async () => {
    const jwt = (groups: string[], opts: { issuer?: string } = {}) =>
      new SignJWT({ groups })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setSubject('alice@example.com')
        .setIssuer(opts.issuer ?? 'https://idp.example')
        .setAudience('eksflow')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    const viewer = await jwt(['eks-viewers']);
    expect((await call('GET', '/api/v1/clusters', viewer)).status).toBe(200);
    expect((await call('POST', `/api/v1/clusters/${cluster.name}/resume`, viewer, {})).status).toBe(403);
    const ops = await jwt(['other', 'eks-ops']);
    const res = await call('POST', `/api/v1/clusters/${cluster.name}/pause`, ops, { reason: 'oidc test' });
    expect(res.status).toBe(200);
    expect(res.body.paused.by).toBe('jwt:alice@example.com');
    await call('POST', `/api/v1/clusters/${cluster.name}/resume`, ops, {});
    expect(
      (await call('GET', '/api/v1/clusters', await jwt(['eks-ops'], { issuer: 'https://evil.example' }))).status,
    ).toBe(401);
    expect((await call('GET', '/api/v1/clusters', await jwt(['nobody']))).status).toBe(401);
  });

  test('CORS is off: no Access-Control headers, even for a preflight', async () => {
    const res = await call('GET', '/api/v1/clusters', TOKENS.viewer, undefined, { origin: 'https://portal.example' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${base}/api/v1/clusters`, {
      method: 'OPTIONS',
      headers: { origin: 'https://portal.example', 'access-control-request-method': 'GET' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('OpenAPI 3.1 document and reference page cover every operation', async () => {
    const spec = await call('GET', '/api/v1/openapi.json', undefined);
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    for (const op of OPERATIONS) {
      const entry = spec.body.paths[op.path]?.[op.method.toLowerCase()];
      expect(entry?.operationId).toBe(op.id);
    }
    const pause = spec.body.paths['/api/v1/clusters/{cluster}/pause'].post;
    expect(pause.requestBody.content['application/json'].schema.properties.reason).toEqual(
      expect.objectContaining({ type: 'string', minLength: 1, maxLength: 500 }),
    );
    expect(pause.requestBody.content['application/json'].schema.properties.by).toBeUndefined();
    const docs = await fetch(`${base}/api/v1/docs`);
    const html = await docs.text();
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toContain('/api/v1/clusters/{cluster}/pause');
    expect(html).not.toMatch(/<script/i);
  });

  test('rate limits apply per token', async () => {
    const limited = buildIngressServer({
      client: stack.client,
      taskQueue,
      token: INGRESS_TOKEN,
      config: { ...config, api: { ...config.api, rateLimitPerMinute: 3 } },
      api: { reportsDir, temporalUiUrl: 'http://temporal-ui.example' },
    });
    await limited.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(limited.server.address() as AddressInfo).port}/api/v1/config`;
    try {
      const get = (t: string) => fetch(url, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
      expect([await get(TOKENS.viewer), await get(TOKENS.viewer), await get(TOKENS.viewer)]).toEqual([200, 200, 200]);
      expect(await get(TOKENS.viewer)).toBe(429);
      // Another token has its own budget.
      expect(await get(TOKENS.operator)).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
