/**
 * The one polling helper of the test suite: reads `read()` until `ok(value)` holds and returns that
 * value. Use it to wait for a positive signal — a workflow's query state, a row in moto, a request
 * at a receiver — never a fixed sleep. A `read` that throws (a workflow not started yet, a queue
 * not created yet) counts as "not yet"; on timeout the error names `what` and the last value or
 * error seen, so a failure says what never happened.
 *
 * Polling uses the wall clock: with the time-skipping test server, only the client's own calls
 * move the server's clock, so polling a query does not skip workflow time.
 */
export interface EventuallyOptions {
  /** How long to keep trying (default 20 s). */
  timeoutMs?: number;
  /** Pause between reads (default 100 ms). */
  intervalMs?: number;
}

export async function eventually<T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  opts: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await read();
      if (ok(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last ${describe(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(last: { value: unknown } | { error: unknown } | undefined): string {
  if (!last) return 'read: none';
  if ('error' in last) return `error: ${last.error instanceof Error ? last.error.message : String(last.error)}`;
  let text: string;
  try {
    text = JSON.stringify(last.value) ?? String(last.value);
  } catch {
    text = String(last.value);
  }
  return `value: ${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`;
}
