import { z } from 'zod';

/**
 * Notification routing and channels. Secrets (Slack webhook URLs, PagerDuty routing keys) are
 * named here by env var or Secrets Manager id, never inlined: the delivery activities resolve
 * them at the moment of use, so they never reach workflow history or logs.
 */

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export const CHANNEL_KINDS = ['pagerduty', 'slack', 'sms', 'email'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM (24 h, IST)');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)');
const accountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form, e.g. +919800000001');
const topicArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN');

/** When people are at work (IST). Outside it, info/warning alerts wait for the digest. */
export const businessHoursSchema = z
  .object({
    /** Days with business hours, 0 = Sunday. Default Monday–Friday. */
    days: z.array(z.number().int().min(0).max(6)).min(1).default([1, 2, 3, 4, 5]),
    /** Start of business hours (IST). Default 09:00; the digest goes out at this time. */
    start: hhmm.default('09:00'),
    /** End of business hours (IST), exclusive. Default 18:00. */
    end: hhmm.default('18:00'),
    /** Dates without business hours. Default: `timetable.holidays`. */
    holidays: z.array(isoDate).optional(),
  })
  .strict()
  .refine((b) => b.start < b.end, { message: 'start must be before end', path: ['end'] });

/** How one severity (or a rule) is delivered and escalated. */
export const routeSchema = z
  .object({
    channels: z.array(z.enum(CHANNEL_KINDS)).min(1),
    /** Seconds to wait for an acknowledgement before escalating to the next level. */
    escalateAfterSeconds: z.number().int().min(1),
    /** Escalations after the first notification (0 = notify once, never escalate). */
    rounds: z.number().int().min(0).max(20),
    /** Outside business hours: send now, or collect into the digest at the next business start.
     *  Critical alerts always go out at once, whatever this says. */
    offHours: z.enum(['immediate', 'digest']),
  })
  .strict();
export type RouteConfig = z.infer<typeof routeSchema>;

const DEFAULT_ROUTES: Record<(typeof SEVERITIES)[number], RouteConfig> = {
  critical: { channels: ['pagerduty', 'slack', 'sms'], escalateAfterSeconds: 300, rounds: 3, offHours: 'immediate' },
  warning: { channels: ['slack', 'email'], escalateAfterSeconds: 900, rounds: 2, offHours: 'digest' },
  info: { channels: ['email'], escalateAfterSeconds: 3600, rounds: 1, offHours: 'digest' },
};

/** A severity's route, with any field overridable; defaults from the original design. */
const severityRoute = (severity: (typeof SEVERITIES)[number]) =>
  routeSchema
    .partial()
    .default({})
    .transform((r) => ({ ...DEFAULT_ROUTES[severity], ...r }));

/** An override for some alerts (by type, severity, business hours): first matching rule wins. */
export const routeRuleSchema = routeSchema
  .partial()
  .extend({
    type: z.string().min(1).optional(),
    severity: z.enum(SEVERITIES).optional(),
    /** `business` = only inside business hours, `off-hours` = only outside, default both. */
    when: z.enum(['always', 'business', 'off-hours']).default('always'),
  })
  .strict();
export type RouteRuleConfig = z.infer<typeof routeRuleSchema>;

const slackSchema = z
  .object({ webhookUrlEnv: envName.optional(), secretId: z.string().min(1).optional() })
  .strict()
  .refine((s) => !(s.webhookUrlEnv && s.secretId), { message: 'give webhookUrlEnv or secretId, not both' });

export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
const pagerdutySchema = z
  .object({
    routingKeyEnv: envName.optional(),
    secretId: z.string().min(1).optional(),
    /** Events API v2 endpoint; tests and the sandbox point it at a local receiver. */
    eventsUrl: z.string().url().default(DEFAULT_PAGERDUTY_EVENTS_URL),
  })
  .strict()
  .refine((s) => !(s.routingKeyEnv && s.secretId), { message: 'give routingKeyEnv or secretId, not both' });

const snsSchema = z
  .object({
    region: z.string().min(1).default('ap-south-1'),
    accountId: accountId.optional(),
    roleArn: z.string().startsWith('arn:').optional(),
    smsNumbers: z.array(e164).default([]),
    emailTopicArn: topicArn.optional(),
  })
  .strict();

/** Default channel targets; every escalation level may override any of them. */
export const channelsSchema = z
  .object({
    slack: slackSchema.optional(),
    pagerduty: pagerdutySchema.optional(),
    sns: snsSchema.optional(),
  })
  .strict();
export type ChannelsConfig = z.infer<typeof channelsSchema>;

/** One rung of the ladder (primary on-call → secondary → engineering manager). */
export const escalationLevelSchema = z
  .object({
    name: z.string().min(1).max(64),
    slack: slackSchema.optional(),
    pagerduty: pagerdutySchema.optional(),
    smsNumbers: z.array(e164).optional(),
    emailTopicArn: topicArn.optional(),
  })
  .strict();
export type EscalationLevelConfig = z.infer<typeof escalationLevelSchema>;

export const notificationsSchema = z
  .object({
    businessHours: businessHoursSchema.default(businessHoursSchema.parse({})),
    routes: z
      .object({ critical: severityRoute('critical'), warning: severityRoute('warning'), info: severityRoute('info') })
      .strict()
      .default({ critical: DEFAULT_ROUTES.critical, warning: DEFAULT_ROUTES.warning, info: DEFAULT_ROUTES.info }),
    rules: z.array(routeRuleSchema).default([]),
    channels: channelsSchema.default({}),
    /** The ladder; a single `primary` level using the default channels when omitted. */
    escalationLevels: z
      .array(escalationLevelSchema)
      .min(1)
      .default([{ name: 'primary' }]),
    /** Where Secrets Manager secrets (secretId above) live. */
    secrets: z
      .object({ region: z.string().min(1), accountId: accountId, roleArn: z.string().startsWith('arn:').optional() })
      .strict()
      .optional(),
    /** Temporal UI base URL for links in messages. Default: TEMPORAL_UI_URL. */
    temporalUiUrl: z.string().url().optional(),
    /** An open alert nobody resolves closes itself after this many hours (default 7 days). */
    autoCloseHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(168),
    /** Name of the env var holding the PagerDuty v3 webhook signing secret (optional). */
    pagerdutyWebhookSecretEnv: envName.default('PAGERDUTY_WEBHOOK_SECRET'),
  })
  .strict()
  .superRefine((n, ctx) => {
    const names = new Set<string>();
    n.escalationLevels.forEach((l, i) => {
      if (names.has(l.name))
        ctx.addIssue({ code: 'custom', message: `duplicate level ${l.name}`, path: ['escalationLevels', i, 'name'] });
      names.add(l.name);
    });
  });
export type NotificationsConfig = z.infer<typeof notificationsSchema>;
export type NotificationsInput = z.input<typeof notificationsSchema>;
