import {
  ActivityFailure, allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal,
  log, proxyActivities, setHandler, sleep, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AlertWorkflowInput, DeliveryRequest, DigestItem } from '../activities/alerts';
import { istLabel, nextBusinessStart } from '../src/domain/alerts/business-hours';
import type { AlertMessage, DigestLine } from '../src/domain/alerts/payloads';
import { higherSeverity, levelIndexFor, routeAt, shouldDefer, targetsFor, temporalUiLink } from '../src/domain/alerts/routing';
import { ackSchema, resolveSchema, type AckInput, type ResolveInput } from '../src/domain/alerts/schema';
import type {
  AlertInput, AlertRoute, AlertState, ChannelKind, ChannelTarget, DeliveryAction, DeliveryResult, EscalationLevel,
} from '../src/domain/alerts/types';
import { pagerdutyDelivery, slackDelivery, snsDelivery } from './lib/presets';
import { awsRead, notify } from './lib/presets';

// Names match the constants in activities/alerts.ts (the CLI and ingress use those).
export const alertRaisedSignal = defineSignal<[AlertInput]>('alertRaised');
export const acknowledgeSignal = defineSignal<[AckInput]>('acknowledge');
export const resolveSignal = defineSignal<[ResolveInput]>('resolve');
export const alertStatusQuery = defineQuery<AlertState>('alertStatus');
export const digestItemSignal = defineSignal<[DigestItem]>('digestItem');
export const digestStatusQuery = defineQuery<{ deliverAtMs: number; items: DigestItem[]; sent: number }>('digestStatus');

const slack = proxyActivities<Activities>(slackDelivery);
const pagerduty = proxyActivities<Activities>(pagerdutyDelivery);
const sns = proxyActivities<Activities>(snsDelivery);
const notifier = proxyActivities<Activities>(notify);
const reader = proxyActivities<Activities>(awsRead);

/** Pages (PagerDuty, SMS) are never digested: at the digest time they go out directly. */
const DIGEST_CHANNELS: ChannelKind[] = ['slack', 'email'];

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** One channel's send; a failure becomes a `failed` result so other channels are unaffected. */
async function deliverOne(req: DeliveryRequest): Promise<DeliveryResult> {
  const channel = req.target.kind;
  try {
    switch (channel) {
      case 'slack': return await slack.deliverSlack(req);
      case 'pagerduty': return await pagerduty.deliverPagerDuty(req);
      case 'sms': return await sns.deliverSms(req);
      case 'email': return await sns.deliverEmail(req);
    }
  } catch (err) {
    return { channel, status: 'failed', error: failureMessage(err) };
  }
}

/**
 * The life of one alert, `alert/<dedup-key>`: notify level 1, wait for an acknowledgement up to
 * the route's escalation time, climb to the next level, up to the configured rounds; outside
 * business hours non-critical alerts wait for the digest. Duplicates merge (count, last seen)
 * without paging anyone again. Resolve closes it everywhere. Every wait is a durable timer, so
 * a page nobody acknowledges climbs the ladder even across worker restarts.
 */
