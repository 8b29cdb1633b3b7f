/**
 * The one shape every part of eksflow uses to raise an alert. Routing (channels, escalation,
 * business hours) is decided from it in one place: the alert escalation workflow.
 */
export type Severity = 'critical' | 'warning' | 'info';

export interface AlertInput {
  severity: Severity;
  /** What kind of problem, e.g. `scale_up_timeout`, `spot_interruption`, `scale_down_blocked`. */
  type: string;
  /** Same key while open = same incident (merged, nobody paged again). ≤ 255 chars. */
  dedupKey: string;
  summary: string;
  cluster?: string;
  details?: Record<string, string | number | boolean>;
  /** Links shown with the alert (e.g. a report); the originating run's UI link is added automatically. */
  links?: { label: string; url: string }[];
  /** The workflow that raised it (filled in by raiseAlert inside a workflow). */
  source?: { workflowId: string; runId: string; workflowType: string };
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export type ChannelKind = 'pagerduty' | 'slack' | 'sms' | 'email';

/** Where a channel delivers. Only names of secrets (env var / secret id), never their values. */
export type ChannelTarget =
  | { kind: 'slack'; webhookUrlEnv?: string; secretId?: string }
  | { kind: 'pagerduty'; routingKeyEnv?: string; secretId?: string; eventsUrl: string }
  | { kind: 'sms'; numbers: string[]; aws: { accountId: string; region: string; roleArn?: string } }
  | { kind: 'email'; topicArn?: string; aws: { accountId: string; region: string; roleArn?: string } };

/** How an alert is delivered and escalated (resolved from config for one alert type). */
export interface AlertRoute {
  channels: ChannelKind[];
  escalateAfterSeconds: number;
  /** Escalations after the first notification. */
  rounds: number;
  offHours: 'immediate' | 'digest';
}

export interface BusinessHours {
  /** 0 = Sunday. */
  days: number[];
  /** Minutes after IST midnight. */
  startMinute: number;
  endMinute: number;
  holidays: string[];
}

export interface EscalationLevel {
  name: string;
  targets: ChannelTarget[];
}

/**
 * Everything the escalation workflow needs to route one alert, resolved from config by the
 * raising activity. Plain JSON without secrets, so it can live in workflow history.
 */
export interface AlertPlan {
  /** Per severity (a merged duplicate may raise the severity), inside / outside business hours. */
  routes: Record<Severity, { business: AlertRoute; offHours: AlertRoute }>;
  levels: EscalationLevel[];
  businessHours: BusinessHours;
  /** Temporal UI base URL and namespace, for links in messages. */
  ui: { baseUrl: string; namespace: string };
  autoCloseSeconds: number;
}

/** What one channel did with one message. */
export interface DeliveryResult {
  channel: ChannelKind;
  status: 'delivered' | 'duplicate' | 'not_configured' | 'failed' | 'skipped';
  messageId?: string;
  error?: string;
}

/** The message kinds a channel is asked to send during an alert's life. */
export type DeliveryAction = 'trigger' | 'escalate' | 'acknowledge' | 'resolve';

/** One notification round (or follow-up) as recorded in the alert's state. */
export interface NotificationRecord {
  action: DeliveryAction | 'digest';
  level: string;
  round: number;
  /** Workflow time (ms since epoch). */
  atMs: number;
  results: DeliveryResult[];
}

/** The escalation workflow's state: plain JSON, returned by the `alertStatus` query. */
export interface AlertState {
  dedupKey: string;
  workflowId: string;
  /** Run id of the first run (kept across continue-as-new), part of delivery idempotency keys. */
  openedRunId: string;
  alert: AlertInput;
  status: 'open' | 'deferred' | 'acknowledged' | 'resolved' | 'expired';
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Notifications sent so far (0 before the first); next escalation round = this value. */
  rounds: number;
  /** Channel kinds + levels already paged, for acknowledge/resolve follow-ups. */
  paged: { level: string; channels: ChannelKind[] }[];
  notifications: NotificationRecord[];
  deferredUntilMs?: number;
  /** When the next escalation round is due (workflow time), while the ladder is open. */
  nextEscalationAtMs?: number;
  /** Follow-ups already sent (acknowledge, resolve), so a continue-as-new never repeats one. */
  followUps: ('acknowledge' | 'resolve')[];
  acknowledged?: { by: string; via: string; atMs: number };
  resolved?: { by: string; via: string; atMs: number; note?: string };
  /** Monotonic counter for delivery idempotency keys. */
  seq: number;
}
