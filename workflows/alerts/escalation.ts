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
import type { DeliveryRequest } from '../../activities/alerts';
import { nextBusinessStart } from '../../src/domain/alerts/business-hours';
import type { AlertMessage } from '../../src/domain/alerts/payloads';
import {
  higherSeverity,
  levelIndexFor,
  routeAt,
  shouldDefer,
  targetsFor,
  temporalUiLink,
} from '../../src/domain/alerts/routing';
import { ackSchema, resolveSchema } from '../../src/domain/alerts/schema';
import type {
  AlertInput,
  AlertRoute,
  AlertState,
  ChannelKind,
  ChannelTarget,
  DeliveryAction,
  DeliveryResult,
  EscalationLevel,
} from '../../src/domain/alerts/types';
import { failureMessage } from '../lib/failures';
import { notify, slackDelivery, snsDelivery } from '../lib/presets';
import { pagerdutyFor } from '../lib/targets';
import {
  acknowledgeSignal,
  alertRaisedSignal,
  alertStatusQuery,
  resolveSignal,
  type AlertWorkflowInput,
} from './messages';

const slack = proxyActivities<Activities>(slackDelivery);
const sns = proxyActivities<Activities>(snsDelivery);
const notifier = proxyActivities<Activities>(notify);

/** Pages (PagerDuty, SMS) are never digested: at the digest time they go out directly. */
const DIGEST_CHANNELS: ChannelKind[] = ['slack', 'email'];

type FollowUp = 'acknowledge' | 'resolve';

/** What the ladder does next, decided from the state alone (see `AlertEscalation.nextStep`). */
type Step =
  | { kind: 'follow-up-ack' }
  | { kind: 'continue-as-new' }
  | { kind: 'notify'; route: AlertRoute }
  | { kind: 'expire' }
  | { kind: 'wait'; ms: number };

/** One channel's send; a failure becomes a `failed` result so other channels are unaffected. */
async function deliverOne(req: DeliveryRequest): Promise<DeliveryResult> {
  const { target } = req;
  const channel = target.kind;
  try {
    switch (target.kind) {
      case 'slack':
        return await slack.deliverSlack(req);
      case 'pagerduty':
        // Its routing key's own queue: the server keeps PagerDuty's rate for all workers together.
        return await pagerdutyFor(target).deliverPagerDuty(req);
      case 'sms':
        return await sns.deliverSms(req);
      case 'email':
        return await sns.deliverEmail(req);
    }
  } catch (err) {
    return { channel, status: 'failed', error: failureMessage(err) };
  }
}

/**
 * The state of one alert and one method per phase of its life: first raise, off-hours deferral,
 * the escalation ladder, follow-ups. Signal handlers only change the state; every send and every
 * wait happens in the phase methods, run one at a time by `alertEscalation`.
 */
class AlertEscalation {
  readonly state: AlertState;
  /** A duplicate raised the severity of an unacknowledged alert: notify again now. */
  private repage = false;
  private readonly runUrl: string;
  private readonly plan: AlertWorkflowInput['plan'];

  constructor(private readonly input: AlertWorkflowInput) {
    const info = workflowInfo();
    this.plan = input.plan;
    this.state = input.state ?? {
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
    this.runUrl = temporalUiLink(this.plan.ui, info.workflowId);
  }

  registerHandlers(): void {
    setHandler(alertRaisedSignal, (alert) => this.onRaised(alert));
    setHandler(acknowledgeSignal, (raw) => this.onAcknowledge(raw));
    setHandler(resolveSignal, (raw) => this.onResolve(raw));
    setHandler(alertStatusQuery, () => this.state);
  }

  private onRaised(alert: AlertInput): void {
    const { state } = this;
    state.count += 1;
    state.lastSeenMs = Date.now();
    const severity = higherSeverity(state.alert.severity, alert.severity);
    // A duplicate pages nobody, unless it raises the severity of an unacknowledged alert.
    if (severity !== state.alert.severity) {
      state.alert = { ...state.alert, severity };
      if (state.status === 'open' || state.status === 'deferred') this.repage = true;
    }
  }

  private onAcknowledge(raw: unknown): void {
    const parsed = ackSchema.safeParse(raw ?? {});
    if (!parsed.success) return log.warn('ignored malformed acknowledge', { workflowId: this.state.workflowId });
    if (this.state.status !== 'open' && this.state.status !== 'deferred') return;
    this.state.status = 'acknowledged';
    this.state.acknowledged = { by: parsed.data.by, via: parsed.data.via, atMs: Date.now() };
  }

  private onResolve(raw: unknown): void {
    const parsed = resolveSchema.safeParse(raw ?? {});
    if (!parsed.success) return log.warn('ignored malformed resolve', { workflowId: this.state.workflowId });
    if (this.state.status === 'resolved' || this.state.status === 'expired') return;
    this.state.status = 'resolved';
    this.state.resolved = { by: parsed.data.by, via: parsed.data.via, atMs: Date.now(), note: parsed.data.note };
  }

  get handled(): boolean {
    return this.state.status === 'acknowledged' || this.state.status === 'resolved';
  }

  get closed(): boolean {
    return this.state.status === 'resolved';
  }

  private get historyTooLong(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      (this.input.historyLimit !== undefined && info.historyLength > this.input.historyLimit)
    );
  }

