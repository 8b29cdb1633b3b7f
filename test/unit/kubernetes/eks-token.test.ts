import { createHash, createHmac } from 'node:crypto';
import { EKSClient } from '@aws-sdk/client-eks';
import { EKS_TOKEN_PREFIX, eksToken } from '../../../activities/gateways/kubernetes';

/**
 * The EKS IAM token against its documented format (aws-iam-authenticator's README, what
 * `aws eks get-token` prints): `k8s-aws-v1.` + unpadded base64url of an STS GetCallerIdentity URL
 * presigned with SigV4, 60 s X-Amz-Expires, the cluster name in the signed `x-k8s-aws-id` header.
 * The signature is recomputed here independently (node:crypto, from the SigV4 spec).
 */
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const sha256 = new EKSClient({ region: 'ap-south-1', credentials: creds }).config.sha256;
const now = new Date('2026-11-30T10:15:30Z');

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function decode(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const body = token.slice(EKS_TOKEN_PREFIX.length);
  expect(body).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(body, 'base64url').toString('utf8'));
}

function expectedSignature(url: URL, cluster: string, secret: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const canonicalQuery = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    canonicalQuery,
    `host:${url.host}`,
    `x-k8s-aws-id:${cluster}`,
    '',
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date')!;
  const [, date, region, service] = /^[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(
    url.searchParams.get('X-Amz-Credential')!,
  )!;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join(
    '\n',
  );
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('EKS IAM authentication token', () => {
  it('is a presigned STS GetCallerIdentity URL with the cluster in a signed header', async () => {
    const t = await eksToken({ clusterName: 'prod-mumbai', region: 'ap-south-1', credentials: creds, sha256, now });
    const url = decode(t.token);
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.ap-south-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261130/ap-south-1/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20261130T101530Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // The cluster id travels as a signed header, never in the query (the authenticator checks the header).
    expect(q.has('x-k8s-aws-id')).toBe(false);
    expect(q.has('X-Amz-Security-Token')).toBe(false);
    expect(q.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod-mumbai', creds.secretAccessKey));
  });

  it('carries the session token of temporary (assumed-role) credentials, and is refreshed before its 15 minutes', async () => {
    const t = await eksToken({
      clusterName: 'c1',
      region: 'us-east-1',
      credentials: { ...creds, sessionToken: 'FwoGZXIvYXdzEJr//session+token=' },
      sha256,
      now,
    });
    const url = decode(t.token);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FwoGZXIvYXdzEJr//session+token=');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'c1', creds.secretAccessKey));
    expect(t.expiresAt.getTime() - now.getTime()).toBe(15 * 60_000);
    expect(t.refreshAt.getTime()).toBeLessThan(t.expiresAt.getTime());
    expect(t.refreshAt.getTime()).toBeGreaterThan(now.getTime());
  });

  it('differs per cluster and per signing time', async () => {
    const a = await eksToken({ clusterName: 'a', region: 'ap-south-1', credentials: creds, sha256, now });
    const b = await eksToken({ clusterName: 'b', region: 'ap-south-1', credentials: creds, sha256, now });
    const later = await eksToken({
      clusterName: 'a',
      region: 'ap-south-1',
      credentials: creds,
      sha256,
      now: new Date(now.getTime() + 1000),
    });
    expect(new Set([a.token, b.token, later.token]).size).toBe(3);
  });
});
