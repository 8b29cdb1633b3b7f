import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { acknowledgeAlert, openAlerts } from '../client/alerts';
import { interruptionsInFlight } from '../client/interruption';
import { listReports, readReportHtml } from '../client/reports';
import { clusterStatus, controllerTarget, findCluster } from '../client/scaling';
import { istClock, listSchedules, type ScheduleView } from '../client/schedules';
import { temporalUiLink } from '../client/workflows';
import { alertWorkflowId, dedupKeyFromAlertId } from '../domain/alerts/dedup';
import type { AlertState } from '../domain/alerts/types';
import { clusterKeyOf } from '../domain/scaling/types';
import { istDate } from '../domain/timetable/ist';
import { hasRole, type Principal } from './auth';
import { authenticateRequest, httpError, SESSION_COOKIE, type ApiRouteDeps } from './routes';

/** Current sizes of a cluster's node groups as AWS reports them (optional: the page shows targets without it). */
export type CurrentSizes = (cluster: {
  name: string;
  accountId: string;
  region: string;
}) => Promise<Record<string, { min: number; desired: number; max: number } | undefined>>;

export interface StatusPageDeps extends ApiRouteDeps {
  currentSizes?: CurrentSizes;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (s?: { min: number; desired: number; max: number }) => (s ? `${s.min}/${s.desired}/${s.max}` : '—');

const formBody = z.object({ id: z.string().min(1).max(1100) }).strict();
const loginBody = z.object({ token: z.string().min(1).max(4096) }).strict();

/**
 * `/`: the fleet at a glance, rendered on the server (no JavaScript; `<meta refresh>`), for any
 * authenticated caller; ack buttons (plain form POSTs) for operators. A browser signs in once
 * with a token (`/login`), kept in an HttpOnly, SameSite=Strict cookie.
 */
export function registerStatusPage(app: FastifyInstance, deps: StatusPageDeps): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
    });
    scope.setErrorHandler((err, _req, reply) => {
      const { status, error } = httpError(err);
      void reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(page('eksflow', `<p class="err">${esc(error)}</p>`));
    });

    scope.get('/', async (req, reply) => {
      const p = await authenticateRequest(deps.auth, req);
      if (!p) return reply.type('text/html; charset=utf-8').send(loginPage());
      const done =
        typeof (req.query as Record<string, unknown>).done === 'string'
          ? (req.query as { done: string }).done
          : undefined;
      return reply.type('text/html; charset=utf-8').send(await statusHtml(deps, p, done));
    });

    scope.post('/login', async (req, reply) => {
      const body = loginBody.safeParse(req.body);
      const p = body.success ? await deps.auth.authenticate(body.data.token) : undefined;
      if (!p || !body.success) return reply.code(401).type('text/html; charset=utf-8').send(loginPage('unknown token'));
      return reply
        .header(
          'set-cookie',
          `${SESSION_COOKIE}=${encodeURIComponent(body.data.token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200`,
        )
        .redirect('/', 303);
    });

    scope.post('/logout', async (_req, reply) =>
      reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`).redirect('/', 303),
    );

    scope.post('/ui/alerts/ack', async (req, reply) => {
      const p = await requireRole(deps, req, reply, 'operator');
      if (!p) return reply;
      const { id } = formBody.parse(req.body);
      let workflowId: string;
      try {
        workflowId = alertWorkflowId(dedupKeyFromAlertId(id));
      } catch (err) {
        return reply
          .code(400)
          .type('text/html; charset=utf-8')
          .send(page('eksflow', `<p class="err">${esc((err as Error).message)}</p>`));
      }
      const sent = await acknowledgeAlert(deps.client, workflowId, { by: p.name, via: 'http' }, { checkOpen: true });
      deps.audit?.record({
        action: 'api:alert-ack',
        target: workflowId,
        detail: { by: p.name, via: 'status-page', outcome: sent.outcome },
      });
      return reply.redirect(
        `/?done=${encodeURIComponent(`${sent.outcome === 'ok' ? 'acknowledged' : sent.outcome} ${workflowId}`)}`,
        303,
      );
    });

    // With a report source (ingress main, npm start) the ingress's own GET /reports/:id (link token or bearer) serves it.
    if (!scope.hasRoute({ method: 'GET', url: '/reports/:id' }))
      scope.get('/reports/:id', async (req, reply) => {
        if (!(await requireRole(deps, req, reply, 'viewer'))) return reply;
        const { id } = z.object({ id: z.string().max(64) }).parse(req.params);
        return reply
          .type('text/html; charset=utf-8')
          .send(await readReportHtml(deps.reportsDir, id.replace(/\.html$/, '')));
      });
  });
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

async function requireRole(
  deps: StatusPageDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  role: 'viewer' | 'operator',
): Promise<Principal | undefined> {
  const p = await authenticateRequest(deps.auth, req);
  // A cross-site form cannot carry the SameSite=Strict cookie; an Origin from elsewhere is refused too.
  const origin = req.headers.origin;
  if (origin && origin !== 'null' && hostOf(origin) !== req.headers.host) {
    void reply
      .code(403)
      .type('text/html; charset=utf-8')
      .send(page('eksflow', '<p class="err">cross-site request refused</p>'));
    return undefined;
  }
  if (!p) {
    void reply.code(401).type('text/html; charset=utf-8').send(loginPage('sign in first'));
    return undefined;
  }
  if (!hasRole(p, role)) {
    void reply
      .code(403)
      .type('text/html; charset=utf-8')
      .send(page('eksflow', `<p class="err">${esc(p.name)} is ${p.role}; this needs ${role}</p>`));
    return undefined;
  }
  return p;
}

function page(title: string, body: string, refreshSeconds?: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
${refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<style>body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.4em 0 1.2em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f3f4f6}h2{margin:1em 0 .2em;font-size:1.15em}
.paused{color:#b45309;font-weight:600}.ok{color:#15803d}.err{color:#b91c1c}.muted{color:#6b7280}.done{background:#ecfdf5;padding:.4em}
.critical{color:#b91c1c;font-weight:600}.warning{color:#b45309}button{cursor:pointer}nav a{margin-right:1em}</style>
</head><body>${body}</body></html>`;
}

