/**
 * The `scale_up_nodes` decision: one step more nodes, never above the group's max, never while the
 * cluster is paused, at most once per cooldown. In `bounds` mode (a cluster autoscaler owns
 * desired) the floor (min) is raised instead of desired.
 */
export function planScaleUp(input: {
  paused?: string;
  mode?: 'desired' | 'bounds';
  current: { min: number; desired: number; max: number };
  /** The largest size the config allows for the group (its business/off-hours max). */
  configuredMax: number;
  step: number;
  lastScaleUpMs?: number;
  cooldownMs: number;
  nowMs: number;
}): { apply: true; field: 'desired' | 'min'; value: number; desired: number } | { apply: false; reason: string } {
  if (input.paused) return { apply: false, reason: `cluster is paused (${input.paused})` };
  if (input.lastScaleUpMs !== undefined && input.nowMs - input.lastScaleUpMs < input.cooldownMs) {
    const left = Math.ceil((input.cooldownMs - (input.nowMs - input.lastScaleUpMs)) / 60_000);
    return {
      apply: false,
      reason: `cooldown: last health scale-up ${Math.round((input.nowMs - input.lastScaleUpMs) / 60_000)} min ago, ${left} min left`,
    };
  }
  const max = Math.min(input.current.max, input.configuredMax);
  const field = input.mode === 'bounds' ? 'min' : 'desired';
  const from = field === 'min' ? input.current.min : input.current.desired;
  if (from >= max) return { apply: false, reason: `already at max (${from}/${max})` };
  const value = Math.min(from + input.step, max);
  return { apply: true, field, value, desired: value };
}
