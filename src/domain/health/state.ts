import { compare, type Observation, type ResolvedCheck } from './checks';

/**
 * Per-check state of a health monitor, plain JSON (it crosses continue-as-new):
 * ok → pending (condition holds, fewer than `for` evaluations) → firing → resolved (after
 * `resolveAfter` healthy evaluations) → pending … ; `nodata` when the query answers nothing.
 */
export type CheckStatus = 'ok' | 'pending' | 'firing' | 'resolved' | 'nodata';

export interface CheckState {
  status: CheckStatus;
  /** When the current status began (ms). */
  sinceMs: number;
  value?: number;
  /** Consecutive evaluations the condition held (pending/firing) or was healthy (while firing). */
  breaches: number;
  healthy: number;
  noData: number;
  /** The alert raised when the check fired is still open (kept through a no-data spell). */
  alertOpen: boolean;
  /** The no-data alert is open. */
  noDataAlertOpen: boolean;
  lastEvalMs?: number;
  lastError?: string;
  /** Last reason for no data. */
  noDataReason?: string;
}

export type CheckEvent =
  | { kind: 'fire'; check: string; value?: number }
  | { kind: 'resolve'; check: string; value?: number }
  | { kind: 'nodata'; check: string; reason: string }
  | { kind: 'nodata-cleared'; check: string };

export function initialCheckState(nowMs: number): CheckState {
  return { status: 'ok', sinceMs: nowMs, breaches: 0, healthy: 0, noData: 0, alertOpen: false, noDataAlertOpen: false };
}

/**
 * One evaluation of one check. A query error changes nothing (the monitor raises "health checks
 * blind" for the cluster instead): a check is never passed because it could not be asked.
 */
export function transition(
  prev: CheckState,
  check: Pick<ResolvedCheck, 'name' | 'operator' | 'threshold' | 'for' | 'resolveAfter' | 'noData'>,
  obs: Observation,
  nowMs: number,
): { state: CheckState; events: CheckEvent[] } {
  if (obs.kind === 'error') return { state: { ...prev, lastEvalMs: nowMs, lastError: obs.message }, events: [] };
  const events: CheckEvent[] = [];
  let s: CheckState = { ...prev, lastEvalMs: nowMs, lastError: undefined };
  const set = (status: CheckStatus) => {
    if (s.status !== status) s = { ...s, status, sinceMs: nowMs };
  };

  let verdict: 'breach' | 'healthy' | 'nodata' | 'keep';
  if (obs.kind === 'value') {
    s.value = obs.value;
    verdict = compare(obs.value, check.operator, check.threshold) ? 'breach' : 'healthy';
  } else {
    s.value = undefined;
    s.noDataReason = obs.reason;
    verdict =
      check.noData === 'ok'
        ? 'healthy'
        : check.noData === 'firing'
          ? 'breach'
          : check.noData === 'keep'
            ? 'keep'
            : 'nodata';
  }
  if (verdict === 'keep') return { state: s, events };

  if (verdict === 'nodata') {
    s.noData += 1;
    // Counting toward firing/resolving restarts after a gap; an open alert stays open.
    s.breaches = 0;
    s.healthy = 0;
    set('nodata');
    if (!s.noDataAlertOpen && s.noData >= check.for) {
      s.noDataAlertOpen = true;
      events.push({ kind: 'nodata', check: check.name, reason: obs.kind === 'nodata' ? obs.reason : 'no data' });
    }
    return { state: s, events };
  }

  if (s.noData > 0 || s.noDataAlertOpen) {
    if (s.noDataAlertOpen) events.push({ kind: 'nodata-cleared', check: check.name });
    s.noData = 0;
    s.noDataAlertOpen = false;
  }

  if (verdict === 'breach') {
    s.breaches += 1;
    s.healthy = 0;
    if (s.alertOpen || s.breaches >= check.for) {
      if (!s.alertOpen) {
        s.alertOpen = true;
        events.push({ kind: 'fire', check: check.name, ...(s.value !== undefined ? { value: s.value } : {}) });
      }
      set('firing');
    } else {
      set('pending');
    }
    return { state: s, events };
  }

  // healthy
  s.breaches = 0;
  if (s.alertOpen) {
    s.healthy += 1;
    if (s.healthy >= check.resolveAfter) {
      s.alertOpen = false;
      s.healthy = 0;
      events.push({ kind: 'resolve', check: check.name, ...(s.value !== undefined ? { value: s.value } : {}) });
      set('resolved');
    } else {
      // Still firing until it has been healthy long enough: a flapping check stays one incident.
      set('firing');
    }
  } else {
    s.healthy = 0;
    if (s.status === 'pending' || s.status === 'nodata') set('ok');
  }
  return { state: s, events };
}

/** Cluster-level: did this evaluation manage to ask Prometheus at all? */
export interface BlindState {
  open: boolean;
  sinceMs?: number;
  lastError?: string;
  failedChecks: string[];
}

export function blindTransition(
  prev: BlindState,
  errors: { check: string; message: string }[],
  nowMs: number,
): { state: BlindState; event?: 'blind' | 'sighted' } {
  if (errors.length > 0) {
    const state: BlindState = {
      open: true,
      sinceMs: prev.open ? prev.sinceMs : nowMs,
      lastError: errors[0].message,
      failedChecks: errors.map((e) => e.check),
    };
    return { state, ...(prev.open ? {} : { event: 'blind' as const }) };
  }
  return { state: { open: false, failedChecks: [] }, ...(prev.open ? { event: 'sighted' as const } : {}) };
}
