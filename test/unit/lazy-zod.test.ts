/**
 * src/domain/lazy-zod.ts: schemas built on first use, and the workflow graph (workflows/index.ts,
 * everything the workflow bundle evaluates once per cached run) importing no zod until a schema is
 * used.
 */
import { z } from 'zod';
import { lazySchema } from '../../src/domain/lazy-zod';
import type * as AlertSchema from '../../src/domain/alerts/schema';

describe('lazySchema', () => {
  const build = () => z.object({ by: z.string().min(1).default('unknown'), n: z.number().int().optional() }).strict();

  it('builds the schema once, on first use, never at creation', () => {
    const spy = jest.fn(build);
    const s = lazySchema(spy);
    expect(spy).not.toHaveBeenCalled();
    expect(s.safeParse({}).success).toBe(true);
    expect(s.parse({ n: 2 })).toEqual({ by: 'unknown', n: 2 });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('parses, fails and derives exactly like the schema it stands in for', () => {
    const s = lazySchema(build);
    const real = build();
    for (const input of [{}, { by: '' }, { n: 1.5 }, { extra: 1 }, 'x', { by: 'ops', n: 3 }]) {
      const a = s.safeParse(input);
      const b = real.safeParse(input);
      expect(a.success).toBe(b.success);
      expect(a.success ? a.data : a.error.issues).toEqual(b.success ? b.data : b.error.issues);
    }
    expect(() => s.parse({ n: 'x' })).toThrow(z.ZodError);
    // Derived schemas are real zod schemas.
    const extended = s.extend({ note: z.string() });
    expect(extended).toBeInstanceOf(z.ZodObject);
    expect(extended.safeParse({ note: 'x' })).toEqual({ success: true, data: { by: 'unknown', note: 'x' } });
    expect(s.omit({ n: true }).safeParse({ n: 1 }).success).toBe(false);
    expect(s.partial().safeParse({}).success).toBe(true);
  });

  it('answers instanceof, `in` and key listing as the schema', () => {
    const s = lazySchema(build);
    expect(s).toBeInstanceOf(z.ZodObject);
    expect(s).toBeInstanceOf(z.ZodType);
    expect('shape' in s).toBe(true);
    expect(Object.keys(s.shape)).toEqual(['by', 'n']);
    expect(Object.keys(s).sort()).toEqual(Object.keys(build()).sort());
    // As a member of another schema (zod reads the stand-in's internals through the proxy).
    const outer = z.object({ req: s });
    expect(outer.safeParse({ req: {} })).toEqual({ success: true, data: { req: { by: 'unknown' } } });
    expect(outer.safeParse({ req: { by: 1 } }).success).toBe(false);
  });
});

describe('the workflow graph', () => {
  /** Loads `load` in a fresh module registry; says whether zod was evaluated meanwhile. */
  function loadsZod(load: () => void): boolean {
    let loaded = false;
    jest.isolateModules(() => {
      jest.doMock('zod', () => {
        loaded = true;
        return jest.requireActual('zod');
      });
      load();
    });
    return loaded;
  }

  it('imports no zod until a schema is used (each cached workflow run would evaluate it)', () => {
    expect(loadsZod(() => require('../../workflows'))).toBe(false);
    // The schemas the workflows use still work, loading zod on first use.
    let parsed: unknown;
    expect(
      loadsZod(() => {
        require('../../workflows');
        const { ackSchema } = require('../../src/domain/alerts/schema') as typeof AlertSchema;
        parsed = ackSchema.parse({ by: 'ops' });
      }),
    ).toBe(true);
    expect(parsed).toEqual({ by: 'ops', via: 'api' });
  });

  it('notices a module-level zod import (the check above can fail)', () => {
    expect(loadsZod(() => require('../../src/domain/pricing/spot-advisor'))).toBe(true);
  });
});
