import { createServer, type Server } from 'node:http';
import type { SeriesSpec } from './prometheus';

/** Series of a healthy cluster as kube-state-metrics and the API server expose them. */
export function healthySeries(cluster: string): SeriesSpec[] {
  const l = (extra: Record<string, string>) => ({ cluster, ...extra });
  return [
    { name: 'kube_node_status_condition', labels: l({ node: 'n1', condition: 'Ready', status: 'true' }), value: 1 },
    { name: 'kube_node_status_condition', labels: l({ node: 'n1', condition: 'Ready', status: 'false' }), value: 0 },
    { name: 'kube_node_status_condition', labels: l({ node: 'n2', condition: 'Ready', status: 'true' }), value: 1 },
    { name: 'kube_node_status_condition', labels: l({ node: 'n2', condition: 'Ready', status: 'false' }), value: 0 },
    {
      name: 'kube_node_status_condition',
      labels: l({ node: 'n1', condition: 'MemoryPressure', status: 'true' }),
      value: 0,
    },
    {
      name: 'kube_node_status_condition',
      labels: l({ node: 'n2', condition: 'MemoryPressure', status: 'true' }),
      value: 0,
    },
    {
      name: 'kube_pod_container_status_restarts_total',
      labels: l({ namespace: 'default', pod: 'web-1', container: 'web' }),
      value: 2,
      ratePerSec: 0,
    },
    { name: 'kube_pod_status_phase', labels: l({ namespace: 'default', pod: 'web-1', phase: 'Running' }), value: 1 },
    { name: 'kube_pod_status_phase', labels: l({ namespace: 'default', pod: 'web-1', phase: 'Failed' }), value: 0 },
    ...apiserverLatency(cluster, 'fast'),
  ];
}

/** API server request histogram: `fast` puts every request under 100 ms, `slow` between 1 and 2.5 s. */
export function apiserverLatency(cluster: string, speed: 'fast' | 'slow'): SeriesSpec[] {
  const buckets = ['0.1', '0.5', '1', '2.5', '+Inf'];
  return buckets.map((le) => ({
    name: 'apiserver_request_duration_seconds_bucket',
    labels: { cluster, verb: 'GET', le },
    ratePerSec: speed === 'fast' || le === '2.5' || le === '+Inf' ? 20 : 0,
  }));
}

/** Node n1 NotReady (or Ready again). */
export function nodeReady(cluster: string, ready: boolean): SeriesSpec[] {
  return [
    {
      name: 'kube_node_status_condition',
      labels: { cluster, node: 'n1', condition: 'Ready', status: 'true' },
      value: ready ? 1 : 0,
    },
    {
      name: 'kube_node_status_condition',
      labels: { cluster, node: 'n1', condition: 'Ready', status: 'false' },
      value: ready ? 0 : 1,
    },
  ];
}

export interface JiraIssue {
  key: string;
  fields: {
    project: { key: string };
    issuetype: { name: string };
    summary: string;
    labels: string[];
    description: unknown;
  };
}

/**
 * A local Jira Cloud stand-in: `POST /rest/api/3/issue` (checks the v3 request shape and Basic
 * auth) and `GET /rest/api/3/search/jql` by label. Anything else is 404.
 */
export async function startJiraReceiver(
  expectAuth: string,
): Promise<{ url: string; issues: JiraIssue[]; rejected: string[]; close(): Promise<void> }> {
  const issues: JiraIssue[] = [];
  const rejected: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const send = (status: number, obj: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
      if (req.headers.authorization !== `Basic ${Buffer.from(expectAuth).toString('base64')}`)
        return send(401, { errorMessages: ['unauthorized'] });
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/rest/api/3/search/jql') {
        const m = /labels = "([^"]+)"/.exec(url.searchParams.get('jql') ?? '');
        const found = m ? issues.filter((i) => i.fields.labels.includes(m[1])) : [];
        return send(200, { issues: found.map((i) => ({ key: i.key, id: i.key })), isLast: true });
      }
      if (req.method === 'POST' && url.pathname === '/rest/api/3/issue') {
        try {
          const b = JSON.parse(body) as { fields: JiraIssue['fields'] };
          const f = b.fields;
          const doc = f.description as { type?: string; version?: number; content?: unknown[] };
          const problems = [
            typeof f?.project?.key !== 'string' && 'fields.project.key',
            typeof f?.issuetype?.name !== 'string' && 'fields.issuetype.name',
            (typeof f?.summary !== 'string' || f.summary.length === 0 || f.summary.length > 255) && 'fields.summary',
            !(doc?.type === 'doc' && doc.version === 1 && Array.isArray(doc.content)) && 'fields.description (ADF doc)',
            !(Array.isArray(f?.labels) && f.labels.every((x) => typeof x === 'string' && !/\s/.test(x))) &&
              'fields.labels',
          ].filter(Boolean);
          if (problems.length) {
            rejected.push(problems.join(', '));
            return send(400, { errors: Object.fromEntries(problems.map((p) => [p, 'invalid'])) });
          }
          const key = `${f.project.key}-${issues.length + 1}`;
          issues.push({ key, fields: f });
          return send(201, { id: String(issues.length), key, self: `http://jira/rest/api/3/issue/${issues.length}` });
        } catch {
          return send(400, { errorMessages: ['malformed JSON'] });
        }
      }
      send(404, { errorMessages: ['not found'] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    issues,
    rejected,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Raw config (YAML shape) of one cluster monitored on a shared Prometheus. */
export function healthTestConfig(opts: {
  cluster: string;
  prometheusUrl: string;
  pagerdutyUrl: string;
  pdKeyEnv: string;
  jiraUrl?: string;
  jiraEnv?: { email: string; token: string };
  intervalSeconds?: number;
  extraChecks?: unknown[];
  severityActions?: Record<string, string[]>;
}): Record<string, unknown> {
  return {
    clusters: [
      {
        name: opts.cluster,
        accountId: '123456789012',
        region: 'ap-south-1',
        nodegroups: [
          {
            name: 'ng-main',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 2, max: 4 },
            offHours: { min: 1, desired: 2, max: 4 },
          },
        ],
      },
    ],
    notifications: {
      temporalUiUrl: 'http://localhost:8233',
      channels: { pagerduty: { routingKeyEnv: opts.pdKeyEnv, eventsUrl: opts.pagerdutyUrl } },
      rules: [
        { type: 'health_check', channels: ['pagerduty'], offHours: 'immediate' },
        { type: 'health_checks_blind', channels: ['pagerduty'], offHours: 'immediate' },
        { type: 'health_check_no_data', channels: ['pagerduty'], offHours: 'immediate' },
      ],
    },
    health: {
      intervalSeconds: opts.intervalSeconds ?? 2,
      ...(opts.extraChecks ? { checks: opts.extraChecks } : {}),
      ...(opts.severityActions ? { severityActions: opts.severityActions } : {}),
      clusters: [
        {
          cluster: opts.cluster,
          prometheus: { url: opts.prometheusUrl, selector: `cluster="${opts.cluster}"`, timeoutSeconds: 3 },
        },
      ],
      actions: {
        ...(opts.jiraUrl && opts.jiraEnv
          ? {
              jira: {
                baseUrl: opts.jiraUrl,
                projectKey: 'OPS',
                emailEnv: opts.jiraEnv.email,
                tokenEnv: opts.jiraEnv.token,
              },
            }
          : {}),
      },
    },
  };
}

/** Polls `fn` until it returns a truthy value (no fixed sleeps); the last error or value is in the timeout message. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`,
  );
}
