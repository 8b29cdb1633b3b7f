import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { readSecretEnv } from '../config/env';
import type { EksflowConfig } from '../config/schema';
import { safeEqual, verifyAckToken, verifyPagerDutySignature } from '../domain/alerts/ack-token';
import { alertWorkflowId, dedupKeyFromAlertId } from '../domain/alerts/dedup';
import type { Logger } from '../log';
import { acknowledgeAlert, resolveAlert } from '../client/alerts';

export interface AlertRoutesDeps {
  client: Client;
  /** The ingress secret: accepted as `Authorization: Bearer …`, and the key of per-alert ack tokens. */
  token: string;
  config?: EksflowConfig;
  /** PagerDuty v3 webhook signing secret; default: the env var named in notifications.pagerdutyWebhookSecretEnv. */
  pagerdutyWebhookSecret?: string;
  log?: Logger;
}

const ackParams = z.object({ id: z.string().min(1).max(1100) });
const ackQuery = z.object({ token: z.string().max(200).optional() });
const ackBody = z
  .object({ token: z.string().max(200).optional(), by: z.string().trim().min(1).max(128).optional() })
  .strict();

/** The part of a PagerDuty V3 webhook eksflow acts on; other event types are acknowledged and ignored. */
const pagerdutyWebhook = z.object({
  event: z.object({
    id: z.string(),
    event_type: z.string(),
    resource_type: z.string(),
    occurred_at: z.string().optional(),
    agent: z.object({ summary: z.string().optional(), id: z.string().optional() }).passthrough().nullable().optional(),
    data: z.object({ id: z.string(), type: z.string(), incident_key: z.string().nullable().optional() }).passthrough(),
  }),
});

function bearer(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1];
}

/**
 * Alert routes of the HTTP ingress:
 * - `POST /alerts/:id/ack` — acknowledge an open alert (`:id` = dedup key or `alert/<key>`), with
 *   the per-alert token from the message (`?token=` or body `token`) or the ingress bearer token.
 *   `GET` of the same URL (a Slack button opens a browser) shows a one-button form that POSTs.
 * - `POST /webhooks/pagerduty` — PagerDuty V3 webhooks: `incident.acknowledged` / `incident.resolved`
 *   acknowledge / resolve the alert whose dedup key is the incident key. Signed (HMAC) requests only.
 * Every comparison of secrets is constant-time; a bad token changes nothing.
 */
export function registerAlertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): void {
  const pdSecret =
    deps.pagerdutyWebhookSecret ??
    (deps.config ? readSecretEnv(deps.config.notifications.pagerdutyWebhookSecretEnv) : undefined);

  const authorized = (dedupKey: string, token: string | undefined, authHeader: string | undefined) => {
    const b = bearer(authHeader);
    if (b !== undefined && safeEqual(b, deps.token)) return true;
    return token !== undefined && verifyAckToken(deps.token, dedupKey, token);
  };

  app.get('/alerts/:id/ack', async (req, reply) => {
    const params = ackParams.safeParse(req.params);
    const query = ackQuery.safeParse(req.query);
    if (!params.success || !query.success) return reply.code(400).send({ error: 'bad request' });
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const action = `/alerts/${encodeURIComponent(params.data.id)}/ack?token=${encodeURIComponent(query.data.token ?? '')}`;
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><title>Acknowledge alert</title><form method="post" action="${esc(action)}"><p>Acknowledge <code>${esc(params.data.id)}</code>?</p><button type="submit">Acknowledge</button></form>`,
      );
  });

  app.post('/alerts/:id/ack', async (req, reply) => {
    const params = ackParams.safeParse(req.params);
    const query = ackQuery.safeParse(req.query);
    const body = ackBody.safeParse(req.body ?? {});
    if (!params.success || !query.success || !body.success) {
      return reply.code(400).send({
        error: `bad request: ${[params, query, body].flatMap((r) => (r.success ? [] : [z.prettifyError(r.error)])).join('; ')}`,
      });
    }
    let dedupKey: string;
    try {
      dedupKey = dedupKeyFromAlertId(params.data.id);
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    if (!authorized(dedupKey, body.data.token ?? query.data.token, req.headers.authorization)) {
      return reply.code(401).send({ error: 'unauthorized' });
    }
    const workflowId = alertWorkflowId(dedupKey);
    const { outcome } = await acknowledgeAlert(deps.client, workflowId, { by: body.data.by ?? 'http', via: 'http' });
    if (outcome !== 'ok') return reply.code(404).send({ error: `no open alert ${workflowId}` });
    deps.log?.info('alert acknowledged over HTTP', { workflowId });
    return reply.code(202).send({ acknowledged: true, workflowId });
  });

  // Own scope: the raw body is needed for the signature, without changing other routes' parsing.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post('/webhooks/pagerduty', async (req, reply) => {
      if (!pdSecret)
        return reply.code(503).send({ error: 'PagerDuty webhooks are not configured (no signing secret)' });
      const raw = typeof req.body === 'string' ? req.body : '';
      const sig = req.headers['x-pagerduty-signature'];
      if (!verifyPagerDutySignature(pdSecret, raw, Array.isArray(sig) ? sig.join(',') : sig))
        return reply.code(401).send({ error: 'bad signature' });
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return reply.code(400).send({ error: 'body is not JSON' });
      }
      const parsed = pagerdutyWebhook.safeParse(json);
      if (!parsed.success) return reply.code(400).send({ error: z.prettifyError(parsed.error) });
      const { event } = parsed.data;
      const signal =
        event.event_type === 'incident.acknowledged'
          ? 'acknowledge'
          : event.event_type === 'incident.resolved'
            ? 'resolve'
            : undefined;
      const key = event.data.incident_key;
      if (!signal || !key) return reply.code(200).send({ ignored: true, eventType: event.event_type });
      let workflowId: string;
      try {
        workflowId = alertWorkflowId(key);
      } catch {
        return reply.code(200).send({ ignored: true, reason: 'empty incident key' });
      }
      const who = { by: event.agent?.summary ?? 'pagerduty', via: 'pagerduty' } as const;
      const { outcome } =
        signal === 'acknowledge'
          ? await acknowledgeAlert(deps.client, workflowId, who)
          : await resolveAlert(deps.client, workflowId, who);
      deps.log?.info('PagerDuty webhook applied', { workflowId, eventType: event.event_type, outcome });
      // 200 even for unknown alerts: PagerDuty would otherwise retry an event nobody can use.
      return reply.code(200).send({ applied: outcome === 'ok', workflowId, signal });
    });
  });
}
