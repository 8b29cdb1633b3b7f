import { runInNewContext } from 'node:vm';
import { asciiBundle } from '../../../src/build/ascii';

/** src/build/ascii.ts: the workflow bundle's non-ASCII characters as escapes that mean the same. */
describe('asciiBundle', () => {
  const source = [
    '// a comment — with a dash → and an arrow',
    'const s = "desired 2 → 3 — ok";',
    "const q = 'ø ≤ ±';",
    'const t = `${1} × ${2} … done`;',
    'const r = /^[–—]+$/.test("–—");',
    '({ s, q, t, r, n: "é".length, word: "naïve".normalize("NFD").length })',
  ].join('\n');

  it('leaves only ASCII, and the code computes the same values', () => {
    const out = asciiBundle(source);
    expect(out).toMatch(/^[\x00-\x7f]*$/);
    expect(out).toContain('\\u2192');
    expect(runInNewContext(out)).toEqual(runInNewContext(source));
    expect(runInNewContext(out)).toEqual({
      s: 'desired 2 → 3 — ok',
      q: 'ø ≤ ±',
      t: '1 × 2 … done',
      r: true,
      n: 1,
      word: 6,
    });
  });

  it('returns ASCII code as it is', () => {
    const code = 'const a = "plain";\n//# sourceMappingURL=data:application/json;base64,eyJ9';
    expect(asciiBundle(code)).toBe(code);
  });

  it('refuses what an escape would change: after a backslash, inside String.raw', () => {
    expect(() => asciiBundle('const a = "\\—";')).toThrow(/after a backslash/);
    expect(() => asciiBundle('const a = String.raw`a → b`;')).toThrow(/String\.raw/);
  });
});
