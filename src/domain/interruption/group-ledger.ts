/**
 * The capacity an Auto Scaling group owes to eksflow's interruption responses, as kept by the
 * group's one writer (`asg/<account>/<region>/<name>`, workflows/interruption/asg-capacity.ts).
 * Raises and releases that arrive together become one size change; the temporary max raise is
 * owned here and given back when the last raise is released.
 */
import type { GroupSize } from './capacity';

export interface GroupLedger {
  /** Units of desired capacity eksflow added and has not given back yet. */
  outstanding: number;
  /** The group's max before eksflow lifted it; undefined when eksflow has not lifted it. */
  maxBefore?: number;
  /** The max eksflow last set (a different max on the group means someone else changed it). */
  maxSet?: number;
}

export const EMPTY_LEDGER: GroupLedger = { outstanding: 0 };

export interface CapacityBatchPlan {
  target: { desired: number; max: number };
  ledger: GroupLedger;
}

/**
 * One batch: `up` units raised (or attached), `down` released, from the group's size `before`.
 * Desired moves by the net amount from whatever the group has now (others may have scaled it),
 * never below min; max is lifted only as far as desired needs, and comes back down towards the
 * max it had before as raises are released — unless someone else changed max meanwhile, in
 * which case their max stands and eksflow forgets its own.
 */
export function planCapacityBatch(before: GroupSize, ledger: GroupLedger, up: number, down: number): CapacityBatchPlan {
  if (up < 0 || down < 0) throw new Error('a batch raises and releases non-negative amounts');
  const desired = Math.max(before.min, before.desired + up - down);
  const outstanding = Math.max(0, ledger.outstanding + up - down);
  let maxBefore = ledger.maxBefore !== undefined && before.max === ledger.maxSet ? ledger.maxBefore : undefined;
  let max = before.max;
  if (desired > max) {
    maxBefore ??= before.max;
    max = desired;
  } else if (maxBefore !== undefined) {
    max = Math.max(maxBefore, desired, before.min);
  }
  if (maxBefore !== undefined && (outstanding === 0 || max === maxBefore)) {
    max = Math.max(maxBefore, desired, before.min);
    maxBefore = undefined;
  }
  return {
    target: { desired, max },
    ledger: { outstanding, ...(maxBefore !== undefined ? { maxBefore, maxSet: max } : {}) },
  };
}

/**
 * The group's size before a batch, recorded on the group (`eksflow:capacity-batch` tag) before
 * the batch is applied, so a retried batch (a worker killed mid-way) plans from the same size
 * and sets the same absolute target instead of adding twice. Tag value: `<batchId>:<min>:<desired>:<max>`.
 */
export const BATCH_TAG = 'eksflow:capacity-batch';

export function encodeBatchMarker(batchId: string, before: GroupSize): string {
  return [batchId, before.min, before.desired, before.max].join(':');
}

export function decodeBatchMarker(value: string | undefined): { batchId: string; before: GroupSize } | undefined {
  const m = /^([A-Za-z0-9._/@=+-]+):(\d+):(\d+):(\d+)$/.exec(value ?? '');
  return m ? { batchId: m[1]!, before: { min: +m[2]!, desired: +m[3]!, max: +m[4]! } } : undefined;
}
