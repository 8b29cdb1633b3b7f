/**
 * Rate limits that hold for all workers together: work that must stay under an outside API's
 * request rate runs on its own task queue, and every worker polls that queue with the same
 * `maxTaskQueueActivitiesPerSecond` — a dispatch rate the Temporal server enforces for the queue,
 * whatever the number of workers. These pure functions name the queues (workflows and workers must
 * agree on them) and turn an API's documented limit into a dispatch rate. No I/O, no clock.
 */

/** What a limit is about: deliveries to one PagerDuty routing key, or AWS mutations in one account/region. */
export type LimitedQueueKind = 'pagerduty' | 'aws-mutations';

export interface LimitedQueue {
  kind: LimitedQueueKind;
  taskQueue: string;
  /** The `maxTaskQueueActivitiesPerSecond` every worker polls this queue with. */
  ratePerSecond: number;
  /** For the operator: which key, account/region, and what limit it keeps. */
  describe: string;
}

/** A limit as an API documents it: at most `events` in any `windowSeconds`. */
export interface RequestLimit {
  events: number;
  windowSeconds: number;
}

/**
 * The dispatch rate that keeps any window of `windowSeconds` under `events`. The server splits a
 * queue's rate evenly over its read partitions, each a token bucket whose burst is
 * ceil(rate / partitions) (at least 1), so a window can see `rate × window` plus one full burst per
 * partition: the rate leaves room for those bursts. Returns 0 when the limit is too small to keep
 * with that many partitions (the caller rejects the configuration).
 */
export function dispatchRateFor(limit: RequestLimit, partitions: number): number {
  const p = Math.max(1, Math.floor(partitions));
  // With burst b per partition (rate in ((b-1)p, bp]) a window sees rate × window + p × b: take the
  // highest rate over the bursts that can hold.
  let best = 0;
  for (let b = 1; ; b++) {
    const rate = Math.min(b * p, (limit.events - p * b) / limit.windowSeconds);
    if (rate <= (b - 1) * p || rate <= 0) break;
    best = Math.max(best, rate);
  }
  return Math.floor(best * 1000) / 1000;
}

/** The most dispatches any window of `windowSeconds` can see at `rate` over `partitions` (the bound above). */
export function worstCaseInWindow(rate: number, windowSeconds: number, partitions: number): number {
  const p = Math.max(1, Math.floor(partitions));
  return rate * windowSeconds + p * Math.max(1, Math.ceil(rate / p));
}

/** FNV-1a, 32 bits: a short stable suffix for queue names (workflow code has no crypto module). */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);

/** How a PagerDuty target names its routing key (the env var or secret holding it, never the key). */
export function pagerdutyKeyRef(t: { routingKeyEnv?: string; secretId?: string }): string {
  if (t.routingKeyEnv) return `env:${t.routingKeyEnv}`;
  if (t.secretId) return `secret:${t.secretId}`;
  return 'none';
}

/** The delivery queue of one PagerDuty routing key: `<base>-pagerduty-<ref>-<hash>`. */
export function pagerdutyQueue(base: string, t: { routingKeyEnv?: string; secretId?: string }): string {
  const ref = pagerdutyKeyRef(t);
  return `${base}-pagerduty-${slug(ref)}-${shortHash(ref)}`;
}

/** The mutation queue of one AWS account and region: `<base>-aws-<account>-<region>`. */
export function awsMutationQueue(base: string, t: { accountId: string; region: string }): string {
  return `${base}-aws-${t.accountId}-${t.region}`;
}