export async function alertEscalation(input: AlertWorkflowInput): Promise<AlertState> {
  const info = workflowInfo();
  const { plan } = input;
  const state: AlertState = input.state ?? {
    dedupKey: input.alert.dedupKey,
    workflowId: info.workflowId,
    openedRunId: info.runId,
    alert: input.alert,
    status: 'open',
    count: 0,
    firstSeenMs: Date.now(),
    lastSeenMs: Date.now(),
    rounds: 0,
    paged: [],
    notifications: [],
    followUps: [],
    seq: 0,
  };
  const runUrl = temporalUiLink(plan.ui, info.workflowId);
  let repage = false;

  setHandler(alertRaisedSignal, (alert) => {
    state.count += 1;
    state.lastSeenMs = Date.now();
    const severity = higherSeverity(state.alert.severity, alert.severity);
    // A duplicate pages nobody, unless it raises the severity of an unacknowledged alert.
    if (severity !== state.alert.severity) {
      state.alert = { ...state.alert, severity };
      if (state.status === 'open' || state.status === 'deferred') repage = true;
    }
  });
  setHandler(acknowledgeSignal, (raw) => {
    const parsed = ackSchema.safeParse(raw ?? {});
    if (!parsed.success) return log.warn('ignored malformed acknowledge', { workflowId: info.workflowId });
    if (state.status !== 'open' && state.status !== 'deferred') return;
    state.status = 'acknowledged';
    state.acknowledged = { by: parsed.data.by, via: parsed.data.via, atMs: Date.now() };
  });
  setHandler(resolveSignal, (raw) => {
    const parsed = resolveSchema.safeParse(raw ?? {});
    if (!parsed.success) return log.warn('ignored malformed resolve', { workflowId: info.workflowId });
    if (state.status === 'resolved' || state.status === 'expired') return;
    state.status = 'resolved';
    state.resolved = { by: parsed.data.by, via: parsed.data.via, atMs: Date.now(), note: parsed.data.note };
  });
  setHandler(alertStatusQuery, () => state);

  const handled = () => state.status === 'acknowledged' || state.status === 'resolved';
  const closed = () => state.status === 'resolved';
  const historyTooLong = () =>
    workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && workflowInfo().historyLength > input.historyLimit);

  const message = (action: DeliveryAction, level: EscalationLevel, round: number, by?: string): AlertMessage => ({
    alert: state.alert, dedupKey: state.dedupKey, action, level: level.name, round, count: state.count, runUrl, by,
  });
  const deliveryKey = (target: ChannelTarget) => `${state.workflowId}@${state.openedRunId}#${state.seq}:${target.kind}`;

  async function send(action: DeliveryAction, level: EscalationLevel, round: number, targets: ChannelTarget[], by?: string) {
    const results = await Promise.all(targets.map((target) => deliverOne({ message: message(action, level, round, by), target, deliveryKey: deliveryKey(target) })));
    state.seq += 1;
    state.notifications.push({ action, level: level.name, round, atMs: Date.now(), results });
    return results;
  }

  /** Notification round n+1: level 1 first, each later round one rung higher, capped at the top. */
  async function notifyRound(route: AlertRoute, channels: ChannelKind[] = route.channels) {
    const level = plan.levels[levelIndexFor(state.rounds, plan.levels.length)];
    const round = state.rounds + 1;
    const targets = targetsFor(level, channels);
    state.rounds = round;
    state.nextEscalationAtMs = Date.now() + route.escalateAfterSeconds * 1000;
    if (targets.length > 0) state.paged.push({ level: level.name, channels: targets.map((t) => t.kind) });
    if (targets.length > 0) await send(round === 1 ? 'trigger' : 'escalate', level, round, targets);
  }

  /** After ack/resolve: tell PagerDuty (unless it told us) and post a Slack follow-up. */
  async function followUp(action: 'acknowledge' | 'resolve') {
    const who = action === 'acknowledge' ? state.acknowledged : state.resolved;
    const kinds: ChannelKind[] = who?.via === 'pagerduty' ? ['slack'] : ['pagerduty', 'slack'];
    for (const name of new Set(state.paged.map((p) => p.level))) {
      const level = plan.levels.find((l) => l.name === name);
      if (!level) continue;
      const pagedKinds = new Set(state.paged.filter((p) => p.level === name).flatMap((p) => p.channels));
      const targets = targetsFor(level, kinds.filter((k) => pagedKinds.has(k)));
      if (targets.length > 0) await send(action, level, state.rounds, targets, who?.by);
    }
  }

  async function deferToDigest(route: AlertRoute) {
    const deliverAtMs = nextBusinessStart(Date.now(), plan.businessHours);
    state.status = 'deferred';
    state.deferredUntilMs = deliverAtMs;
    const level = plan.levels[0];
    const digestTargets = targetsFor(level, route.channels.filter((c) => DIGEST_CHANNELS.includes(c)));
    if (digestTargets.length > 0) {
      await notifier.addToDigest({
        deliverAtMs,
        item: {
          alertWorkflowId: state.workflowId, severity: state.alert.severity, type: state.alert.type, summary: state.alert.summary,
          cluster: state.alert.cluster, count: state.count, runUrl, targets: digestTargets,
        },
      });
    }
    await condition(() => handled() || repage, deliverAtMs - Date.now());
    if (state.status === 'deferred') state.status = 'open';
    if (handled() || repage) return;
    // The digest covered Slack/email for round 1; pages (if the route has any) go out now.
    state.notifications.push({ action: 'digest', level: level.name, round: 1, atMs: Date.now(), results: [] });
    await notifyRound(route, route.channels.filter((c) => !DIGEST_CHANNELS.includes(c)));
  }

  // Let the raise signal delivered with the start be applied before deciding anything.
  if (state.count === 0) await condition(() => state.count > 0 || handled(), 1000);
  if (state.count === 0) state.count = 1;
  const followedUp = (action: 'acknowledge' | 'resolve') => state.followUps.includes(action);
  async function followUpOnce(action: 'acknowledge' | 'resolve') {
    state.followUps.push(action);
    await followUp(action);
  }

  if (state.rounds === 0 && !handled() && shouldDefer(plan, state.alert.severity, Date.now())) {
    await deferToDigest(routeAt(plan, state.alert.severity, Date.now()).route);
  }

  const deadlineMs = state.firstSeenMs + plan.autoCloseSeconds * 1000;
  while (!closed()) {
    if (state.status === 'acknowledged' && !followedUp('acknowledge')) {
      await followUpOnce('acknowledge');
      continue;
    }
    if (historyTooLong()) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof alertEscalation>({ ...input, alert: state.alert, state });
    }
    const { route } = routeAt(plan, state.alert.severity, Date.now());
    const ladderOpen = state.status === 'open' && state.rounds <= route.rounds;
    // A severity upgrade after the ladder is exhausted has nothing left to climb.
    if (repage && !ladderOpen) repage = false;
    const due = state.rounds === 0 || repage || (state.nextEscalationAtMs !== undefined && Date.now() >= state.nextEscalationAtMs);
    if (ladderOpen && due) {
      repage = false;
      await notifyRound(route);
      continue;
    }
    const wakeAt = ladderOpen && state.nextEscalationAtMs !== undefined ? Math.min(state.nextEscalationAtMs, deadlineMs) : deadlineMs;
    const remaining = wakeAt - Date.now();
    if (remaining <= 0 && wakeAt === deadlineMs) {
      state.status = 'expired';
      break;
    }
    await condition(() => closed() || repage || (state.status === 'acknowledged' && !followedUp('acknowledge')) || historyTooLong(), Math.max(remaining, 1));
  }
  if (closed() && !followedUp('resolve')) await followUpOnce('resolve');
  await condition(allHandlersFinished);
  return state;
}

