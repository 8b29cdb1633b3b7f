/**
 * Turning metric datapoints (CloudWatch returns only the periods that had data) into the regular
 * series the forecaster expects.
 */

export interface MetricPoint {
  /** epoch ms */
  t: number;
  value: number;
}

/**
 * Values on the grid `first point, first + step, …` up to the last point. A period without data
 * repeats the last value seen (a metric that was not reported did not jump to zero); several
 * points in one period are averaged. Points need not be sorted.
 */
export function regularise(points: readonly MetricPoint[], stepMs: number): { start: number; values: number[] } {
  const valid = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.value)).sort((a, b) => a.t - b.t);
  if (valid.length === 0) return { start: Number.NaN, values: [] };
  const start = valid[0].t;
  const slots = Math.floor((valid[valid.length - 1].t - start) / stepMs) + 1;
  const sums = new Float64Array(slots);
  const counts = new Int32Array(slots);
  for (const p of valid) {
    const slot = Math.min(slots - 1, Math.floor((p.t - start) / stepMs));
    sums[slot] += p.value;
    counts[slot]++;
  }
  const values: number[] = new Array(slots);
  let previous = valid[0].value;
  for (let i = 0; i < slots; i++) {
    if (counts[i] > 0) previous = sums[i] / counts[i];
    values[i] = previous;
  }
  return { start, values };
}
