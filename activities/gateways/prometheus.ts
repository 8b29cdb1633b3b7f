import { createHash, createHmac } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { PrometheusEndpoint } from '../../src/config/health';
import { readSecretEnv } from '../../src/config/env';
import { ValidationError } from '../../src/errors';

/** What `/api/v1/query` answered: the data of a success, or Prometheus's own error type and text. */
export type PromQueryResult =
  { ok: true; data: unknown; warnings?: string[] } | { ok: false; errorType: string; error: string; status?: number };

const toBytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** node:crypto in the shape @smithy/signature-v4 expects of a SHA-256 constructor. */
class Sha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret ? createHmac('sha256', toBytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

/**
 * The one gateway to Prometheus's HTTP API (self-hosted or Amazon Managed Prometheus). Bearer
 * tokens are read at the moment of use (env var or Secrets Manager), never stored; AMP requests
 * are SigV4-signed with the credentials of the cluster's AWS target.
 */
export function prometheusGateway(deps: { aws: AwsClientFactory; target: AwsTarget; endpoint: PrometheusEndpoint }) {
  const base = deps.endpoint.url.replace(/\/+$/, '');
  let cachedToken: { value: string; until: number } | undefined;

  async function bearer(auth: Extract<PrometheusEndpoint['auth'], { type: 'bearer' }>): Promise<string> {
    if (auth.tokenEnv) {
      const v = readSecretEnv(auth.tokenEnv);
      if (!v) throw new ValidationError(`Prometheus token: environment variable ${auth.tokenEnv} is not set`);
      return v;
    }
    if (cachedToken && cachedToken.until > Date.now()) return cachedToken.value;
    const out = await awsCall(`GetSecretValue ${auth.secretId}`, () =>
      deps.aws.secretsManager(deps.target).send(new GetSecretValueCommand({ SecretId: auth.secretId })),
    );
    if (!out.SecretString) throw new ValidationError(`Prometheus token: secret ${auth.secretId} has no string value`);
    cachedToken = { value: out.SecretString, until: Date.now() + 5 * 60_000 };
    return out.SecretString;
  }

  async function signedHeaders(
    url: URL,
    auth: Extract<PrometheusEndpoint['auth'], { type: 'sigv4' }>,
  ): Promise<Record<string, string>> {
    // The SDK client's resolved credential provider (default chain or the assumed role of the target).
    const credentials = deps.aws.secretsManager(deps.target).config.credentials;
    const signer = new SignatureV4({
      credentials,
      region: auth.region ?? deps.target.region,
      service: auth.service,
      sha256: Sha256,
    });
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = v));
    const signed = await signer.sign({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { host: url.host },
    });
    return signed.headers as Record<string, string>;
  }

  async function get(path: string, params: Record<string, string>): Promise<PromQueryResult> {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const auth = deps.endpoint.auth;
    let headers: Record<string, string> = { accept: 'application/json' };
    if (auth.type === 'bearer') headers.authorization = `Bearer ${await bearer(auth)}`;
    if (auth.type === 'sigv4') headers = { ...headers, ...(await signedHeaders(url, auth)) };
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(deps.endpoint.timeoutSeconds * 1000) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      return {
        ok: false,
        errorType: 'unreachable',
        error: `${base}: ${e.cause?.code ?? e.name}: ${e.cause?.message ?? e.message}`,
      };
    }
    const text = await res.text();
    let body: { status?: string; data?: unknown; errorType?: string; error?: string; warnings?: string[] } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body?.status === 'success')
      return { ok: true, data: body.data, ...(body.warnings?.length ? { warnings: body.warnings } : {}) };
    return {
      ok: false,
      status: res.status,
      errorType: body?.errorType ?? (res.status === 401 || res.status === 403 ? 'unauthorized' : `http_${res.status}`),
      error: body?.error ?? text.slice(0, 300),
    };
  }

  return {
    url: base,
    /** Instant query (`/api/v1/query`), at `timeMs` or now. */
    query(promql: string, timeMs?: number): Promise<PromQueryResult> {
      return get('/api/v1/query', {
        query: promql,
        ...(timeMs !== undefined ? { time: (timeMs / 1000).toFixed(3) } : {}),
      });
    },
  };
}
export type PrometheusGateway = ReturnType<typeof prometheusGateway>;
