import { Batcher, QueueWaitExceeded } from '../../../src/aws/batcher';

describe('Batcher', () => {
  it('answers concurrent requests from one call per batch of distinct keys, each from a call issued after it asked', async () => {
    const calls: string[][] = [];
    const b = new Batcher<string>({
      windowMs: 5,
      maxBatch: 3,
      fetch: async (keys) => {
        calls.push(keys);
        return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, `v-${k}`]));
      },
    });
    const answers = await Promise.all(['a', 'b', 'a', 'c', 'd', 'missing'].map((k) => b.get(k)));
    expect(answers).toEqual(['v-a', 'v-b', 'v-a', 'v-c', 'v-d', undefined]);
    // Five distinct keys, three per call: two calls, no key asked twice.
    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['d', 'missing'],
    ]);
    expect(b.stats).toEqual({ calls: 2, keys: 5 });
  });

  it('keeps one call in flight: requests arriving meanwhile go out together in the next call', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<string>({
      windowMs: 1,
      maxBatch: 100,
      fetch: async (keys) => {
        calls.push(keys);
        if (calls.length === 1) await gate;
        return new Map(keys.map((k) => [k, k]));
      },
    });
    const first = b.get('x');
    await new Promise((r) => setTimeout(r, 20));
    const later = ['y', 'z', 'x'].map((k) => b.get(k));
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([['x']]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['x', 'y', 'z', 'x']);
    expect(calls).toEqual([['x'], ['y', 'z', 'x']]);
  });

  it('with maxInFlight 2, the next batch goes out while one call is in flight, the third waits for a free slot', async () => {
    const calls: string[][] = [];
    const gates: (() => void)[] = [];
    const b = new Batcher<string>({
      windowMs: 1,
      maxBatch: 2,
      maxInFlight: 2,
      fetch: async (keys) => {
        calls.push(keys);
        await new Promise<void>((r) => gates.push(r));
        return new Map(keys.map((k) => [k, k]));
      },
    });
    const tick = () => new Promise((r) => setTimeout(r, 20));
    const all = ['a', 'b', 'c', 'd', 'e'].map((k) => b.get(k));
    await tick();
    // Two full batches at once (a full batch does not wait for the window); the fifth key waits.
    expect(calls).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    gates[0]!();
    await tick();
    expect(calls).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    gates[1]!();
    gates[2]!();
    expect(await Promise.all(all)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('fails every waiter of a failed call, and the next batch still goes out', async () => {
    let n = 0;
    const b = new Batcher<number>({
      windowMs: 1,
      maxBatch: 10,
      fetch: async (keys) => {
        if (n++ === 0) throw new Error('throttled');
        return new Map(keys.map((k) => [k, 1]));
      },
    });
    await expect(Promise.all([b.get('a'), b.get('b')])).rejects.toThrow('throttled');
    expect(await b.get('a')).toBe(1);
  });
  it('withdraws a request queued longer than its maxWaitMs: rejected, never sent; a request already sent is not withdrawn', async () => {
    const calls: string[][] = [];
    const gates: (() => void)[] = [];
    const b = new Batcher<string>({
      windowMs: 1,
      maxBatch: 10,
      fetch: async (keys) => {
        calls.push(keys);
        await new Promise<void>((r) => gates.push(r));
        return new Map(keys.map((k) => [k, k]));
      },
    });
    const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
    const sent = b.get('a', { maxWaitMs: 30 });
    await tick();
    expect(calls).toEqual([['a']]); // 'a' is in flight
    const late = b.get('b', { maxWaitMs: 30 }); // queued behind the one call in flight
    const patient = b.get('c');
    const lateResult = late.catch((e: unknown) => e);
    await tick(60); // past both maxWaitMs: 'b' leaves the queue, 'a' (in flight) stays
    const err = await lateResult;
    expect(err).toBeInstanceOf(QueueWaitExceeded);
    expect((err as QueueWaitExceeded).key).toBe('b');
    gates[0]!();
    expect(await sent).toBe('a');
    await tick();
    expect(calls).toEqual([['a'], ['c']]); // 'b' was never sent
    gates[1]!();
    expect(await patient).toBe('c');
  });

  it("sending answers a key only while its call is in flight, with that call's answer", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<string>({
      windowMs: 1,
      maxBatch: 10,
      fetch: async (keys) => {
        await gate;
        return new Map(keys.filter((k) => k !== 'none').map((k) => [k, `v-${k}`]));
      },
    });
    const a = b.get('a');
    const none = b.get('none');
    expect(b.sending('a')).toBeUndefined(); // queued, not yet sent
    await new Promise((r) => setTimeout(r, 20));
    const flying = b.sending('a');
    expect(flying).toBeDefined();
    expect(b.sending('z')).toBeUndefined();
    release();
    expect(await flying).toBe('v-a');
    expect(await a).toBe('v-a');
    expect(await none).toBeUndefined();
    expect(b.sending('a')).toBeUndefined();
  });
  it('with idleMs, a request after a quiet spell goes out after the idle period; during a stream, batches take the whole window', async () => {
    jest.useFakeTimers();
    try {
      const calls: { keys: string[]; atMs: number }[] = [];
      const t0 = Date.now();
      const b = new Batcher<string>({
        windowMs: 400,
        idleMs: 40,
        maxBatch: 100,
        fetch: async (keys) => {
          calls.push({ keys, atMs: Date.now() - t0 });
          return new Map(keys.map((k) => [k, k]));
        },
      });
      const lone = b.get('lone');
      await jest.advanceTimersByTimeAsync(39);
      expect(calls).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(await lone).toBe('lone');
      expect(calls).toEqual([{ keys: ['lone'], atMs: 40 }]); // the idle period, not the 400 ms window
      // A request every 15 ms for 600 ms, right after 'lone' (not quiet): each batch takes the whole window.
      const stream: Promise<string | undefined>[] = [];
      for (let i = 0; i < 40; i++) {
        stream.push(b.get(`k${i}`));
        await jest.advanceTimersByTimeAsync(15);
      }
      await jest.advanceTimersByTimeAsync(400);
      await Promise.all(stream);
      // The first batch opened at 40 ms and closed at 440 (27 requests), the second at 445 → 845.
      expect(calls.slice(1).map((c) => [c.keys.length, c.atMs])).toEqual([
        [27, 440],
        [13, 845],
      ]);
      expect(calls.flatMap((c) => c.keys)).toEqual(['lone', ...Array.from({ length: 40 }, (_, i) => `k${i}`)]);
      // After a quiet spell (nothing for more than a window) a request goes out after the idle period again.
      await jest.advanceTimersByTimeAsync(1_000);
      const again = b.get('again');
      await jest.advanceTimersByTimeAsync(40);
      expect(await again).toBe('again');
      expect(calls[calls.length - 1]).toEqual({ keys: ['again'], atMs: 40 + 40 * 15 + 400 + 1_000 + 40 });
    } finally {
      jest.useRealTimers();
    }
  });
});
