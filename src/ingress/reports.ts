import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { getReportHtml } from '../../activities/gateways/reports';
import type { AwsClientFactory } from '../aws/clients';
import type { EksflowEnv } from '../config/env';
import { REPORT_ID, verifyReportToken } from '../domain/reports/link';

/** Reads a report's HTML by id; undefined when there is none. */
export type ReportSource = (id: string) => Promise<string | undefined>;

/** The report bucket when one is configured (production), else the local reports folder (sandbox). */
export function reportSourceFromEnv(env: EksflowEnv, aws: AwsClientFactory): ReportSource {
  const bucket = env.EKSFLOW_REPORTS_BUCKET;
  if (bucket) return (id) => getReportHtml({ s3: aws.reportsS3(env.EKSFLOW_REPORTS_REGION), bucket }, id);
  const dir = resolve(env.EKSFLOW_REPORTS_DIR);
  return async (id) => {
    try {
      return await readFile(join(dir, `${id}.html`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
}

/**
 * `GET /reports/:id`: the report links of notifications. Behind the ingress auth: the per-report
 * token of the link (`?token=`), or the ingress bearer token.
 */
export function registerReportRoutes(
  app: FastifyInstance,
  deps: { token: string; reports: ReportSource; bearerOk: (header: string | undefined) => boolean },
): void {
  app.get<{ Params: { id: string }; Querystring: { token?: string } }>('/reports/:id', async (req, reply) => {
    const { id } = req.params;
    if (!REPORT_ID.test(id)) return reply.code(400).send({ error: 'a report id such as cost-20260721-100000IST' });
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!(token && verifyReportToken(deps.token, id, token)) && !deps.bearerOk(req.headers.authorization)) {
      return reply.code(401).send({ error: 'unauthorized' });
    }
    const html = await deps.reports(id);
    if (html === undefined) return reply.code(404).send({ error: `no report ${id}` });
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(html);
  });
}
