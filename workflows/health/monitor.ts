import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { HealthEvaluation } from '../../activities/health';
import { blindDedupKey, checkDedupKey, type ResolvedCheck } from '../../src/domain/health/checks';
import {
  blindTransition,
  initialCheckState,
  transition,
  type BlindState,
  type CheckEvent,
  type CheckState,
} from '../../src/domain/health/state';
import { raiseAlert } from '../lib/alerts';
import { awsMutate, awsRead } from '../lib/presets';
import {
  checkNowUpdate,
  healthStatusQuery,
  pauseHealthUpdate,
  resumeHealthUpdate,
  type HealthActionRecord,
  type HealthStatus,
  type PauseHealthRequest,
  type ResumeHealthRequest,
} from './messages';

const read = proxyActivities<Activities>(awsRead);
const act = proxyActivities<Activities>(awsMutate);

const MAX_ACTIONS = 30;

/** Everything the monitor carries across continue-as-new (plain JSON). */
export interface HealthMonitorState {
  checks: Record<string, CheckState>;
  /** The check definitions seen at the last evaluation (for status and actions). */
  defs: Record<string, ResolvedCheck>;
  blind: BlindState;
  paused?: { by: string; reason: string; atMs: number };
  /** Jira issue per alert dedup key (idempotent per alert). */
  tickets: Record<string, string>;
  lastScaleUpMs?: number;
  lastEvaluation?: { atMs: number; durationMs: number; prometheusUrl?: string; configured: boolean };
  intervalSeconds: number;
  evaluations: number;
  seq: number;
  actions: HealthActionRecord[];
}

export interface HealthMonitorInput {
  clusterKey: string;
  state?: HealthMonitorState;
  /** Continue-as-new after this many history events; by default when the server suggests it. */
  maxHistoryEvents?: number;
}

/**
 * The long-lived health monitor of one cluster (`health/<account>/<region>/<cluster>`): every
 * interval it asks Prometheus for each check (one activity), moves each check through
 * ok → pending → firing → resolved, and on a change raises or resolves the check's alert (one
 * dedup key per cluster and check) and runs the severity's actions. A Prometheus that cannot be
 * asked is itself an alert ("health checks blind"), never a pass.
 */
