/**
 * A token bucket: `capacity` events per `windowMs`, refilled continuously. `take(now)` returns 0
 * when an event may go now (and consumes a token), else how many ms until one is available.
 * The clock is passed in, so the bucket is a pure, testable value.
 */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
  ) {
    this.tokens = capacity;
  }

  take(nowMs: number): number {
    if (this.last !== undefined) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.last) * this.capacity) / this.windowMs);
    }
    this.last = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * this.windowMs) / this.capacity);
  }
}
