import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * Local stand-ins for Slack incoming webhooks and the PagerDuty Events API v2, for the sandbox
 * and tests. They check every body against a schema of the documented format (and answer like
 * the real service: Slack `400 invalid_payload`, PagerDuty `400 invalid event`), record what
 * arrived, and can be scripted to fail (e.g. 500 twice, then succeed).
 */

// --- Slack Block Kit (https://api.slack.com/reference/block-kit) -------------------------------
const plainText = (max: number) =>
  z.object({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() }).strict();
const mrkdwn = (max: number) =>
  z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max), verbatim: z.boolean().optional() }).strict();
const textObject = (max: number) => z.union([plainText(max), mrkdwn(max)]);
const button = z
  .object({
    type: z.literal('button'),
    text: plainText(75),
    action_id: z.string().max(255).optional(),
    url: z.string().url().max(3000).optional(),
    value: z.string().max(2000).optional(),
    style: z.enum(['primary', 'danger']).optional(),
  })
  .strict();
const imageElement = z.object({ type: z.literal('image'), image_url: z.string().url(), alt_text: z.string() }).strict();
const block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: plainText(150), block_id: z.string().max(255).optional() }).strict(),
  z
    .object({
      type: z.literal('section'),
      text: textObject(3000).optional(),
      fields: z.array(textObject(2000)).max(10).optional(),
      block_id: z.string().max(255).optional(),
    })
    .strict()
    .refine((s) => s.text !== undefined || (s.fields?.length ?? 0) > 0, 'a section needs text or fields'),
  z
    .object({
      type: z.literal('actions'),
      elements: z.array(button).min(1).max(25),
      block_id: z.string().max(255).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('context'),
      elements: z
        .array(z.union([textObject(3000), imageElement]))
        .min(1)
        .max(10),
      block_id: z.string().max(255).optional(),
    })
    .strict(),
  z.object({ type: z.literal('divider'), block_id: z.string().max(255).optional() }).strict(),
]);
/** Body of a Slack incoming-webhook POST. */
export const slackWebhookSchema = z
  .object({
    text: z.string().max(40_000).optional(),
    blocks: z.array(block).max(50).optional(),
    username: z.string().optional(),
    icon_emoji: z.string().optional(),
    icon_url: z.string().optional(),
    channel: z.string().optional(),
    unfurl_links: z.boolean().optional(),
    unfurl_media: z.boolean().optional(),
  })
  // Not strict at the top: Slack ignores unknown fields, and @slack/webhook sends its own
  // client options (e.g. `timeout`) in the body.
  .refine((b) => (b.text?.length ?? 0) > 0 || (b.blocks?.length ?? 0) > 0, 'text or blocks is required');

