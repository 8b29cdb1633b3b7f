/** The Parameter Store name of an environment's config. */
export function configParameterName(env: string): string {
  return `/eksflow/${env}/config`;
}

export type DiffLine = { op: ' ' | '-' | '+'; text: string };

/** Line diff (longest common subsequence): `-` only in `a`, `+` only in `b`. */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a.replace(/\n$/, '').split('\n');
  const y = b.replace(/\n$/, '').split('\n');
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', text: x[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: '-', text: x[i++]! });
    else out.push({ op: '+', text: y[j++]! });
  }
  while (i < n) out.push({ op: '-', text: x[i++]! });
  while (j < m) out.push({ op: '+', text: y[j++]! });
  return out;
}

/** The changed lines with `context` lines around them, `…` between hunks; empty when equal. */
export function renderDiff(lines: DiffLine[], context = 2): string {
  const changed = lines.map((l, k) => (l.op !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return '';
  const keep = new Set<number>();
  for (const k of changed) for (let d = -context; d <= context; d++) keep.add(k + d);
  const out: string[] = [];
  let last = -2;
  lines.forEach((l, k) => {
    if (!keep.has(k)) return;
    if (last >= 0 && k !== last + 1) out.push('…');
    out.push(`${l.op}${l.text}`);
    last = k;
  });
  return `${out.join('\n')}\n`;
}