function loginPage(message?: string): string {
  return page(
    'eksflow — sign in',
    `<h1>eksflow</h1>${message ? `<p class="err">${esc(message)}</p>` : ''}
<form method="post" action="/login"><label>API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button></form>`,
  );
}

function timelineRow(s: ScheduleView, today: string, nowMs: number): string {
  const ranToday = s.recentRuns.filter((r) => istDate(Date.parse(r.at)) === today);
  const nextToday = s.nextRun && istDate(Date.parse(s.nextRun.utc)) === today;
  const what = ranToday.length
    ? `<span class="ok">ran ${esc(istClock(Date.parse(ranToday[ranToday.length - 1]!.at)).slice(11))}</span>`
    : nextToday
      ? `next ${esc(s.nextRun!.ist.slice(11))}`
      : s.state === 'active' && s.nextRun
        ? `<span class="muted">next ${esc(s.nextRun.ist)}</span>`
        : `<span class="muted">${esc(s.state)}</span>`;
  const due = s.nextRun && Date.parse(s.nextRun.utc) > nowMs ? '' : '';
  return `<tr><td>${esc(s.time)}</td><td>${esc(s.id)}</td><td>${esc(s.workflow)}</td><td>${esc(s.state)}</td><td>${what}${due}</td></tr>`;
}

