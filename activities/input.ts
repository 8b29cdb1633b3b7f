import { z } from 'zod';
import { ValidationError } from '../src/errors';

/**
 * The one input parser of activities: zod at the edge, a ValidationError (non-retryable) naming
 * the activity and each bad field, e.g. `forecastNodegroupDemand: invalid input: target.accountId: …`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
  throw new ValidationError(`${what}: invalid input: ${detail}`);
}

/** A (partial) node group / Auto Scaling group size as activities accept it. */
export const partialSizeSchema = z.object({
  min: z.number().int().nonnegative().optional(),
  desired: z.number().int().nonnegative().optional(),
  max: z.number().int().positive().optional(),
});

/** Client request token `<workflowId>-<step>` (EKS accepts at most 64 characters). */
export const requestTokenSchema = z.string().min(1).max(64);
