import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { parseEventBridgeJson, type ParseResult } from '../domain/events/eventbridge';
import { dispatchEvent, IngressMetrics, type DispatchDeps } from './dispatch';
import type { Logger } from '../log';

export interface SqsPollerOptions extends DispatchDeps {
  sqs: SQSClient;
  queueUrl: string;
  /** Long polling: seconds ReceiveMessage waits for messages. Default 20 (the maximum). */
  waitTimeSeconds?: number;
  /** Messages per receive, 1–10. Default 10. */
  batchSize?: number;
  /** Receive loops running side by side (more throughput under a burst). Default 2. */
  loops?: number;
  log?: Logger;
}

export interface SqsPollerStats {
  received: number;
  acknowledged: number;
  /** Left on the queue for the redrive policy (dead-letter queue): bodies that are not a valid event. */
  unparseable: number;
  /** Valid events of kinds eksflow has no handler for; acknowledged (deleted), counted by detail-type. */
  unknownKinds: Record<string, number>;
  /** Starts Temporal did not accept: left on the queue to be delivered again. */
  startFailures: number;
  receiveErrors: number;
}

/** EventBridge → SQS delivers the event itself; EventBridge → SNS → SQS wraps it once. */
function parseMessageBody(body: string): ParseResult {
  const direct = parseEventBridgeJson(body);
  if (direct.ok) return direct;
  try {
    const outer = JSON.parse(body) as { Type?: string; Message?: unknown };
    if (outer?.Type === 'Notification' && typeof outer.Message === 'string') return parseEventBridgeJson(outer.Message);
  } catch {
    /* not JSON: the direct error says so */
  }
  return direct;
}

/**
 * Polls the queue an EventBridge rule feeds (like Node Termination Handler's queue processor):
 * long polling, batches, a message deleted only after its workflow start was acknowledged by
 * Temporal. Unparseable messages are logged with the reason and left for the queue's redrive
 * policy; unknown kinds are counted and deleted. Nothing here throws out of the loop.
 */
export function startSqsPoller(opts: SqsPollerOptions): { stop(): Promise<void>; stats(): SqsPollerStats } {
  const metrics = opts.metrics ?? new IngressMetrics();
  const stats: SqsPollerStats = {
    received: 0,
    acknowledged: 0,
    unparseable: 0,
    unknownKinds: {},
    startFailures: 0,
    receiveErrors: 0,
  };
  const abort = new AbortController();
  let stopping = false;

  /** true: delete the message; false: leave it (redrive or redelivery). */
  async function handle(message: Message): Promise<boolean> {
    const parsed = parseMessageBody(message.Body ?? '');
    if (!parsed.ok) {
      stats.unparseable++;
      metrics.countRejected('unparseable');
      metrics.outcome('unknown', 'rejected');
      opts.log?.warn('unparseable SQS message left for the dead-letter queue', {
        messageId: message.MessageId,
        receiveCount: message.Attributes?.ApproximateReceiveCount,
        reason: parsed.error.slice(0, 500),
      });
      return false;
    }
    const event = parsed.event;
    if (event.kind === 'ignored' && event.unsupported) {
      stats.unknownKinds[event.detailType] = (stats.unknownKinds[event.detailType] ?? 0) + 1;
      metrics.countEvent('ignored');
      metrics.outcome('unsupported', 'ignored');
      return true;
    }
    try {
      await dispatchEvent({ ...opts, metrics }, event);
      return true;
    } catch (err) {
      stats.startFailures++;
      opts.log?.error('workflow start failed; message stays on the queue', {
        messageId: message.MessageId,
        eventId: event.eventId,
        error: (err as Error).message,
      });
      return false;
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let messages: Message[] = [];
      try {
        const out = await opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: opts.queueUrl,
            MaxNumberOfMessages: opts.batchSize ?? 10,
            WaitTimeSeconds: opts.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: abort.signal },
        );
        messages = out.Messages ?? [];
      } catch (err) {
        if (stopping) break;
        stats.receiveErrors++;
        opts.log?.warn('SQS receive failed; retrying', { error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      stats.received += messages.length;
      const verdicts = await Promise.all(messages.map((m) => handle(m).catch(() => false)));
      const done = messages.filter((_, i) => verdicts[i]);
      if (done.length === 0) continue;
      try {
        const out = await opts.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: opts.queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        stats.acknowledged += out.Successful?.length ?? 0;
        // A failed delete only means a redelivery, which the workflow id turns into a no-op.
        if (out.Failed?.length) opts.log?.warn('SQS delete failed for some messages', { failed: out.Failed.length });
      } catch (err) {
        opts.log?.warn('SQS delete failed; messages will be redelivered', { error: (err as Error).message });
      }
    }
  }

  const running = Promise.all(Array.from({ length: opts.loops ?? 2 }, () => loop()));
  return {
    stats: () => ({ ...stats, unknownKinds: { ...stats.unknownKinds } }),
    async stop() {
      stopping = true;
      abort.abort();
      await running;
    },
  };
}
