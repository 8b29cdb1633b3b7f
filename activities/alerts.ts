import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { ActivityDeps } from './deps';
import { activityInfoOrUndefined, heartbeatIfActivity, recordMutation } from './audit';
import { secretString } from './gateways/secrets';
import { publishSms, publishToTopic } from './gateways/sns';
import { readSecretEnv } from '../src/config/env';
import { ThrottledError, UnavailableError, ValidationError } from '../src/errors';
import { ackToken } from '../src/domain/alerts/ack-token';
import {
  emailDigest,
  emailMessage,
  pagerdutyEvent,
  slackDigestMessage,
  slackMessage,
  smsText,
  type AlertMessage,
  type DigestLine,
} from '../src/domain/alerts/payloads';
import { redactSecrets, redactUrl } from '../src/domain/alerts/redact';
import type { AlertInput, AlertState, ChannelTarget, DeliveryResult } from '../src/domain/alerts/types';
import { addToDigest, alertStatuses, openOrMergeAlert } from '../src/client/alerts';
import type { DigestItem } from '../workflows/alerts/messages';

/**
 * One message to one channel. `deliveryKey` names this send (alert run, sequence, channel): it is
 * recorded with the delivery and carried where the channel keeps it (see `createAlertActivities`).
 */
export interface DeliveryRequest {
  message: AlertMessage;
  target: ChannelTarget;
  deliveryKey: string;
}

export interface DigestDeliveryRequest {
  target: ChannelTarget;
  items: DigestLine[];
  label: string;
  deliveryKey: string;
}

/**
 * Deliveries. Nothing here remembers what was sent: a send is made safe to repeat where every
 * worker sees it. The workflow's history holds each completed delivery (a replay never sends
 * again); PagerDuty merges a retried event into the same incident by its `dedup_key` (the alert's
 * key); an SMS retry skips the numbers its earlier attempt reported in heartbeat details (kept by
 * the server). Slack webhooks and SNS topics have no idempotency key: a worker killed between the
 * send and the activity's completion makes the retry send once more (at least once). The audit
 * log records every delivery; nothing reads it back. The PagerDuty rate limit is the dispatch rate
 * of the routing key's task queue (workflows/lib/targets.ts), not kept here.
 */
