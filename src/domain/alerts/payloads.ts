import type { AlertInput, DeliveryAction, Severity } from './types';

/**
 * Message builders for each channel. Pure functions: the delivery activities add the secret
 * (webhook URL, routing key) only at the moment of sending, and tests check the output against
 * schemas of the documented formats (see src/sandbox/receivers.ts).
 */

/** What every message needs to know about an alert at the time it is sent. */
export interface AlertMessage {
  alert: AlertInput;
  dedupKey: string;
  action: DeliveryAction;
  /** Name of the escalation level being notified. */
  level: string;
  /** 1-based notification round (1 = first notification). */
  round: number;
  /** Occurrences merged into this alert so far. */
  count: number;
  /** Temporal UI link to the alert's run. */
  runUrl: string;
  /** Who acknowledged/resolved it, for follow-ups. */
  by?: string;
  /** Optional one-click ack URL (token included), shown in Slack. */
  ackUrl?: string;
}

const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
};

const truncate = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
/** Slack mrkdwn control characters must be escaped in user-supplied text. */
const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function headline(m: AlertMessage): string {
  const sev = m.alert.severity.toUpperCase();
  switch (m.action) {
    case 'trigger':
      return `[${sev}] ${m.alert.summary}`;
    case 'escalate':
      return `[${sev}] Escalated to ${m.level} (round ${m.round}): ${m.alert.summary}`;
    case 'acknowledge':
      return `[ACKNOWLEDGED] ${m.alert.summary}`;
    case 'resolve':
      return `[RESOLVED] ${m.alert.summary}`;
  }
}

/** Slack incoming-webhook body with Block Kit blocks (header, fields, context, link buttons). */
export function slackMessage(m: AlertMessage): { text: string; blocks: Record<string, unknown>[] } {
  const text = truncate(headline(m), 3000);
  const fields = [
    { type: 'mrkdwn', text: `*Severity*\n${SEVERITY_EMOJI[m.alert.severity]} ${m.alert.severity}` },
    { type: 'mrkdwn', text: `*Cluster*\n${escapeMrkdwn(m.alert.cluster ?? 'n/a')}` },
    { type: 'mrkdwn', text: `*Type*\n${escapeMrkdwn(m.alert.type)}` },
    { type: 'mrkdwn', text: `*Level*\n${escapeMrkdwn(m.level)} (round ${m.round})` },
  ];
  if (m.count > 1) fields.push({ type: 'mrkdwn', text: `*Occurrences*\n${m.count}` });
  if (m.by) fields.push({ type: 'mrkdwn', text: `*By*\n${escapeMrkdwn(m.by)}` });
  const buttons: Record<string, unknown>[] = [
    {
      type: 'button',
      text: { type: 'plain_text', text: 'Open in Temporal UI' },
      url: truncate(m.runUrl, 3000),
      action_id: 'open_run',
    },
  ];
  if (m.ackUrl && (m.action === 'trigger' || m.action === 'escalate')) {
    buttons.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Acknowledge' },
      url: truncate(m.ackUrl, 3000),
      action_id: 'ack',
      style: 'primary',
    });
  }
  for (const [i, l] of (m.alert.links ?? []).slice(0, 3).entries()) {
    buttons.push({
      type: 'button',
      text: { type: 'plain_text', text: truncate(l.label, 75) },
      url: truncate(l.url, 3000),
      action_id: `link_${i}`,
    });
  }
  const details = Object.entries(m.alert.details ?? {})
    .slice(0, 10)
    .map(([k, v]) => `• *${escapeMrkdwn(k)}*: ${escapeMrkdwn(String(v))}`)
    .join('\n');
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(headline(m), 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(escapeMrkdwn(m.alert.summary), 3000) }, fields },
  ];
  if (details) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(details, 3000) } });
  blocks.push({ type: 'actions', elements: buttons });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: truncate(`dedup key \`${escapeMrkdwn(m.dedupKey)}\``, 3000) }],
  });
  return { text, blocks };
}