// --- PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/)
const pdPayload = z
  .object({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.string().datetime({ offset: true }).optional(),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
/** Body of a POST to https://events.pagerduty.com/v2/enqueue. */
export const pagerdutyEventSchema = z.discriminatedUnion('event_action', [
  z
    .object({
      routing_key: z.string().length(32),
      event_action: z.literal('trigger'),
      dedup_key: z.string().min(1).max(255).optional(),
      payload: pdPayload,
      images: z
        .array(z.object({ src: z.string(), href: z.string().optional(), alt: z.string().optional() }))
        .optional(),
      links: z.array(z.object({ href: z.string().url(), text: z.string().optional() })).optional(),
      client: z.string().optional(),
      client_url: z.string().url().optional(),
    })
    .strict(),
  z
    .object({
      routing_key: z.string().length(32),
      event_action: z.literal('acknowledge'),
      dedup_key: z.string().min(1).max(255),
    })
    .strict(),
  z
    .object({
      routing_key: z.string().length(32),
      event_action: z.literal('resolve'),
      dedup_key: z.string().min(1).max(255),
    })
    .strict(),
]);

export type ReceiverChannel = 'slack' | 'pagerduty';

export interface ReceivedRequest {
  channel: ReceiverChannel;
  path: string;
  /** Parsed JSON body (or the raw text when it was not JSON). */
  body: unknown;
  /** The status the receiver answered with. */
  status: number;
  /** Whether the body matched the documented schema. */
  valid: boolean;
  errors?: string[];
  atMs: number;
}

export interface Receivers {
  baseUrl: string;
  /** Slack webhook URL; `name` gives each escalation level its own webhook. */
  slackUrl: string;
  slackUrlFor(name: string): string;
  pagerdutyUrl: string;
  received(channel?: ReceiverChannel): ReceivedRequest[];
  /** Answer the next requests on a channel with these statuses (e.g. [500, 500]), then normally. */
  failNext(channel: ReceiverChannel, statuses: number[]): void;
  /** Hold the answer to the next request on a channel for `ms` (it is recorded on arrival): a sender killed meanwhile never sees it. */
  delayNext(channel: ReceiverChannel, ms: number): void;
  /** Resolves once `predicate` holds for the received requests (polls every 20 ms). */
  waitFor(predicate: (r: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  clear(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startReceivers(opts: { port?: number; host?: string } = {}): Promise<Receivers> {
  const log: ReceivedRequest[] = [];
  const scripted: Record<ReceiverChannel, number[]> = { slack: [], pagerduty: [] };
  const delays: Record<ReceiverChannel, number[]> = { slack: [], pagerduty: [] };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    const channel: ReceiverChannel | undefined = path.startsWith('/slack/')
      ? 'slack'
      : path === '/pagerduty/v2/enqueue'
        ? 'pagerduty'
        : undefined;
    if (req.method !== 'POST' || !channel) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const text = await readBody(req);
    let body: unknown = text;
    let parsedOk = true;
    try {
      body = JSON.parse(text);
    } catch {
      parsedOk = false;
    }
    const schema = channel === 'slack' ? slackWebhookSchema : pagerdutyEventSchema;
    const check = parsedOk ? schema.safeParse(body) : undefined;
    const valid = check?.success === true;
    const errors =
      check && !check.success
        ? check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
        : parsedOk
          ? undefined
          : ['body is not JSON'];
    const forced = scripted[channel].shift();
    const status = forced ?? (valid ? (channel === 'slack' ? 200 : 202) : 400);
    log.push({ channel, path, body, status, valid, errors, atMs: Date.now() });
    const delay = delays[channel].shift();
    if (delay) await new Promise((r) => setTimeout(r, delay));
    if (res.destroyed) return;
    if (channel === 'slack') {
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status === 200 ? 'ok' : status === 400 ? 'invalid_payload' : 'server_error');
      return;
    }
    const dedupKey = (body as { dedup_key?: string })?.dedup_key ?? `pd-${log.length}`;
    const reply =
      status === 202
        ? { status: 'success', message: 'Event processed', dedup_key: dedupKey }
        : status === 400
          ? { status: 'invalid event', message: 'Event object is invalid', errors: errors ?? [] }
          : { status: 'error', message: 'scripted failure' };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${opts.host ?? '127.0.0.1'}:${port}`;

  return {
    baseUrl,
    slackUrl: `${baseUrl}/slack/services/T0000/B0000/default`,
    slackUrlFor: (name) => `${baseUrl}/slack/services/T0000/B0000/${encodeURIComponent(name)}`,
    pagerdutyUrl: `${baseUrl}/pagerduty/v2/enqueue`,
    received: (channel) => log.filter((r) => !channel || r.channel === channel),
    failNext: (channel, statuses) => {
      scripted[channel].push(...statuses);
    },
    delayNext: (channel, ms) => {
      delays[channel].push(ms);
    },
    async waitFor(predicate, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(log)) {
        if (Date.now() > until)
          throw new Error(`receivers: condition not met within ${timeoutMs} ms (${log.length} requests received)`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return log;
    },
    clear: () => {
      log.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
