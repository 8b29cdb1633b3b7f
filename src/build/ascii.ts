/**
 * The workflow bundle with every non-ASCII character written as a `\uXXXX` escape. V8 keeps a
 * string with even one character above U+00FF as two bytes per character: ~100 dashes and arrows
 * (in comments and messages) made the 3.8 MB bundle a 7.5 MB string in both the worker's main
 * thread and its workflow thread. The escape means the same character in a string, template or
 * regular expression literal (all of them are in the Basic Multilingual Plane) and is plain text
 * in a comment. A non-ASCII character right after a backslash, or inside a String.raw template,
 * would change meaning: refused. Columns after an escaped character shift in the source map.
 */
export function asciiBundle(code: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c < 0x80) continue;
    if (code[i - 1] === '\\')
      throw new Error(`workflow bundle: a non-ASCII character after a backslash (offset ${i}) cannot be escaped`);
    out += code.slice(last, i) + `\\u${c.toString(16).padStart(4, '0')}`;
    last = i + 1;
  }
  const result = out + code.slice(last);
  if (last > 0 && /String\.raw`[^`]*\\u[0-9a-f]{4}/.test(result))
    throw new Error('workflow bundle: a non-ASCII character inside a String.raw template cannot be escaped');
  return result;
}
