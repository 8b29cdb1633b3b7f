import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { prometheusGateway } from '../../activities/gateways/prometheus';
import { testAwsFactory, uniqueName } from '../support/stack';
import { testPrometheus } from '../support/prometheus';
import { spawnWorkerProcess } from '../support/worker-process';

/**
 * The Prometheus gateway's auth against a local receiver that records what arrives (bearer from an
 * env var or Secrets Manager in moto, SigV4 for AMP), and its error mapping against the real server.
 */
describe('Prometheus gateway', () => {
  const aws = testAwsFactory();
  const target = { accountId: '123456789012', region: 'us-east-1' };
  let server: Server;
  let url: string;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('bearer token from an env var, and from Secrets Manager', async () => {
    process.env.IT_PROM_TOKEN = 'tok-env-123';
    await prometheusGateway({
      aws,
      target,
      endpoint: { url, auth: { type: 'bearer', tokenEnv: 'IT_PROM_TOKEN' }, selector: '', timeoutSeconds: 5 },
    }).query('up');
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer tok-env-123');
    const secretId = uniqueName('prom-token');
    await aws.secretsManager(target).send(new CreateSecretCommand({ Name: secretId, SecretString: 'tok-sm-456' }));
    await prometheusGateway({
      aws,
      target,
      endpoint: { url, auth: { type: 'bearer', secretId }, selector: '', timeoutSeconds: 5 },
    }).query('up');
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer tok-sm-456');
  });

  test('SigV4 (Amazon Managed Prometheus): signed for service aps in the region', async () => {
    const r = await prometheusGateway({
      aws,
      target,
      endpoint: {
        url: `${url}/workspaces/ws-1`,
        auth: { type: 'sigv4', region: 'us-east-1', service: 'aps' },
        selector: '',
        timeoutSeconds: 5,
      },
    }).query('sum(up)', Date.parse('2026-11-30T10:00:00Z'));
    expect(r.ok).toBe(true);
    const h = seen.at(-1)!;
    expect(h.url).toMatch(/^\/workspaces\/ws-1\/api\/v1\/query\?query=sum%28up%29&time=/);
    expect(h.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=testing\/\d{8}\/us-east-1\/aps\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(h.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  test('real Prometheus: bad PromQL is bad_data; an unreachable server is reported, not thrown', async () => {
    const g = prometheusGateway({
      aws,
      target,
      endpoint: { url: testPrometheus().url, auth: { type: 'none' }, selector: '', timeoutSeconds: 5 },
    });
    expect(await g.query('rate(up[5m')).toMatchObject({
      ok: false,
      errorType: 'bad_data',
      error: expect.stringContaining('parse error'),
    });
    expect(await g.query('vector(1)')).toMatchObject({ ok: true, data: { resultType: 'vector' } });
    const down = prometheusGateway({
      aws,
      target,
      endpoint: { url: 'http://127.0.0.1:9', auth: { type: 'none' }, selector: '', timeoutSeconds: 2 },
    });
    expect(await down.query('up')).toMatchObject({ ok: false, errorType: 'unreachable' });
  });

  test('the worker refuses to start on invalid PromQL, naming cluster and check', async () => {
    const cluster = uniqueName('badq').replace(/[^a-z0-9-]/g, '');
    const config = {
      clusters: [
        {
          name: cluster,
          accountId: '123456789012',
          region: 'ap-south-1',
          nodegroups: [
            {
              name: 'ng',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 2 },
              offHours: { min: 1, desired: 1, max: 2 },
            },
          ],
        },
      ],
      health: {
        clusters: [{ cluster, prometheus: { url: testPrometheus().url } }],
        checks: [
          {
            name: 'half-written',
            query: 'sum(kube_pod_status_phase{phase="Failed"}',
            operator: '>',
            threshold: 1,
            severity: 'warning',
          },
        ],
      },
    };
    await expect(spawnWorkerProcess({ config, taskQueue: uniqueName('badq') })).rejects.toThrow(
      new RegExp(`worker exited with 2[\\s\\S]*cluster ${cluster}, check half-written: .*parse error`),
    );
  }, 120_000);
});