/** Slack digest: one message listing every alert collected outside business hours. */
export function slackDigestMessage(
  items: DigestLine[],
  label: string,
): { text: string; blocks: Record<string, unknown>[] } {
  const text = `eksflow digest for ${label}: ${items.length} alert(s) since the end of business hours`;
  const lines = items.slice(0, 45).map((i) => ({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: truncate(
        `${SEVERITY_EMOJI[i.severity]} *${escapeMrkdwn(i.summary)}*\n${escapeMrkdwn(i.cluster ?? 'n/a')} · ${escapeMrkdwn(i.type)} · ×${i.count} · <${i.runUrl}|run>`,
        3000,
      ),
    },
  }));
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`Alert digest · ${label}`, 150) } },
    ...lines,
  ];
  if (items.length > 45)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${items.length - 45} more` }] });
  return { text, blocks };
}

export interface DigestLine {
  severity: Severity;
  type: string;
  summary: string;
  cluster?: string;
  count: number;
  runUrl: string;
}

/**
 * PagerDuty severity: critical → critical, warning → warning, info → info; a warning nobody
 * acknowledged through an escalation round becomes `error`, so it stands out in PagerDuty.
 */
export function pagerdutySeverity(severity: Severity, round: number): 'critical' | 'error' | 'warning' | 'info' {
  if (severity === 'warning' && round > 1) return 'error';
  return severity;
}

/** PagerDuty Events API v2 event (the routing key is added by the activity at send time). */
export function pagerdutyEvent(m: AlertMessage, timestampIso: string): Record<string, unknown> {
  const eventAction = m.action === 'escalate' ? 'trigger' : m.action;
  const base: Record<string, unknown> = { event_action: eventAction, dedup_key: m.dedupKey.slice(0, 255) };
  if (eventAction !== 'trigger') return base;
  const customDetails: Record<string, string | number | boolean> = {
    ...(m.alert.details ?? {}),
    type: m.alert.type,
    level: m.level,
    round: m.round,
    occurrences: m.count,
  };
  return {
    ...base,
    payload: {
      summary: truncate(m.alert.summary, 1024),
      source: m.alert.cluster ?? m.alert.source?.workflowId ?? 'eksflow',
      severity: pagerdutySeverity(m.alert.severity, m.round),
      timestamp: timestampIso,
      component: m.alert.cluster,
      group: m.level,
      class: m.alert.type,
      custom_details: customDetails,
    },
    client: 'eksflow',
    client_url: m.runUrl,
    links: [
      { href: m.runUrl, text: 'Temporal UI run' },
      ...(m.alert.links ?? []).map((l) => ({ href: l.url, text: l.label })),
    ],
  };
}

/** SMS text: short (one segment where possible), no links to secrets. */
export function smsText(m: AlertMessage): string {
  return truncate(`eksflow ${headline(m)}${m.alert.cluster ? ` [${m.alert.cluster}]` : ''} key=${m.dedupKey}`, 300);
}

/** SNS subjects: printable ASCII, no newlines, under 100 characters. */
function asciiSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 99 ? ascii : `${ascii.slice(0, 96)}...`;
}

/** Email (SNS topic) subject and body. SNS subjects must be ASCII, < 100 chars, no newlines. */
export function emailMessage(m: AlertMessage): { subject: string; body: string } {
  const subject = asciiSubject(`eksflow ${headline(m)}`);
  const details = Object.entries(m.alert.details ?? {}).map(([k, v]) => `  ${k}: ${String(v)}`);
  const body = [
    headline(m),
    '',
    `Severity:    ${m.alert.severity}`,
    `Type:        ${m.alert.type}`,
    `Cluster:     ${m.alert.cluster ?? 'n/a'}`,
    `Level:       ${m.level} (round ${m.round})`,
    `Occurrences: ${m.count}`,
    `Dedup key:   ${m.dedupKey}`,
    ...(m.by ? [`By:          ${m.by}`] : []),
    ...(details.length ? ['', 'Details:', ...details] : []),
    '',
    `Run: ${m.runUrl}`,
    ...(m.ackUrl ? [`Acknowledge: ${m.ackUrl}`] : []),
    ...(m.alert.links ?? []).map((l) => `${l.label}: ${l.url}`),
  ];
  return { subject, body: body.join('\n') };
}

export function emailDigest(items: DigestLine[], label: string): { subject: string; body: string } {
  const lines = items.map(
    (i) => `- [${i.severity}] ${i.summary} (${i.cluster ?? 'n/a'}, ${i.type}, x${i.count}) ${i.runUrl}`,
  );
  return {
    subject: asciiSubject(`eksflow alert digest ${label}: ${items.length} alert(s)`),
    body: [`Alerts collected outside business hours (${label}):`, '', ...lines].join('\n'),
  };
}
