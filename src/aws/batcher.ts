/**
 * Coalesces many concurrent reads of the same kind into few AWS calls, the way Karpenter batches
 * its cloud-provider calls: requests that arrive while a call is in flight (or within `windowMs`
 * of the first) go out together in the next call, up to `maxBatch` keys each. Every answer comes
 * from a call issued after its request arrived, so a waiter never gets state older than its own
 * question. One call in flight per batcher by default (`maxInFlight`): a slow API gets bigger
 * batches, not more calls. A mutation whose callers wait against a deadline (a fleet launch) allows
 * a few, so no request queues behind a long chain of slow calls.
 */
export interface BatcherOptions<V> {
  /** How long the first request of a batch waits for others to join (at most, with `idleMs`). */
  windowMs: number;
  /**
   * For a batch whose first request came after a quiet spell (nothing for a whole window): it goes
   * out once no request has arrived for this long (Karpenter's idle period), so a lone request
   * does not wait the whole window. While requests keep coming (a burst), batches take the whole
   * window: a gap of idleMs between two activities of a loaded worker is common, and would split them.
   */
  idleMs?: number;
  /** Keys per call (the API's limit). */
  maxBatch: number;
  /** Calls in flight at once (default 1). */
  maxInFlight?: number;
  /** One AWS call (or a few pages) for these distinct keys; a key absent from the map is answered undefined. */
  fetch: (keys: string[]) => Promise<Map<string, V>>;
}

interface Waiter<V> {
  resolve: (v: V | undefined) => void;
  reject: (err: unknown) => void;
  /** Fires when the request has waited `maxWaitMs` without going out. */
  timer?: ReturnType<typeof setTimeout>;
}

/** A request that left the queue because it waited longer than it may (`get`'s `maxWaitMs`); nothing was sent for it. */
export class QueueWaitExceeded extends Error {
  constructor(
    readonly key: string,
    readonly waitedMs: number,
  ) {
    super(`waited ${waitedMs} ms in the batch queue without going out; withdrawn, nothing was sent for it`);
    this.name = 'QueueWaitExceeded';
  }
}

export class Batcher<V> {
  private readonly waiting = new Map<string, Waiter<V>[]>();
  /** Keys whose call is in flight, with the answer each will get. */
  private readonly flying = new Map<string, Promise<V | undefined>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the batch being gathered got its first request. */
  private openedAt: number | undefined;
  /** Whether that batch opened after a quiet spell (idleMs applies). */
  private quiet = false;
  /** The arrival before the latest one, and the latest. */
  private previousArrivalMs: number | undefined;
  private lastArrivalMs: number | undefined;
  private inFlight = 0;
  /** Calls made and keys answered (for tests and benchmarks). */
  readonly stats = { calls: 0, keys: 0 };

  constructor(private readonly opts: BatcherOptions<V>) {}

  /**
   * The answer for `key` from the next call. With `maxWaitMs`, a request still queued (not yet
   * part of a call) after that long is withdrawn and rejected with `QueueWaitExceeded`: for a
   * mutation, the caller then knows nothing was sent on its behalf, so a retry cannot double it.
   */
  get(key: string, opts: { maxWaitMs?: number } = {}): Promise<V | undefined> {
    this.previousArrivalMs = this.lastArrivalMs;
    this.lastArrivalMs = Date.now();
    return new Promise<V | undefined>((resolve, reject) => {
      const waiter: Waiter<V> = { resolve, reject };
      const list = this.waiting.get(key);
      if (list) list.push(waiter);
      else this.waiting.set(key, [waiter]);
      if (opts.maxWaitMs !== undefined) {
        const maxWaitMs = opts.maxWaitMs;
        waiter.timer = setTimeout(() => this.withdraw(key, waiter, maxWaitMs), Math.max(0, maxWaitMs));
      }
      this.schedule();
    });
  }

  /** The answer a call already in flight will give for `key` (undefined when `key` is in no call). */
  sending(key: string): Promise<V | undefined> | undefined {
    return this.flying.get(key);
  }

  private withdraw(key: string, waiter: Waiter<V>, waitedMs: number): void {
    const list = this.waiting.get(key);
    const at = list?.indexOf(waiter) ?? -1;
    if (!list || at < 0) return; // already sent
    list.splice(at, 1);
    if (list.length === 0) this.waiting.delete(key);
    if (this.waiting.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.openedAt = undefined;
    }
    waiter.reject(new QueueWaitExceeded(key, waitedMs));
  }

  private get full(): boolean {
    return this.inFlight >= (this.opts.maxInFlight ?? 1);
  }

  private schedule(): void {
    if (this.full || this.waiting.size === 0) return;
    if (this.waiting.size >= this.opts.maxBatch) {
      // A full batch goes out at once.
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
      return;
    }
    const now = Date.now();
    if (this.openedAt === undefined) {
      this.openedAt = now;
      // Quiet: nothing asked for a whole window before this batch's first request.
      this.quiet = this.previousArrivalMs === undefined || now - this.previousArrivalMs > this.opts.windowMs;
    }
    const closesAt = this.openedAt + this.opts.windowMs;
    const idleMs = this.quiet ? this.opts.idleMs : undefined;
    if (this.timer && idleMs === undefined) return;
    // After a quiet spell, every arrival keeps the batch open idleMs longer, never past windowMs.
    const dueAt = idleMs === undefined ? closesAt : Math.min(now + idleMs, closesAt);
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      Math.max(0, dueAt - now),
    );
  }

  private async flush(): Promise<void> {
    this.openedAt = undefined;
    const keys = [...this.waiting.keys()].slice(0, this.opts.maxBatch);
    const batch = new Map(keys.map((k) => [k, this.waiting.get(k)!]));
    for (const k of keys) this.waiting.delete(k);
    for (const ws of batch.values()) for (const w of ws) clearTimeout(w.timer);
    this.inFlight++;
    this.stats.calls++;
    this.stats.keys += keys.length;
    const call = this.opts.fetch(keys);
    const answers = new Map(keys.map((k) => [k, call.then((found) => found.get(k))]));
    for (const [k, answer] of answers) {
      answer.catch(() => undefined); // the waiters below observe the failure
      this.flying.set(k, answer);
    }
    try {
      const found = await call;
      for (const [k, ws] of batch) for (const w of ws) w.resolve(found.get(k));
    } catch (err) {
      for (const ws of batch.values()) for (const w of ws) w.reject(err);
    } finally {
      for (const [k, answer] of answers) if (this.flying.get(k) === answer) this.flying.delete(k);
      this.inFlight--;
      this.schedule();
    }
  }
}
