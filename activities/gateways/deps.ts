import type { AwsClientFactory } from '../../src/aws/clients';
import type { AuditLog } from '../../src/audit';
import { ValidationError } from '../../src/errors';
import { diffSize, sizeViolation, type NodegroupSize, type PartialSize } from '../../src/domain/size';

/** What a gateway needs: clients (reads) and the audit log (every mutation it applies is recorded). */
export interface GatewayDeps {
  aws: AwsClientFactory;
  audit: AuditLog;
}

/** Result of a size change on a node group or an Auto Scaling group. */
export interface ApplySizeResult {
  changed: boolean;
  before: NodegroupSize;
  after: NodegroupSize;
  updateId?: string;
}

/**
 * The fields to write to reach `target` from `current` (undefined: nothing to do), after checking
 * that the result keeps min <= desired <= max — the one check both node groups and ASGs go through.
 */
export function planSizeChange(
  label: string,
  current: NodegroupSize,
  target: PartialSize,
): { changes?: PartialSize; after: NodegroupSize } {
  const planned = diffSize(current, target);
  const violation = sizeViolation(planned.after);
  if (violation) throw new ValidationError(`${label}: ${violation}`);
  return planned;
}
