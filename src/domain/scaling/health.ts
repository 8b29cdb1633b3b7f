import type { NodegroupConfig } from '../../config/clusters';
import type { GroupReading } from './types';

/**
 * Why a node group is not where the 08:00 run should have put it, or [] when healthy. The
 * business target may have been raised by the forecast, so "reached" means at least the target.
 */
export function healthProblems(
  ng: NodegroupConfig,
  reading: GroupReading,
  target: { min: number; desired: number; max: number },
): string[] {
  const problems: string[] = [];
  if (reading.status !== 'ACTIVE') problems.push(`status ${reading.status}, not ACTIVE`);
  if (ng.scalingMode === 'bounds') {
    if (reading.size.min !== target.min || reading.size.max !== target.max)
      problems.push(`bounds ${reading.size.min}..${reading.size.max}, expected ${target.min}..${target.max}`);
    if (reading.inService < reading.size.min)
      problems.push(`${reading.inService} instances InService < min ${reading.size.min}`);
  } else {
    if (reading.size.desired < target.desired)
      problems.push(`desired ${reading.size.desired} < target ${target.desired}`);
    if (reading.inService !== reading.size.desired)
      problems.push(`${reading.inService} instances InService, desired ${reading.size.desired}`);
  }
  return problems;
}
