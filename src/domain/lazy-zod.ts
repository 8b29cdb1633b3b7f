import type * as ZodModule from './zod-module';

/**
 * zod for the domain modules the workflow bundle imports, loaded on first call instead of at
 * import. The SDK's reusable V8 context evaluates every bundled module once per workflow run (each
 * run has its own module cache), and evaluating zod alone holds ~0.65 MB of heap per run cached by
 * the worker (1,000 waiting alerts: ~650 MB). The schemas are needed only when a request arrives
 * (an operator's update or signal in a workflow; the CLI and HTTP edges), so a run that never
 * validates never loads zod.
 */
export function zod(): typeof ZodModule.z {
  return (require('./zod-module') as typeof ZodModule).z;
}

/**
 * A schema built on first use: the returned object stands in for the schema `build` returns (every
 * property read, `in`, `instanceof` and write goes to it; methods are bound to it), built once, when
 * first touched. Building is deterministic, so a workflow replays the same either way.
 */
export function lazySchema<S extends object>(build: () => S): S {
  let schema: S | undefined;
  const real = (): S => (schema ??= build());
  return new Proxy({} as S, {
    get(_, key) {
      const s = real();
      const value: unknown = Reflect.get(s, key, s);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(s) : value;
    },
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor(_, key) {
      const d = Reflect.getOwnPropertyDescriptor(real(), key);
      // The stand-in's own (empty) target has no such property: a proxy may only report it configurable.
      return d && { ...d, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