export interface DigestInput {
  deliverAtMs: number;
  items?: DigestItem[];
}

/**
 * One digest slot (`alert-digest/<IST start of business>`): off-hours info/warning alerts
 * collect here and go out together, one message per channel target, when business hours start.
 * Alerts resolved meanwhile are left out; counts are refreshed from the alert workflows.
 */
export async function alertDigest(input: DigestInput): Promise<{ deliveredAtMs: number; items: number; results: DeliveryResult[] }> {
  const items: DigestItem[] = [...(input.items ?? [])];
  let sent = 0;
  setHandler(digestItemSignal, (item) => {
    if (!items.some((i) => i.alertWorkflowId === item.alertWorkflowId)) items.push(item);
  });
  setHandler(digestStatusQuery, () => ({ deliverAtMs: input.deliverAtMs, items, sent }));

  const waitMs = input.deliverAtMs - Date.now();
  if (waitMs > 0) await sleep(waitMs);
  const deliveredAtMs = Date.now();
  const results: DeliveryResult[] = [];
  let batch = 0;
  let included = 0;
  // Items that arrive while a batch is being sent go out in one more batch.
  while (sent < items.length) {
    const pending = items.slice(sent);
    sent = items.length;
    const statuses = await reader.alertStatuses(pending.map((i) => i.alertWorkflowId));
    const live = pending
      .filter((i) => statuses[i.alertWorkflowId]?.status !== 'resolved')
      .map((i) => ({ ...i, count: statuses[i.alertWorkflowId]?.count ?? i.count }));
    included += live.length;
    const groups: Record<string, { target: ChannelTarget; lines: DigestLine[] }> = {};
    for (const item of live) {
      for (const target of item.targets) {
        const key = JSON.stringify(target);
        (groups[key] ??= { target, lines: [] }).lines.push({
          severity: item.severity, type: item.type, summary: item.summary, cluster: item.cluster, count: item.count, runUrl: item.runUrl,
        });
      }
    }
    const label = istLabel(input.deliverAtMs);
    const sends = Object.values(groups).map(async (g, i) => {
      try {
        return await notifier.deliverDigest({ target: g.target, items: g.lines, label, deliveryKey: `${workflowInfo().workflowId}#${batch}:${i}` });
      } catch (err) {
        return { channel: g.target.kind, status: 'failed', error: failureMessage(err) } satisfies DeliveryResult;
      }
    });
    results.push(...(await Promise.all(sends)));
    batch += 1;
  }
  await condition(allHandlersFinished);
  if (results.some((r) => r.status === 'failed')) log.warn('digest delivery failed on some channels', { results });
  return { deliveredAtMs, items: included, results };
}

