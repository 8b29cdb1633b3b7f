/** Kubernetes resource quantities ("500m", "2", "512Mi", "1G") in CPU millicores and bytes. */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Parses a quantity into its base unit (cores for CPU, bytes for memory). Throws on garbage. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) throw new Error(`not a Kubernetes quantity: "${q}"`);
  const [, num, suffix] = m;
  const mult = BINARY[suffix!] ?? DECIMAL[suffix!];
  if (mult === undefined) throw new Error(`unknown quantity suffix in "${q}"`);
  return Number(num) * mult;
}

export function cpuMillis(q: string | number | undefined): number {
  return q === undefined ? 0 : Math.round(parseQuantity(q) * 1000);
}

export function memoryBytes(q: string | number | undefined): number {
  return q === undefined ? 0 : Math.round(parseQuantity(q));
}
