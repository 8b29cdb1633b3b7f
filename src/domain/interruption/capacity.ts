/**
 * Raising a group's capacity by one for a replacement, and undoing it after the interrupted
 * instance is gone. The raise is recorded on the Auto Scaling group itself as a tag keyed by the
 * interrupted instance (`eksflow:raise:<instance-id>`), so a retried activity, a restarted
 * worker or a second workflow run finds it and neither raises twice nor undoes twice.
 */
import type { NodegroupSize } from '../size';

/** An Auto Scaling group's size: the same triple as a node group's. */
export type GroupSize = NodegroupSize;

export const RAISE_TAG_PREFIX = 'eksflow:raise:';
export const REPLACEMENT_TAG = 'eksflow:replacement-for';
export const FALLBACK_TAG = 'eksflow:fallback-for';

export function raiseTagKey(instanceId: string): string {
  return `${RAISE_TAG_PREFIX}${instanceId}`;
}

/**
 * `raising` is written before the size change and `raised` after, so a crash in between is
 * finished by the retry with the recorded absolute target (idempotent) instead of adding again.
 * `undoing` likewise records the undo's absolute target before it is applied.
 */
export interface RaiseMarker {
  state: 'raising' | 'raised' | 'undoing';
  before: { desired: number; max: number };
  target: { desired: number; max: number };
}

/** Tag values allow letters, digits, spaces and `+-=._:/@`, hence this plain form: `raised:3:4:4:5`. */
export function encodeRaiseMarker(m: RaiseMarker): string {
  return [m.state, m.before.desired, m.before.max, m.target.desired, m.target.max].join(':');
}

export function decodeRaiseMarker(value: string | undefined): RaiseMarker | undefined {
  const m = /^(raising|raised|undoing):(\d+):(\d+):(\d+):(\d+)$/.exec(value ?? '');
  if (!m) return undefined;
  return {
    state: m[1] as RaiseMarker['state'],
    before: { desired: +m[2], max: +m[3] },
    target: { desired: +m[4], max: +m[5] },
  };
}

/** +1 desired; max goes up with it only when the group is at max (restored by the undo). */
export function planRaise(current: GroupSize): RaiseMarker {
  const desired = current.desired + 1;
  return {
    state: 'raising',
    before: { desired: current.desired, max: current.max },
    target: { desired, max: Math.max(current.max, desired) },
  };
}

/**
 * −1 desired from whatever the group has now (others may have scaled it meanwhile), never below
 * min; max goes back to what it was only if nobody changed it since the raise.
 */
export function planUndo(current: GroupSize, raised: RaiseMarker): RaiseMarker {
  const desired = Math.max(current.min, current.desired - 1);
  const maxUntouched = current.max === raised.target.max;
  const max = maxUntouched ? Math.max(raised.before.max, desired, current.min) : current.max;
  return { state: 'undoing', before: { desired: current.desired, max: current.max }, target: { desired, max } };
}
