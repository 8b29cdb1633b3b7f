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
  /** How long the first request of a batch waits for others to join. */
  windowMs: number;
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
}

export class Batcher<V> {
  private readonly waiting = new Map<string, Waiter<V>[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = 0;
  /** Calls made and keys answered (for tests and benchmarks). */
  readonly stats = { calls: 0, keys: 0 };

  constructor(private readonly opts: BatcherOptions<V>) {}

  get(key: string): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const list = this.waiting.get(key);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      this.schedule();
    });
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
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.windowMs);
  }

  private async flush(): Promise<void> {
    const keys = [...this.waiting.keys()].slice(0, this.opts.maxBatch);
    const batch = new Map(keys.map((k) => [k, this.waiting.get(k)!]));
    for (const k of keys) this.waiting.delete(k);
    this.inFlight++;
    this.stats.calls++;
    this.stats.keys += keys.length;
    try {
      const found = await this.opts.fetch(keys);
      for (const [k, ws] of batch) for (const w of ws) w.resolve(found.get(k));
    } catch (err) {
      for (const ws of batch.values()) for (const w of ws) w.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
