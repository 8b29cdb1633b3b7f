/** A node group's scaling configuration as EKS names it. */
export interface NodegroupSize {
  min: number;
  desired: number;
  max: number;
}
export type PartialSize = Partial<NodegroupSize>;

/**
 * What must change to reach `target` from `current`: only the fields that differ, or
 * `undefined` when nothing does (the no-op that makes a retry safe).
 */
export function diffSize(current: NodegroupSize, target: PartialSize): { changes?: PartialSize; after: NodegroupSize } {
  const after: NodegroupSize = {
    min: target.min ?? current.min,
    desired: target.desired ?? current.desired,
    max: target.max ?? current.max,
  };
  const changes: PartialSize = {};
  for (const k of ['min', 'desired', 'max'] as const) if (after[k] !== current[k]) changes[k] = after[k];
  return { changes: Object.keys(changes).length ? changes : undefined, after };
}

export function sizesEqual(a: NodegroupSize, b: NodegroupSize): boolean {
  return a.min === b.min && a.desired === b.desired && a.max === b.max;
}

/** Why a size is impossible (`min <= desired <= max` broken), or undefined when it is fine. */
export function sizeViolation(size: NodegroupSize): string | undefined {
  if (size.min > size.max || size.desired < size.min || size.desired > size.max)
    return `size ${JSON.stringify(size)} violates min <= desired <= max`;
  return undefined;
}