export async function healthMonitor(input: HealthMonitorInput): Promise<void> {
  const key = input.clusterKey;
  const s: HealthMonitorState = input.state ?? {
    checks: {},
    defs: {},
    blind: { open: false, failedChecks: [] },
    tickets: {},
    intervalSeconds: 60,
    evaluations: 0,
    seq: 0,
    actions: [],
  };
  let version = 0;
  let checkRequests = 0;
  let checksDone = 0;

  const record = (a: Omit<HealthActionRecord, 'atMs'>) => {
    s.actions = [...s.actions, { ...a, atMs: Date.now() }].slice(-MAX_ACTIONS);
  };

  const status = (): HealthStatus => ({
    clusterKey: key,
    configured: s.lastEvaluation?.configured ?? false,
    ...(s.paused ? { paused: s.paused } : {}),
    intervalSeconds: s.intervalSeconds,
    ...(s.lastEvaluation?.prometheusUrl ? { prometheusUrl: s.lastEvaluation.prometheusUrl } : {}),
    evaluations: s.evaluations,
    ...(s.lastEvaluation
      ? { lastEvaluation: { atMs: s.lastEvaluation.atMs, durationMs: s.lastEvaluation.durationMs } }
      : {}),
    blind: s.blind,
    checks: Object.values(s.defs).map((d) => {
      const c = s.checks[d.name] ?? initialCheckState(0);
      const ticket = s.tickets[checkDedupKey(key, d.name)];
      return {
        name: d.name,
        severity: d.severity,
        state: c.status,
        sinceMs: c.sinceMs,
        operator: d.operator,
        threshold: d.threshold,
        for: d.for,
        ...(c.value !== undefined ? { value: c.value } : {}),
        ...(d.unit ? { unit: d.unit } : {}),
        ...(c.lastEvalMs !== undefined ? { lastEvalMs: c.lastEvalMs } : {}),
        ...(c.lastError ? { lastError: c.lastError } : {}),
        ...(c.status === 'nodata' && c.noDataReason ? { noDataReason: c.noDataReason } : {}),
        ...(ticket ? { ticket } : {}),
      };
    }),
    recentActions: s.actions,
  });

  setHandler(healthStatusQuery, status);
  setHandler(
    pauseHealthUpdate,
    (req: PauseHealthRequest) => {
      s.paused = { by: req.by ?? 'operator', reason: req.reason, atMs: Date.now() };
      record({ action: 'pause', summary: `paused by ${s.paused.by}: ${req.reason}` });
      version++;
      return status();
    },
    {
      validator: (req: PauseHealthRequest) => {
        if (!req || typeof req.reason !== 'string' || req.reason.trim().length === 0)
          throw new Error('pause needs a reason');
        if (req.reason.length > 500) throw new Error('reason: at most 500 characters');
      },
    },
  );
  setHandler(resumeHealthUpdate, (req: ResumeHealthRequest) => {
    if (s.paused) record({ action: 'resume', summary: `resumed by ${req?.by ?? 'operator'}` });
    delete s.paused;
    version++;
    return status();
  });
  setHandler(checkNowUpdate, async () => {
    const want = ++checkRequests;
    await condition(() => checksDone >= want);
    return status();
  });

  const shouldContinue = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.maxHistoryEvents !== undefined && workflowInfo().historyLength >= input.maxHistoryEvents);

  let nextAtMs = Date.now();
  for (;;) {
    const seen = version;
    const wait = nextAtMs - Date.now();
    const wake = () => version !== seen || checkRequests > checksDone || shouldContinue();
    if (wait > 0) await condition(wake, wait);

    const oneOff = checkRequests > checksDone;
    if (!s.paused || oneOff) {
      const due = Date.now() >= nextAtMs;
      if (!s.paused && (due || oneOff)) {
        await evaluateOnce(true);
        nextAtMs = Date.now() + s.intervalSeconds * 1000;
      } else if (oneOff) {
        await evaluateOnce(false);
      }
    } else {
      nextAtMs = Date.now() + s.intervalSeconds * 1000;
    }
    if (oneOff) checksDone = checkRequests;

    if (shouldContinue()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof healthMonitor>({
        clusterKey: key,
        state: s,
        maxHistoryEvents: input.maxHistoryEvents,
      });
    }
  }

  /** One evaluation. `actOn` false (paused, one-off check): values are refreshed, nothing else. */
  async function evaluateOnce(actOn: boolean): Promise<void> {
    let ev: HealthEvaluation;
    try {
      ev = await read.evaluateHealthChecks({ clusterKey: key });
    } catch (err) {
      // The evaluation itself failed (config gone, worker trouble): blind, like an unreachable Prometheus.
      const errors = Object.keys(s.defs).map((check) => ({ check, message: (err as Error).message }));
      if (actOn)
        await onBlind(
          blindTransition(
            s.blind,
            errors.length ? errors : [{ check: '*', message: (err as Error).message }],
            Date.now(),
          ),
        );
      return;
    }
    s.intervalSeconds = ev.intervalSeconds;
    s.lastEvaluation = {
      atMs: ev.atMs,
      durationMs: ev.durationMs,
      configured: ev.configured,
      ...(ev.prometheusUrl ? { prometheusUrl: ev.prometheusUrl } : {}),
    };
    if (actOn) s.evaluations++;
    s.defs = Object.fromEntries(ev.checks.map((c) => [c.name, c]));
    for (const name of Object.keys(s.checks)) if (!s.defs[name]) delete s.checks[name];
    if (!ev.configured) return;

    if (!actOn) {
      for (const c of ev.checks) {
        const o = ev.observations[c.name];
        const prev = s.checks[c.name] ?? initialCheckState(ev.atMs);
        s.checks[c.name] = {
          ...prev,
          lastEvalMs: ev.atMs,
          ...(o?.kind === 'value' ? { value: o.value } : {}),
          ...(o?.kind === 'error' ? { lastError: o.message } : {}),
        };
      }
      return;
    }

    const events: { check: ResolvedCheck; event: CheckEvent }[] = [];
    const errors: { check: string; message: string }[] = [];
    for (const c of ev.checks) {
      const obs = ev.observations[c.name] ?? { kind: 'error' as const, message: 'not evaluated' };
      if (obs.kind === 'error') errors.push({ check: c.name, message: obs.message });
      const r = transition(s.checks[c.name] ?? initialCheckState(ev.atMs), c, obs, ev.atMs);
      s.checks[c.name] = r.state;
      for (const e of r.events) events.push({ check: c, event: e });
    }
    await onBlind(blindTransition(s.blind, errors, ev.atMs), ev);
    for (const { check, event } of events) await onEvent(check, event);
    await publishMetrics(ev);
  }

  async function onBlind(r: ReturnType<typeof blindTransition>, ev?: HealthEvaluation): Promise<void> {
    s.blind = r.state;
    if (r.event === 'blind') {
      record({ action: 'blind', summary: `health checks blind: ${r.state.lastError ?? 'unknown error'}` });
      await raiseAlert({
        severity: 'warning',
        type: 'health_checks_blind',
        dedupKey: blindDedupKey(key),
        cluster: key,
        summary: `Health checks blind on ${key}: Prometheus could not answer ${r.state.failedChecks.length} check(s) (${(r.state.lastError ?? '').slice(0, 300)})`,
        details: {
          prometheus: ev?.prometheusUrl ?? s.lastEvaluation?.prometheusUrl ?? 'unknown',
          failedChecks: r.state.failedChecks.join(', '),
        },
      });
    } else if (r.event === 'sighted') {
      record({ action: 'sighted', summary: 'Prometheus answers again' });
      await act.resolveHealthAlert({ dedupKey: blindDedupKey(key), note: 'Prometheus answers again' });
    }
  }

  async function onEvent(check: ResolvedCheck, e: CheckEvent): Promise<void> {
    const dedupKey = checkDedupKey(key, check.name);
    const shown = (v?: number) =>
      v === undefined ? 'n/a' : `${Math.round(v * 1000) / 1000}${check.unit ? ` ${check.unit}` : ''}`;
    if (e.kind === 'fire') {
      const summary = `${check.name} on ${key}: ${shown(e.value)} ${check.operator} ${check.threshold} for ${check.for} evaluation(s)`;
      record({ check: check.name, action: 'fire', summary });
      if (check.actions.includes('alert')) {
        await raiseAlert({
          severity: check.severity,
          type: 'health_check',
          dedupKey,
          cluster: key,
          summary,
          details: {
            check: check.name,
            query: check.query.slice(0, 1900),
            value: e.value ?? 'n/a',
            threshold: check.threshold,
            operator: check.operator,
          },
        });
      }
      if (check.actions.includes('scale_up_nodes')) await scaleUp(check, summary);
      if (check.actions.includes('create_jira_ticket') && !s.tickets[dedupKey]) {
        try {
          const t = await act.createHealthTicket({
            dedupKey,
            clusterKey: key,
            summary: `[eksflow] ${summary}`,
            description: `${check.description ?? check.name}\n\nQuery: ${check.query}\n\nValue ${shown(e.value)} ${check.operator} ${check.threshold} (severity ${check.severity}).\n\nWorkflow: ${workflowInfo().workflowId}`,
          });
          if ('key' in t) {
            s.tickets[dedupKey] = t.key;
            record({ check: check.name, action: 'ticket', summary: `${t.key}${t.created ? ' created' : ' exists'}` });
          } else record({ check: check.name, action: 'ticket-skipped', summary: t.skipped });
        } catch (err) {
          record({ check: check.name, action: 'ticket-failed', summary: (err as Error).message.slice(0, 300) });
        }
      }
    } else if (e.kind === 'resolve') {
      record({ check: check.name, action: 'resolve', summary: `${check.name} healthy again (${shown(e.value)})` });
      delete s.tickets[dedupKey];
      if (check.actions.includes('alert'))
        await act.resolveHealthAlert({ dedupKey, note: `${check.name} healthy again: ${shown(e.value)}` });
    } else if (e.kind === 'nodata') {
      record({ check: check.name, action: 'nodata', summary: `${check.name}: no data (${e.reason})` });
      await raiseAlert({
        severity: 'warning',
        type: 'health_check_no_data',
        dedupKey: `${dedupKey}/nodata`,
        cluster: key,
        summary: `${check.name} on ${key} has no data (${e.reason}): the check cannot tell whether the cluster is healthy`,
        details: { check: check.name, query: check.query.slice(0, 1900) },
      });
    } else {
      record({ check: check.name, action: 'nodata-cleared', summary: `${check.name}: data again` });
      await act.resolveHealthAlert({ dedupKey: `${dedupKey}/nodata`, note: 'data again' });
    }
  }

  async function scaleUp(check: ResolvedCheck, reason: string): Promise<void> {
    try {
      const r = await act.requestHealthScaleUp({
        clusterKey: key,
        reason: `health check ${reason}`.slice(0, 480),
        requestId: `${workflowInfo().workflowId}-scale-${++s.seq}`,
      });
      if (r.applied) s.lastScaleUpMs = Date.now();
      record({ check: check.name, action: r.applied ? 'scale-up' : 'scale-up-skipped', summary: r.summary });
    } catch (err) {
      record({ check: check.name, action: 'scale-up-failed', summary: (err as Error).message.slice(0, 300) });
      log.warn('health scale-up failed', { cluster: key, check: check.name, error: (err as Error).message });
    }
  }

  async function publishMetrics(ev: HealthEvaluation): Promise<void> {
    const values = ev.checks
      .filter((c) => c.actions.includes('update_metrics'))
      .flatMap((c) => {
        const o = ev.observations[c.name];
        return o?.kind === 'value' ? [{ check: c.name, value: o.value, state: s.checks[c.name]?.status ?? 'ok' }] : [];
      });
    if (values.length === 0) return;
    try {
      await act.publishHealthMetrics({ clusterKey: key, atMs: ev.atMs, values });
    } catch (err) {
      record({ action: 'metrics-failed', summary: (err as Error).message.slice(0, 300) });
    }
  }
}
