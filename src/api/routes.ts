import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import { ConfigError } from '../config/load';
import { EksflowError, ErrorType } from '../errors';
import type { ApiConfig } from '../config/api';
import type { Logger } from '../log';
import { bearerOf, hasRole, type Authenticator, type Principal } from './auth';
import { OPERATIONS, type ApiDeps, type Operation } from './operations';
import { buildOpenApi, referencePage } from './openapi';

export interface ApiRouteDeps extends ApiDeps {
  auth: Authenticator;
  api: ApiConfig;
  log?: Logger;
}

/** The session cookie the status page's login form sets: the same token, HttpOnly, SameSite=Strict. */
export const SESSION_COOKIE = 'eksflow_session';

const principals = new WeakMap<FastifyRequest, Principal>();
export const principalOf = (req: FastifyRequest): Principal | undefined => principals.get(req);

export function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Resolves the caller from `Authorization: Bearer` or the status page's session cookie. */
export async function authenticateRequest(auth: Authenticator, req: FastifyRequest): Promise<Principal | undefined> {
  const cached = principals.get(req);
  if (cached) return cached;
  const p = await auth.authenticate(bearerOf(req.headers.authorization) ?? cookieToken(req.headers.cookie));
  if (p) principals.set(req, p);
  return p;
}

const STATUS_OF: Record<string, number> = {
  [ErrorType.Validation]: 400,
  [ErrorType.NotFound]: 404,
  [ErrorType.AccessDenied]: 403,
  [ErrorType.Conflict]: 409,
};

/** The HTTP answer of an error: zod and eksflow errors are the caller's (4xx with the message), the rest 500/503. */
export function httpError(err: unknown): { status: number; error: string } {
  if (err instanceof z.ZodError) return { status: 400, error: `invalid request: ${z.prettifyError(err)}` };
  // Config text a caller sent (or a suppression for it) that does not validate: the issues name the fields.
  if (err instanceof ConfigError) return { status: 400, error: err.message };
  if (err instanceof EksflowError) return { status: STATUS_OF[err.type] ?? 503, error: err.message };
  const e = err as Error & { statusCode?: number };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, error: e.message };
  return { status: 500, error: 'internal error' };
}

export const fastifyPath = (p: string): string => p.replace(/\{(\w+)\}/g, ':$1');

/**
 * `/api/v1`: every operation of OPERATIONS with its role check, zod-parsed inputs, the caller
 * recorded as "who", and per-caller rate limits; `/api/v1/openapi.json` and `/api/v1/docs`.
 */
export function registerApiRoutes(app: FastifyInstance, deps: ApiRouteDeps): void {
  void app.register(async (scope) => {
    scope.setErrorHandler((err, req, reply) => {
      const { status, error } = httpError(err);
      if (status === 500) deps.log?.error('api error', { url: req.url, error: (err as Error).message });
      void reply.code(status).send({ error });
    });

    await scope.register(rateLimit, {
      max: deps.api.rateLimitPerMinute,
      timeWindow: 60_000,
      hook: 'preHandler',
      keyGenerator: (req) => {
        const p = principalOf(req);
        return p ? `principal:${p.name}` : `ip:${req.ip}`;
      },
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        error: `rate limit: ${ctx.max} requests per minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      }),
    });

    const spec = buildOpenApi(OPERATIONS);
    scope.get('/api/v1/openapi.json', async () => spec);
    scope.get('/api/v1/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(referencePage(spec)));

    for (const op of OPERATIONS) {
      scope.route({
        method: op.method,
        url: fastifyPath(op.path),
        // Before the body is read: an unauthenticated or under-privileged caller never has it parsed.
        onRequest: async (req, reply) => authorize(deps, op, req, reply),
        handler: async (req, reply) => {
          const principal = principalOf(req)!;
          const params = op.params ? op.params.parse(req.params) : {};
          const query = op.query ? op.query.parse(req.query ?? {}) : {};
          const result = await op.handler({
            deps,
            principal,
            params: params as Record<string, string>,
            query: query as Record<string, unknown>,
            body: req.body ?? {},
          });
          return reply.code(op.status).send(result);
        },
      });
    }
  });
}

async function authorize(deps: ApiRouteDeps, op: Operation, req: FastifyRequest, reply: FastifyReply) {
  const p = await authenticateRequest(deps.auth, req);
  if (!p) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
  if (!hasRole(p, op.role))
    return reply.code(403).send({ error: `forbidden: ${op.id} needs the ${op.role} role (${p.name} is ${p.role})` });
}
