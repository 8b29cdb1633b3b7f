/** Small numeric helpers shared by the models and their evaluation. */

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function meanAbsoluteError(actual: readonly number[], forecast: readonly number[]): number {
  const n = Math.min(actual.length, forecast.length);
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(actual[i] - forecast[i]);
  return sum / n;
}

/** Linear-interpolated quantile (type 7, as numpy's default) of an unsorted sample. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/**
 * The MASE scale: in-sample mean absolute error of the one-step naive forecast on the training
 * part (Hyndman & Koehler 2006). Errors divided by it are comparable across series.
 */
export function naiveScale(history: readonly number[], lag = 1): number {
  if (history.length <= lag) return Number.NaN;
  let sum = 0;
  for (let i = lag; i < history.length; i++) sum += Math.abs(history[i] - history[i - lag]);
  return sum / (history.length - lag);
}

/** Deterministic PRNG (mulberry32): synthetic data and tests must be reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform source (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-12);
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}
