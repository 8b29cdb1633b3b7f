import type { NodegroupSize } from '../size';
import { clamp } from './plan';

/**
 * The sizes of an N-step gradual move from `start` to `target`: each field moves linearly,
 * rounded towards `start` (a scale-down keeps the extra node until the next step), and the
 * last step is exactly `target`. Desired is kept within each step's [min, max].
 */
export function gradualSteps(start: NodegroupSize, target: NodegroupSize, steps: number): NodegroupSize[] {
  const n = Math.max(1, Math.floor(steps));
  const at = (from: number, to: number, i: number) => {
    if (i === n) return to;
    const exact = to + ((from - to) * (n - i)) / n;
    return (from >= to ? Math.ceil(exact - 1e-9) : Math.floor(exact + 1e-9)) + 0; // + 0: never -0
  };
  const out: NodegroupSize[] = [];
  for (let i = 1; i <= n; i++) {
    const min = at(start.min, target.min, i);
    const max = Math.max(at(start.max, target.max, i), min);
    out.push({ min, desired: clamp(at(start.desired, target.desired, i), min, max), max });
  }
  return out;
}

/**
 * When each step runs, as offsets from the start of the window: N steps spread so the first is
 * at the start and the last at the end (18:00, 18:15, 18:30 for 3 steps over 30 minutes).
 */
export function stepOffsetsMs(steps: number, windowMs: number): number[] {
  const n = Math.max(1, Math.floor(steps));
  if (n === 1) return [0];
  return Array.from({ length: n }, (_, i) => Math.round((windowMs * i) / (n - 1)));
}