  private followedUp(action: FollowUp): boolean {
    return this.state.followUps.includes(action);
  }

  private get ackFollowUpDue(): boolean {
    return this.state.status === 'acknowledged' && !this.followedUp('acknowledge');
  }

  /** Lets the raise signal delivered with the start be applied before deciding anything. */
  async awaitFirstRaise(): Promise<void> {
    if (this.state.count === 0) await condition(() => this.state.count > 0 || this.handled, 1000);
    if (this.state.count === 0) this.state.count = 1;
  }

  /** Outside business hours, a non-critical alert waits for the digest (first run only). */
  async deferIfOffHours(): Promise<void> {
    if (this.state.rounds === 0 && !this.handled && shouldDefer(this.plan, this.state.alert.severity, Date.now())) {
      await this.deferToDigest(routeAt(this.plan, this.state.alert.severity, Date.now()).route);
    }
  }

  /** The escalation ladder, until resolved, expired or the history is long enough to continue as new. */
  async climbLadder(): Promise<'done' | 'continue-as-new'> {
    while (!this.closed) {
      const step = this.nextStep();
      switch (step.kind) {
        case 'follow-up-ack':
          await this.followUpOnce('acknowledge');
          break;
        case 'continue-as-new':
          return 'continue-as-new';
        case 'notify':
          this.repage = false;
          await this.notifyRound(step.route);
          break;
        case 'expire':
          this.state.status = 'expired';
          return 'done';
        case 'wait':
          await condition(() => this.closed || this.repage || this.ackFollowUpDue || this.historyTooLong, step.ms);
          break;
      }
    }
    return 'done';
  }

  /** After the ladder: a resolved alert is closed on every channel that was paged. */
  async closeOut(): Promise<void> {
    if (this.closed && !this.followedUp('resolve')) await this.followUpOnce('resolve');
  }

  private nextStep(): Step {
    const { state, plan } = this;
    if (this.ackFollowUpDue) return { kind: 'follow-up-ack' };
    if (this.historyTooLong) return { kind: 'continue-as-new' };
    const { route } = routeAt(plan, state.alert.severity, Date.now());
    const ladderOpen = state.status === 'open' && state.rounds <= route.rounds;
    // A severity upgrade after the ladder is exhausted has nothing left to climb.
    if (this.repage && !ladderOpen) this.repage = false;
    const due =
      state.rounds === 0 ||
      this.repage ||
      (state.nextEscalationAtMs !== undefined && Date.now() >= state.nextEscalationAtMs);
    if (ladderOpen && due) return { kind: 'notify', route };
    const deadlineMs = state.firstSeenMs + plan.autoCloseSeconds * 1000;
    const wakeAt =
      ladderOpen && state.nextEscalationAtMs !== undefined
        ? Math.min(state.nextEscalationAtMs, deadlineMs)
        : deadlineMs;
    const remaining = wakeAt - Date.now();
    if (remaining <= 0 && wakeAt === deadlineMs) return { kind: 'expire' };
    return { kind: 'wait', ms: Math.max(remaining, 1) };
  }

  private message(action: DeliveryAction, level: EscalationLevel, round: number, by?: string): AlertMessage {
    const { state } = this;
    return {
      alert: state.alert,
      dedupKey: state.dedupKey,
      action,
      level: level.name,
      round,
      count: state.count,
      runUrl: this.runUrl,
      by,
    };
  }

