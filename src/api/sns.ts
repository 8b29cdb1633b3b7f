import { createPublicKey, createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../log';
import type { Principal } from './auth';
import { httpError, type ApiRouteDeps } from './routes';
import { operationById, type Operation } from './operations';

/**
 * `POST /sns`: Amazon SNS HTTP(S) subscriptions as manual triggers. Every message's signature is
 * verified (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA) with the certificate at
 * SigningCertURL, which must match `api.sns.certUrlPattern` (by default Amazon SNS hosts only)
 * and is fetched once and cached. Subscription confirmations are confirmed by GETting the
 * SubscribeURL (same host rule). A notification's message `{"action": "...", "cluster": "..."}`
 * runs the same API operation as `/api/v1`, with the role configured for its topic.
 */

const envelope = z
  .object({
    Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
    MessageId: z.string().min(1),
    TopicArn: z.string().min(1),
    Subject: z.string().optional(),
    Message: z.string(),
    Timestamp: z.string().min(1),
    SignatureVersion: z.enum(['1', '2']),
    Signature: z.string().min(1),
    SigningCertURL: z.string().url(),
    SubscribeURL: z.string().url().optional(),
    Token: z.string().optional(),
    UnsubscribeURL: z.string().optional(),
    MessageAttributes: z.unknown().optional(),
  })
  .loose();
export type SnsEnvelope = z.infer<typeof envelope>;

export const snsActionSchema = z
  .object({
    action: z.enum(['cost-report', 'spot-report', 'scale-up', 'scale-down', 'pause', 'resume']),
    cluster: z.string().min(1).max(300).optional(),
    dryRun: z.boolean().optional(),
    reason: z.string().min(1).max(500).optional(),
    until: z.string().min(1).max(64).optional(),
    hours: z.number().int().min(1).max(2160).optional(),
  })
  .strict();

/** The fields signed, in order, per message type (AWS docs: "Verifying the signatures of Amazon SNS messages"). */
export function snsStringToSign(m: SnsEnvelope): string {
  const keys =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let out = '';
  for (const k of keys) {
    const v = (m as Record<string, unknown>)[k];
    if (typeof v === 'string') out += `${k}\n${v}\n`;
  }
  return out;
}

export class SnsVerifier {
  private readonly certs = new Map<string, Promise<KeyObject>>();
  private readonly pattern: RegExp;
  /** How many certificates were actually downloaded (the cache works when this stays 1). */
  fetches = 0;

  constructor(certUrlPattern: string) {
    this.pattern = new RegExp(certUrlPattern);
  }

  allowedUrl(url: string): boolean {
    return this.pattern.test(url);
  }

  private key(url: string): Promise<KeyObject> {
    let p = this.certs.get(url);
    if (!p) {
      p = (async () => {
        this.fetches += 1;
        const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(`certificate ${url}: HTTP ${res.status}`);
        return createPublicKey(new X509Certificate(await res.text()).publicKey.export({ type: 'spki', format: 'pem' }));
      })();
      this.certs.set(url, p);
      // A failed download is not cached: the next message tries again.
      p.catch(() => this.certs.delete(url));
    }
    return p;
  }

  async verify(m: SnsEnvelope): Promise<boolean> {
    if (!this.allowedUrl(m.SigningCertURL)) return false;
    const key = await this.key(m.SigningCertURL);
    const v = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    v.update(snsStringToSign(m), 'utf8');
    return v.verify(key, m.Signature, 'base64');
  }
}

const MAX_AGE_MS = 60 * 60_000;

function operationFor(action: z.infer<typeof snsActionSchema>): {
  op: Operation;
  params: Record<string, string>;
  body: unknown;
} {
  const needsCluster = () => {
    if (!action.cluster)
      throw new z.ZodError([
        { code: 'custom', path: ['cluster'], message: `${action.action} needs a cluster`, input: action },
      ]);
    return { cluster: action.cluster };
  };
  switch (action.action) {
    case 'cost-report':
    case 'spot-report':
      return {
        op: operationById(action.action === 'cost-report' ? 'runCostReport' : 'runSpotReport'),
        params: {},
        body: action.hours ? { hours: action.hours } : {},
      };
    case 'scale-up':
    case 'scale-down':
      return {
        op: operationById(action.action === 'scale-up' ? 'scaleUp' : 'scaleDown'),
        params: needsCluster(),
        body: { dryRun: action.dryRun ?? false },
      };
    case 'pause':
      return {
        op: operationById('pauseCluster'),
        params: needsCluster(),
        body: { reason: action.reason ?? 'paused through SNS', ...(action.until ? { until: action.until } : {}) },
      };
    case 'resume':
      return { op: operationById('resumeCluster'), params: needsCluster(), body: {} };
  }
}

export function registerSnsRoute(
  app: FastifyInstance,
  deps: ApiRouteDeps & { log?: Logger; sns?: SnsVerifier },
): SnsVerifier {
  const verifier = deps.sns ?? new SnsVerifier(deps.api.sns.certUrlPattern);
  void app.register(async (scope) => {
    // SNS posts JSON as text/plain; read every body as text and parse it here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post('/sns', async (req, reply) => {
      let json: unknown;
      try {
        json = JSON.parse(typeof req.body === 'string' ? req.body : '');
      } catch {
        return reply.code(400).send({ error: 'body is not JSON' });
      }
      const parsed = envelope.safeParse(json);
      if (!parsed.success)
        return reply.code(400).send({ error: `not an SNS message: ${z.prettifyError(parsed.error)}` });
      const m = parsed.data;
      if (!verifier.allowedUrl(m.SigningCertURL))
        return reply.code(403).send({ error: 'signing certificate URL is not an Amazon SNS host' });
      let ok = false;
      try {
        ok = await verifier.verify(m);
      } catch (err) {
        deps.log?.warn('SNS certificate fetch failed', { url: m.SigningCertURL, error: (err as Error).message });
        return reply.code(502).send({ error: 'could not fetch the signing certificate' });
      }
      if (!ok) return reply.code(403).send({ error: 'bad signature' });
      const topic = deps.api.sns.topics.find((t) => t.arn === m.TopicArn);
      if (!topic) return reply.code(403).send({ error: `topic ${m.TopicArn} is not configured (api.sns.topics)` });
      const age = Date.now() - Date.parse(m.Timestamp);
      if (!(age < MAX_AGE_MS)) return reply.code(400).send({ error: 'message too old (replay?)' });

      if (m.Type === 'SubscriptionConfirmation') {
        if (!m.SubscribeURL || !verifier.allowedUrl(m.SubscribeURL))
          return reply.code(403).send({ error: 'SubscribeURL is not an Amazon SNS host' });
        const res = await fetch(m.SubscribeURL, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
        if (!res.ok) return reply.code(502).send({ error: `subscription confirmation answered ${res.status}` });
        deps.log?.info('SNS subscription confirmed', { topic: m.TopicArn });
        return reply.code(200).send({ confirmed: true, topic: m.TopicArn });
      }
      if (m.Type === 'UnsubscribeConfirmation') return reply.code(200).send({ ok: true });

      let action: z.infer<typeof snsActionSchema>;
      try {
        action = snsActionSchema.parse(JSON.parse(m.Message));
      } catch (err) {
        const { error } = err instanceof SyntaxError ? { error: 'Message is not JSON' } : httpError(err);
        return reply.code(400).send({ error });
      }
      const topicName = m.TopicArn.split(':').pop()!;
      const principal: Principal = { name: `sns:${topicName}`, role: topic.role, via: 'sns' };
      try {
        const { op, params, body } = operationFor(action);
        const rank = ['viewer', 'operator', 'admin'];
        if (rank.indexOf(principal.role) < rank.indexOf(op.role))
          return reply.code(403).send({ error: `${op.id} needs ${op.role}; topic ${topicName} has ${principal.role}` });
        const result = await op.handler({ deps, principal, params, query: {}, body });
        deps.log?.info('SNS manual trigger', { topic: m.TopicArn, action: action.action, messageId: m.MessageId });
        return reply.code(op.status).send({ action: action.action, messageId: m.MessageId, result });
      } catch (err) {
        const { status, error } = httpError(err);
        return reply.code(status).send({ error });
      }
    });
  });
  return verifier;
}
