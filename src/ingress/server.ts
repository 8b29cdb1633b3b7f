import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Client } from '@temporalio/client';
import type { EksflowConfig } from '../config/schema';
import { parseEventBridgeEvent } from '../domain/events/eventbridge';
import type { SpotInterruptionTiming } from '../../workflows/interruption/messages';
import { dispatchEvent, IngressMetrics } from './dispatch';
import { registerAlertRoutes } from './alert-routes';
import { registerReportRoutes, type ReportSource } from './reports';
import type { Logger } from '../log';
import type { AuditLog } from '../audit';
import type { MetricsRegistry } from '../metrics/registry';
import { Authenticator } from '../api/auth';
import { registerApiRoutes } from '../api/routes';
import { registerSnsRoute, type SnsVerifier } from '../api/sns';
import { registerStatusPage, type CurrentSizes } from '../api/status-page';

export interface IngressServerDeps {
  client: Client;
  taskQueue: string;
  /** Bearer token EventBridge's API destination connection sends (`Authorization: Bearer …`). */
  token: string;
  config?: EksflowConfig;
  /** Largest accepted body in bytes (larger → 413). Default 256 KiB, EventBridge's own event size limit. */
  bodyLimit?: number;
  workflowTiming?: SpotInterruptionTiming;
  /** See DispatchDeps.interruptionTaskQueue. */
  interruptionTaskQueue?: string;
  metrics?: IngressMetrics;
  /** The process's Prometheus registry, served as text on `/metrics` to Prometheus. */
  registry?: MetricsRegistry;
  log?: Logger;
  /** The operator API, status page and SNS triggers (registered when `config` is given). */
  api?: {
    reportsDir: string;
    temporalUiUrl: string;
    audit?: AuditLog;
    schedulePrefix?: string;
    currentSizes?: CurrentSizes;
    /** Tokens read at start-up from Secrets Manager (`api.tokensSecretId`), added to the configured ones. */
    extraTokens?: EksflowConfig['api']['tokens'];
    sns?: SnsVerifier;
  };
  /** Serves `GET /reports/:id` when given (reportSourceFromEnv). */
  reports?: ReportSource;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares in constant time: hashing first gives equal lengths, so not even the length leaks. */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}

/**
 * The HTTP ingress. `POST /events/eventbridge` takes the body an EventBridge API destination
 * sends; it answers 202 only after Temporal accepted the workflow start (so a 5xx makes
 * EventBridge retry), 401 without the bearer token, 400 with zod's message for malformed input,
 * 413 above the body limit. Bad input starts nothing.
 */
export function buildIngressServer(deps: IngressServerDeps): FastifyInstance {
  // Alert ids (dedup keys) and workflow ids travel URL-encoded in API paths: room for them (longer → 414).
  const app = Fastify({
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    logger: false,
    routerOptions: { maxParamLength: 4096 },
  });
  const metrics = deps.metrics ?? new IngressMetrics();
  const requireToken = async (req: FastifyRequest, reply: { code(n: number): { send(b: unknown): unknown } }) => {
    if (!bearerTokenMatches(req.headers.authorization, deps.token)) {
      metrics.countRejected('unauthorized');
      return reply.code(401).send({ error: 'unauthorized' });
    }
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    metrics.countRejected(status === 413 ? 'too-large' : status === 400 ? 'malformed' : `http-${status}`);
    if (status === 500) deps.log?.error('ingress error', { error: err.message });
    void reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  if (deps.reports) {
    registerReportRoutes(app, {
      token: deps.token,
      reports: deps.reports,
      bearerOk: (h) => bearerTokenMatches(h, deps.token),
    });
  }
  // Prometheus (its Accept names text/plain or OpenMetrics) gets the text format of the process's
  // registry; anyone else the JSON snapshot. The unauthenticated scrape port is EKSFLOW_METRICS_PORT.
  app.get('/metrics', { onRequest: requireToken }, async (req, reply) => {
    const accept = req.headers.accept ?? '';
    if (deps.registry && /text\/plain|openmetrics/.test(accept))
      return reply.type(deps.registry.contentType).send(await deps.registry.text());
    return metrics.snapshot();
  });

  // onRequest runs before the body is read: an unauthenticated caller never gets it parsed.
  app.post('/events/eventbridge', { onRequest: requireToken }, async (req, reply) => {
    const parsed = parseEventBridgeEvent(req.body);
    if (!parsed.ok) {
      metrics.countRejected('invalid-event');
      metrics.outcome('unknown', 'rejected');
      return reply.code(400).send({ error: parsed.error });
    }
    const event = parsed.event;
    if (event.kind === 'ignored' && event.unsupported) {
      metrics.countRejected('unsupported-kind');
      metrics.outcome('unsupported', 'rejected');
      return reply
        .code(400)
        .send({ error: `unsupported event: source "${event.source}", detail-type "${event.detailType}"` });
    }
    let outcome;
    try {
      outcome = await dispatchEvent(
        {
          client: deps.client,
          taskQueue: deps.taskQueue,
          workflowTiming: deps.workflowTiming,
          interruptionTaskQueue: deps.interruptionTaskQueue,
          metrics,
        },
        event,
      );
    } catch (err) {
      deps.log?.error('workflow start failed', { eventId: event.eventId, error: (err as Error).message });
      return reply.code(503).send({ error: 'could not start the workflow; retry' });
    }
    deps.log?.info('event accepted', {
      eventId: event.eventId,
      kind: event.kind,
      workflows: outcome.actions.map((a) => a.workflowId).filter(Boolean),
    });
    return reply.code(202).send({ accepted: true, eventId: event.eventId, ...outcome });
  });

  // Other route modules register here, each with one line, e.g. registerAlertRoutes(app, deps).
  registerAlertRoutes(app, deps);
  if (deps.config) {
    const config = deps.config;
    const api = deps.api ?? { reportsDir: 'reports', temporalUiUrl: 'http://localhost:8233' };
    const auth = new Authenticator(config.api, [...config.api.tokens, ...(api.extraTokens ?? [])], deps.token);
    const apiDeps = {
      client: deps.client,
      taskQueue: deps.taskQueue,
      config,
      reportsDir: api.reportsDir,
      temporalUiUrl: api.temporalUiUrl,
      audit: api.audit,
      schedulePrefix: api.schedulePrefix,
      workflowTiming: deps.workflowTiming,
      auth,
      api: config.api,
      log: deps.log,
    };
    registerApiRoutes(app, apiDeps);
    registerStatusPage(app, { ...apiDeps, currentSizes: api.currentSizes });
    registerSnsRoute(app, { ...apiDeps, sns: api.sns });
  }

  return app;
}