export function createAlertActivities(deps: ActivityDeps) {
  const secretCache = new Map<string, { value: string; until: number }>();

  async function resolveSecret(ref: { env?: string; secretId?: string }): Promise<string | undefined> {
    if (ref.env) return readSecretEnv(ref.env);
    if (!ref.secretId) return undefined;
    const cached = secretCache.get(ref.secretId);
    if (cached && cached.until > deps.now().getTime()) return cached.value;
    const where = deps.config.notifications.secrets;
    if (!where)
      throw new ValidationError(`secret ${ref.secretId}: notifications.secrets (region, accountId) is not configured`);
    const value = await secretString(deps.aws, where, ref.secretId);
    if (value) secretCache.set(ref.secretId, { value, until: deps.now().getTime() + 5 * 60_000 });
    return value;
  }

  function recordDelivery(action: string, target: string, deliveryKey: string, detail: Record<string, unknown> = {}) {
    recordMutation(deps.audit, action, target, { deliveryKey, ...detail });
  }

  /** The SMS numbers an earlier attempt of this activity reported as texted (its last heartbeat). */
  function numbersAlreadyTexted(): Set<number> {
    const details = activityInfoOrUndefined()?.heartbeatDetails as { texted?: unknown } | undefined;
    const texted = Array.isArray(details?.texted) ? details.texted : [];
    return new Set(texted.filter((n): n is number => typeof n === 'number'));
  }

  function ackUrl(dedupKey: string): string | undefined {
    const secret = deps.env.EKSFLOW_INGRESS_TOKEN;
    if (!secret) return undefined;
    const base = (deps.env.EKSFLOW_PUBLIC_URL ?? `http://localhost:${deps.env.EKSFLOW_INGRESS_PORT}`).replace(
      /\/+$/,
      '',
    );
    return `${base}/alerts/${encodeURIComponent(dedupKey)}/ack?token=${ackToken(secret, dedupKey)}`;
  }

  /** Sends with the secret in hand; any error leaves without the secret in its message. */
  async function postSlack(url: string, body: { text: string; blocks: Record<string, unknown>[] }): Promise<void> {
    try {
      // Our builders produce plain Block Kit JSON (checked against a schema in tests), not SDK types.
      await new IncomingWebhook(url, { timeout: 10_000 }).send(body as unknown as IncomingWebhookSendArguments);
    } catch (err) {
      const e = err as {
        code?: string;
        original?: { response?: { status?: number; data?: unknown } };
        message?: string;
      };
      const status = e.original?.response?.status;
      const message = redactSecrets(
        `Slack webhook ${redactUrl(url)}: ${status ? `HTTP ${status} ${String(e.original?.response?.data ?? '')}` : e.message}`,
        [url],
      );
      // Slack answers 4xx (other than 429) for a bad payload or a revoked webhook: retrying cannot help.
      const nonRetryable = status !== undefined && status >= 400 && status < 500 && status !== 429;
      const details = { httpStatus: status };
      if (nonRetryable) throw new ValidationError(message, { details });
      throw status === 429 ? new ThrottledError(message, { details }) : new UnavailableError(message, { details });
    }
  }

  async function postPagerDuty(
    eventsUrl: string,
    routingKey: string,
    event: Record<string, unknown>,
  ): Promise<string | undefined> {
    let res: Response;
    try {
      res = await fetch(eventsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ routing_key: routingKey, ...event }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new UnavailableError(redactSecrets(`PagerDuty ${eventsUrl}: ${(err as Error).message}`, [routingKey]));
    }
    const text = await res.text();
    if (res.status === 202 || res.ok) {
      try {
        return (JSON.parse(text) as { dedup_key?: string }).dedup_key;
      } catch {
        return undefined;
      }
    }
    const message = redactSecrets(`PagerDuty ${eventsUrl}: HTTP ${res.status} ${text.slice(0, 300)}`, [routingKey]);
    // 429 and 5xx: retry with the preset's backoff. Anything else (400 invalid event): never.
    const details = { httpStatus: res.status };
    if (res.status === 429) throw new ThrottledError(message, { details });
    if (res.status >= 500) throw new UnavailableError(message, { details });
    throw new ValidationError(message, { details });
  }

  const notConfigured = (channel: ChannelTarget['kind'], why: string): DeliveryResult => ({
    channel,
    status: 'not_configured',
    error: why,
  });

  async function deliverSlack(req: DeliveryRequest): Promise<DeliveryResult> {
    if (req.target.kind !== 'slack') throw new ValidationError('deliverSlack: target is not slack');
    const url = await resolveSecret({ env: req.target.webhookUrlEnv, secretId: req.target.secretId });
    if (!url)
      return notConfigured('slack', 'no Slack webhook URL (set webhookUrlEnv or secretId and provide the value)');
    await postSlack(url, slackMessage({ ...req.message, ackUrl: ackUrl(req.message.dedupKey) }));
    recordDelivery(`slack:${req.message.action}`, `slack:${req.message.level}`, req.deliveryKey);
    return { channel: 'slack', status: 'delivered', messageId: req.deliveryKey };
  }

  async function deliverPagerDuty(req: DeliveryRequest): Promise<DeliveryResult> {
    if (req.target.kind !== 'pagerduty') throw new ValidationError('deliverPagerDuty: target is not pagerduty');
    const key = await resolveSecret({ env: req.target.routingKeyEnv, secretId: req.target.secretId });
    if (!key)
      return notConfigured(
        'pagerduty',
        'no PagerDuty routing key (set routingKeyEnv or secretId and provide the value)',
      );
    const event = pagerdutyEvent(req.message, deps.now().toISOString());
    const dedupKey = await postPagerDuty(req.target.eventsUrl, key, event);
    recordDelivery(`pagerduty:${String(event.event_action)}`, `pagerduty:${req.message.level}`, req.deliveryKey, {
      dedupKey: req.message.dedupKey,
    });
    return { channel: 'pagerduty', status: 'delivered', messageId: dedupKey ?? req.message.dedupKey };
  }

  async function deliverSms(req: DeliveryRequest): Promise<DeliveryResult> {
    if (req.target.kind !== 'sms') throw new ValidationError('deliverSms: target is not sms');
    if (req.target.numbers.length === 0) return notConfigured('sms', 'no SMS numbers for this level');
    const ids: string[] = [];
    // A retry after a partial send skips the numbers the earlier attempt reported (server-side heartbeat details).
    const texted = numbersAlreadyTexted();
    for (const [i, number] of req.target.numbers.entries()) {
      if (texted.has(i)) continue;
      const messageId = await publishSms(deps.aws, req.target.aws, number, smsText(req.message));
      recordDelivery('sns:Publish:sms', `sms:${req.message.level}:${i}`, `${req.deliveryKey}#${i}`, { messageId });
      texted.add(i);
      heartbeatIfActivity({ texted: [...texted] });
      if (messageId) ids.push(messageId);
    }
    return { channel: 'sms', status: 'delivered', messageId: ids.join(',') };
  }

  async function deliverEmail(req: DeliveryRequest): Promise<DeliveryResult> {
    if (req.target.kind !== 'email') throw new ValidationError('deliverEmail: target is not email');
    const { topicArn, aws } = req.target;
    if (!topicArn) return notConfigured('email', 'no email topic ARN (notifications.channels.sns.emailTopicArn)');
    const { subject, body } = emailMessage({ ...req.message, ackUrl: ackUrl(req.message.dedupKey) });
    const messageId = await publishToTopic(deps.aws, aws, topicArn, subject, body);
    recordDelivery('sns:Publish:email', topicArn, req.deliveryKey, { messageId });
    return { channel: 'email', status: 'delivered', messageId };
  }

  /** One digest message on one channel (Slack or email; pages are never digested). */
  async function deliverDigest(req: DigestDeliveryRequest): Promise<DeliveryResult> {
    const channel = req.target.kind;
    if (req.target.kind === 'slack') {
      const url = await resolveSecret({ env: req.target.webhookUrlEnv, secretId: req.target.secretId });
      if (!url) return notConfigured('slack', 'no Slack webhook URL');
      await postSlack(url, slackDigestMessage(req.items, req.label));
      recordDelivery('slack:digest', 'slack:digest', req.deliveryKey, { items: req.items.length });
      return { channel, status: 'delivered', messageId: req.deliveryKey };
    }
    if (req.target.kind === 'email') {
      const { topicArn, aws } = req.target;
      if (!topicArn) return notConfigured('email', 'no email topic ARN');
      const { subject, body } = emailDigest(req.items, req.label);
      const messageId = await publishToTopic(deps.aws, aws, topicArn, subject, body);
      recordDelivery('sns:Publish:digest', topicArn, req.deliveryKey, { items: req.items.length, messageId });
      return { channel, status: 'delivered', messageId };
    }
    return { channel, status: 'skipped', error: `${channel} is not used for digests` };
  }

  /** Counts every delivery by channel and status; a thrown failure counts as `failed` (or `throttled`). */
  function counted<R extends { target: ChannelTarget }>(
    deliver: (req: R) => Promise<DeliveryResult>,
  ): (req: R) => Promise<DeliveryResult> {
    return async (req) => {
      try {
        const r = await deliver(req);
        deps.metrics?.delivery(r.channel, r.status);
        return r;
      } catch (err) {
        deps.metrics?.delivery(req.target.kind, err instanceof ThrottledError ? 'throttled' : 'failed');
        throw err;
      }
    };
  }

  const uiBaseUrl = () => deps.config.notifications.temporalUiUrl ?? deps.env.TEMPORAL_UI_URL;

  return {
    /** Called by workflows (through workflows/lib/alerts.ts raiseAlert): open or merge. */
    async raiseAlert(input: AlertInput): Promise<{ workflowId: string }> {
      const { workflowId } = await openOrMergeAlert(
        deps.temporal.client,
        { taskQueue: deps.temporal.taskQueue, config: deps.config, uiBaseUrl: uiBaseUrl() },
        input,
      );
      return { workflowId };
    },
    deliverSlack: counted(deliverSlack),
    deliverPagerDuty: counted(deliverPagerDuty),
    deliverSms: counted(deliverSms),
    deliverEmail: counted(deliverEmail),
    deliverDigest: counted(deliverDigest),
    /** Adds an off-hours alert to the digest going out at `deliverAtMs` (one digest workflow per slot). */
    async addToDigest(input: { deliverAtMs: number; item: DigestItem }): Promise<{ workflowId: string }> {
      return addToDigest(deps.temporal.client, deps.temporal.taskQueue, input);
    },
    /** Current state of alert workflows (for the digest: skip what was resolved meanwhile). */
    async alertStatuses(workflowIds: string[]): Promise<Record<string, Pick<AlertState, 'status' | 'count'> | null>> {
      return alertStatuses(deps.temporal.client, workflowIds);
    },
  };
}