  private deliveryKey(target: ChannelTarget): string {
    return `${this.state.workflowId}@${this.state.openedRunId}#${this.state.seq}:${target.kind}`;
  }

  private async send(
    action: DeliveryAction,
    level: EscalationLevel,
    round: number,
    targets: ChannelTarget[],
    by?: string,
  ): Promise<DeliveryResult[]> {
    const results = await Promise.all(
      targets.map((target) =>
        deliverOne({ message: this.message(action, level, round, by), target, deliveryKey: this.deliveryKey(target) }),
      ),
    );
    this.state.seq += 1;
    this.state.notifications.push({ action, level: level.name, round, atMs: Date.now(), results });
    return results;
  }

  /** Notification round n+1: level 1 first, each later round one rung higher, capped at the top. */
  private async notifyRound(route: AlertRoute, channels: ChannelKind[] = route.channels): Promise<void> {
    const { state, plan } = this;
    const level = plan.levels[levelIndexFor(state.rounds, plan.levels.length)];
    const round = state.rounds + 1;
    const targets = targetsFor(level, channels);
    state.rounds = round;
    state.nextEscalationAtMs = Date.now() + route.escalateAfterSeconds * 1000;
    if (targets.length > 0) state.paged.push({ level: level.name, channels: targets.map((t) => t.kind) });
    if (targets.length > 0) await this.send(round === 1 ? 'trigger' : 'escalate', level, round, targets);
  }

  private async followUpOnce(action: FollowUp): Promise<void> {
    this.state.followUps.push(action);
    await this.followUp(action);
  }

  /** After ack/resolve: tell PagerDuty (unless it told us) and post a Slack follow-up. */
  private async followUp(action: FollowUp): Promise<void> {
    const { state, plan } = this;
    const who = action === 'acknowledge' ? state.acknowledged : state.resolved;
    const kinds: ChannelKind[] = who?.via === 'pagerduty' ? ['slack'] : ['pagerduty', 'slack'];
    for (const name of new Set(state.paged.map((p) => p.level))) {
      const level = plan.levels.find((l) => l.name === name);
      if (!level) continue;
      const pagedKinds = new Set(state.paged.filter((p) => p.level === name).flatMap((p) => p.channels));
      const targets = targetsFor(
        level,
        kinds.filter((k) => pagedKinds.has(k)),
      );
      if (targets.length > 0) await this.send(action, level, state.rounds, targets, who?.by);
    }
  }

  private async deferToDigest(route: AlertRoute): Promise<void> {
    const { state, plan } = this;
    const deliverAtMs = nextBusinessStart(Date.now(), plan.businessHours);
    state.status = 'deferred';
    state.deferredUntilMs = deliverAtMs;
    const level = plan.levels[0];
    const digestTargets = targetsFor(
      level,
      route.channels.filter((c) => DIGEST_CHANNELS.includes(c)),
    );
    if (digestTargets.length > 0) {
      await notifier.addToDigest({
        deliverAtMs,
        item: {
          alertWorkflowId: state.workflowId,
          severity: state.alert.severity,
          type: state.alert.type,
          summary: state.alert.summary,
          cluster: state.alert.cluster,
          count: state.count,
          runUrl: this.runUrl,
          targets: digestTargets,
        },
      });
    }
    await condition(() => this.handled || this.repage, deliverAtMs - Date.now());
    if (state.status === 'deferred') state.status = 'open';
    if (this.handled || this.repage) return;
    // The digest covered Slack/email for round 1; pages (if the route has any) go out now.
    state.notifications.push({ action: 'digest', level: level.name, round: 1, atMs: Date.now(), results: [] });
    await this.notifyRound(
      route,
      route.channels.filter((c) => !DIGEST_CHANNELS.includes(c)),
    );
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
  const alert = new AlertEscalation(input);
  alert.registerHandlers();
  await alert.awaitFirstRaise();
  await alert.deferIfOffHours();
  if ((await alert.climbLadder()) === 'continue-as-new') {
    await condition(allHandlersFinished);
    return continueAsNew<typeof alertEscalation>({ ...input, alert: alert.state.alert, state: alert.state });
  }
  await alert.closeOut();
  await condition(allHandlersFinished);
  return alert.state;
}