async function statusHtml(deps: StatusPageDeps, p: Principal, done?: string): Promise<string> {
  const nowMs = Date.now();
  const ui = (id: string) => temporalUiLink(deps.temporalUiUrl, deps.client.options.namespace, id);
  const parts: string[] = [
    `<h1>eksflow — fleet status</h1><nav><a href="${esc(deps.temporalUiUrl)}">Temporal UI</a><a href="/api/v1/docs">API reference</a>
<span class="muted">signed in as ${esc(p.name)} (${p.role}) · ${esc(istClock(nowMs))} · refreshes every ${deps.api.statusRefreshSeconds} s</span>
<form method="post" action="/logout" style="display:inline"><button>Sign out</button></form></nav>`,
  ];
  if (done) parts.push(`<p class="done" id="done">${esc(done)}</p>`);

  parts.push('<h2>Clusters</h2>');
  for (const c of deps.config.clusters) {
    const key = clusterKeyOf(c);
    const cluster = findCluster(deps.config, key);
    const { status, plan } = await clusterStatus(deps.client, controllerTarget(deps.config, deps.taskQueue, cluster));
    const current = deps.currentSizes ? await deps.currentSizes(c).catch(() => ({}) as Record<string, undefined>) : {};
    const paused = status.paused
      ? `<span class="paused">PAUSED by ${esc(status.paused.by)}: ${esc(status.paused.reason)}${status.paused.untilMs ? ` until ${esc(istClock(status.paused.untilMs))}` : ''}</span>`
      : '<span class="ok">running on the timetable</span>';
    parts.push(`<h3 class="cluster" data-cluster="${esc(c.name)}">${esc(c.name)} <span class="muted">${esc(key)} · phase ${esc(plan.phase)}</span> — ${paused} <a href="${esc(ui(`cluster/${key}`))}">controller</a></h3>
<table><tr><th>node group</th><th>mode</th><th>current (min/desired/max)</th><th>target</th><th>source</th></tr>
${plan.nodegroups
  .map(
    (g) =>
      `<tr><td>${esc(g.nodegroup)}</td><td>${esc(g.mode)}</td><td>${fmt(current[g.nodegroup])}</td><td>${fmt(g.effective)}</td><td>${
        g.override
          ? `override by ${esc(g.override.by)} until ${esc(istClock(g.override.untilMs))}: ${esc(g.override.reason)}`
          : 'timetable'
      }</td></tr>`,
  )
  .join('')}</table>`);
  }

  const today = istDate(nowMs);
  const schedules = await listSchedules({
    client: deps.client,
    config: deps.config,
    taskQueue: deps.taskQueue,
    prefix: deps.schedulePrefix,
  });
  parts.push(`<h2>Today's timetable (IST, ${esc(today)})</h2><table><tr><th>IST</th><th>entry</th><th>workflow</th><th>schedule</th><th>today</th></tr>
${schedules
  .filter((s) => s.enabled)
  .sort((a, b) => a.time.localeCompare(b.time))
  .map((s) => timelineRow(s, today, nowMs))
  .join('')}</table>`);

  const alerts: AlertState[] = [];
  for await (const a of openAlerts(deps.client, { taskQueue: deps.taskQueue })) alerts.push(a);
  const canAck = hasRole(p, 'operator');
  parts.push(
    `<h2>Open alerts (${alerts.length})</h2>${
      alerts.length
        ? `<table id="alerts"><tr><th>severity</th><th>alert</th><th>status</th><th>count</th><th>summary</th><th></th></tr>${alerts
            .map(
              (a) =>
                `<tr data-alert="${esc(a.workflowId)}"><td class="${esc(a.alert.severity)}">${esc(a.alert.severity)}</td><td><a href="${esc(ui(a.workflowId))}">${esc(a.workflowId)}</a></td><td class="alert-status">${esc(a.status)}</td><td>${a.count}</td><td>${esc(a.alert.summary)}</td><td>${
                  canAck && a.status !== 'acknowledged'
                    ? `<form method="post" action="/ui/alerts/ack"><input type="hidden" name="id" value="${esc(a.workflowId)}"><button type="submit">Acknowledge</button></form>`
                    : ''
                }</td></tr>`,
            )
            .join('')}</table>`
        : '<p class="muted">none</p>'
    }`,
  );

  const interruptions = await interruptionsInFlight(deps.client, { taskQueue: deps.taskQueue });
  parts.push(
    `<h2>Spot interruptions in flight (${interruptions.length})</h2>${
      interruptions.length
        ? `<table><tr><th>instance</th><th>cluster / node group</th><th>phase</th><th>seconds left</th><th>replacements</th></tr>${interruptions
            .map(
              (i) =>
                `<tr><td><a href="${esc(ui(i.workflowId))}">${esc(i.instanceId)}</a></td><td>${esc(i.cluster ?? '?')} / ${esc(i.nodegroup ?? '?')}</td><td>${esc(i.phase)}</td><td>${i.secondsLeft ?? '—'}</td><td>${esc(i.replacementIds.join(', ') || '—')}</td></tr>`,
            )
            .join('')}</table>`
        : '<p class="muted">none</p>'
    }`,
  );

  const reports = (await listReports(deps.reportsDir)).slice(0, 6);
  parts.push(
    `<h2>Latest reports</h2>${
      reports.length
        ? `<ul>${reports.map((r) => `<li><a href="/reports/${esc(r.id)}">${esc(r.id)}</a></li>`).join('')}</ul>`
        : '<p class="muted">none yet</p>'
    }`,
  );
  return page('eksflow — fleet status', parts.join('\n'), deps.api.statusRefreshSeconds);
}
