/**
 * Graviton (arm64) families that do the same job as an x86 family, in order of preference. Same
 * size suffix, same vCPU and memory (c5n's extra network memory has no Graviton twin of equal size,
 * so it is not mapped).
 */
const GRAVITON_FAMILIES: Record<string, string[]> = {
  m5: ['m6g', 'm7g'],
  m5a: ['m6g', 'm7g'],
  m5n: ['m6g', 'm7g'],
  m6i: ['m7g', 'm6g'],
  m6a: ['m7g', 'm6g'],
  c5: ['c6g', 'c7g'],
  c5a: ['c6g', 'c7g'],
  c6i: ['c7g', 'c6g'],
  c6a: ['c7g', 'c6g'],
  r5: ['r6g', 'r7g'],
  r5a: ['r6g', 'r7g'],
  r6i: ['r7g', 'r6g'],
  t3: ['t4g'],
  t3a: ['t4g'],
};

export function isGravitonType(instanceType: string): boolean {
  const family = instanceType.split('.')[0];
  return /^[a-z]+\d+g[a-z]*$/.test(family);
}

/** Graviton instance types equivalent to `instanceType`, e.g. m5.large → [m6g.large, m7g.large]. */
export function gravitonEquivalents(instanceType: string): string[] {
  const [family, size] = instanceType.split('.');
  if (!size) return [];
  return (GRAVITON_FAMILIES[family] ?? []).map((f) => `${f}.${size}`);
}
