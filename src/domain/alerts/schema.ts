import type { z } from 'zod';
import { lazySchema, zod } from '../lazy-zod';
import { MAX_DEDUP_KEY_LENGTH } from './dedup';

/**
 * AlertInput as it arrives from workflows, the CLI or HTTP: parsed at the edge. The schemas here
 * are built on first use (src/domain/lazy-zod.ts): the alert workflow imports this module, and a
 * waiting alert parses nothing.
 */
export const alertInputSchema = lazySchema(() => {
  const z = zod();
  return z
    .object({
      severity: z.enum(['critical', 'warning', 'info'], { message: 'severity must be one of critical, warning, info' }),
      type: z
        .string()
        .min(1)
        .max(128)
        .regex(/^[A-Za-z0-9_.:-]+$/, 'type: letters, digits, _ . : -'),
      dedupKey: z.string().trim().min(1).max(1024),
      summary: z.string().trim().min(1).max(1024),
      cluster: z.string().min(1).max(256).optional(),
      details: z.record(z.string().max(128), z.union([z.string().max(2000), z.number(), z.boolean()])).optional(),
      links: z
        .array(z.object({ label: z.string().min(1).max(75), url: z.string().url() }))
        .max(5)
        .optional(),
      source: z.object({ workflowId: z.string(), runId: z.string(), workflowType: z.string() }).optional(),
    })
    .strict();
});

export const ackSchema = lazySchema(() => {
  const z = zod();
  return z
    .object({
      by: z.string().trim().min(1).max(128).default('unknown'),
      via: z.enum(['cli', 'http', 'pagerduty', 'slack', 'api']).default('api'),
    })
    .strict();
});
export type AckInput = z.input<typeof ackSchema>;
export const resolveSchema = lazySchema(() => ackSchema.extend({ note: zod().string().max(1024).optional() }));
export type ResolveInput = z.input<typeof resolveSchema>;

export { MAX_DEDUP_KEY_LENGTH };
