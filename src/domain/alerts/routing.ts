import type { NotificationsConfig, RouteRuleConfig } from '../../config/notifications';
import { isBusinessTime, parseHhmm } from './business-hours';
import type { AlertPlan, AlertRoute, BusinessHours, ChannelTarget, EscalationLevel, Severity } from './types';
import { SEVERITY_RANK } from './types';

const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];

function ruleMatches(rule: RouteRuleConfig, type: string, severity: Severity, business: boolean): boolean {
  if (rule.type !== undefined && rule.type !== type) return false;
  if (rule.severity !== undefined && rule.severity !== severity) return false;
  if (rule.when === 'business' && !business) return false;
  if (rule.when === 'off-hours' && business) return false;
  return true;
}

/**
 * The route for one (severity, type, business hours) combination: the severity's defaults,
 * overridden field by field by the first matching rule. Critical alerts always go out at
 * once, whatever a rule says about off hours.
 */
export function resolveRoute(n: NotificationsConfig, type: string, severity: Severity, business: boolean): AlertRoute {
  const base = n.routes[severity];
  const rule = n.rules.find((r) => ruleMatches(r, type, severity, business));
  const route: AlertRoute = {
    channels: rule?.channels ?? base.channels,
    escalateAfterSeconds: rule?.escalateAfterSeconds ?? base.escalateAfterSeconds,
    rounds: rule?.rounds ?? base.rounds,
    offHours: rule?.offHours ?? base.offHours,
  };
  if (severity === 'critical') route.offHours = 'immediate';
  return route;
}

/** Each level's targets: the level's own settings over the default channels. */
export function resolveLevels(
  n: NotificationsConfig,
  fallbackAws: { accountId: string; region: string },
): EscalationLevel[] {
  const sns = n.channels.sns;
  const aws = {
    accountId: sns?.accountId ?? fallbackAws.accountId,
    region: sns?.region ?? fallbackAws.region,
    roleArn: sns?.roleArn,
  };
  return n.escalationLevels.map((level) => {
    const slack = level.slack ?? n.channels.slack;
    const pd = level.pagerduty ?? n.channels.pagerduty;
    const targets: ChannelTarget[] = [
      { kind: 'slack', webhookUrlEnv: slack?.webhookUrlEnv, secretId: slack?.secretId },
      {
        kind: 'pagerduty',
        routingKeyEnv: pd?.routingKeyEnv,
        secretId: pd?.secretId,
        eventsUrl: pd?.eventsUrl ?? 'https://events.pagerduty.com/v2/enqueue',
      },
      { kind: 'sms', numbers: level.smsNumbers ?? sns?.smsNumbers ?? [], aws },
      { kind: 'email', topicArn: level.emailTopicArn ?? sns?.emailTopicArn, aws },
    ];
    return { name: level.name, targets };
  });
}

export function resolveBusinessHours(n: NotificationsConfig, timetableHolidays: string[]): BusinessHours {
  const bh = n.businessHours;
  return {
    days: [...bh.days],
    startMinute: parseHhmm(bh.start),
    endMinute: parseHhmm(bh.end),
    holidays: bh.holidays ?? [...timetableHolidays],
  };
}

/** Builds the secret-free plan the escalation workflow follows for alerts of one type. */
export function buildAlertPlan(opts: {
  notifications: NotificationsConfig;
  timetableHolidays: string[];
  type: string;
  uiBaseUrl: string;
  namespace: string;
  fallbackAws: { accountId: string; region: string };
}): AlertPlan {
  const n = opts.notifications;
  const routes = {} as AlertPlan['routes'];
  for (const s of SEVERITIES) {
    routes[s] = { business: resolveRoute(n, opts.type, s, true), offHours: resolveRoute(n, opts.type, s, false) };
  }
  return {
    routes,
    levels: resolveLevels(n, opts.fallbackAws),
    businessHours: resolveBusinessHours(n, opts.timetableHolidays),
    ui: { baseUrl: (n.temporalUiUrl ?? opts.uiBaseUrl).replace(/\/+$/, ''), namespace: opts.namespace },
    autoCloseSeconds: n.autoCloseHours * 3600,
  };
}

/** The route in force at `nowMs` for a severity. */
export function routeAt(plan: AlertPlan, severity: Severity, nowMs: number): { route: AlertRoute; business: boolean } {
  const business = isBusinessTime(nowMs, plan.businessHours);
  return { route: business ? plan.routes[severity].business : plan.routes[severity].offHours, business };
}

/** Should this alert wait for the digest instead of going out now? */
export function shouldDefer(plan: AlertPlan, severity: Severity, nowMs: number): boolean {
  const { route, business } = routeAt(plan, severity, nowMs);
  return !business && severity !== 'critical' && route.offHours === 'digest';
}

/** Level for the n-th notification (0 = first): each escalation climbs one rung, then stays on top. */
export function levelIndexFor(notificationIndex: number, levelCount: number): number {
  return Math.min(notificationIndex, levelCount - 1);
}

/** The targets of a level restricted to the route's channels, in the route's order. */
export function targetsFor(level: EscalationLevel, channels: AlertRoute['channels']): ChannelTarget[] {
  return channels
    .map((c) => level.targets.find((t) => t.kind === c))
    .filter((t): t is ChannelTarget => t !== undefined);
}

export function higherSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a;
}

/** Link to a workflow run in the Temporal UI. */
export function temporalUiLink(ui: AlertPlan['ui'], workflowId: string, runId?: string): string {
  const base = `${ui.baseUrl}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}
