import { z } from 'zod';
import { keepSchema } from './backups';

export const CLEANUP_KINDS = [
  'volumes',
  'snapshots',
  'elasticIps',
  'networkInterfaces',
  'launchTemplates',
  'instances',
] as const;
export type CleanupKindKey = (typeof CLEANUP_KINDS)[number];

const mode = z.enum(['report', 'tag', 'delete']);
export type CleanupMode = z.infer<typeof mode>;

const perKind = z
  .object(
    Object.fromEntries(CLEANUP_KINDS.map((k) => [k, mode.default('report')])) as Record<
      CleanupKindKey,
      z.ZodDefault<typeof mode>
    >,
  )
  .strict();

/**
 * The 19:00 resource cleanup. Two phases, because deleting is irreversible: a candidate is first
 * tagged `eksflow:cleanup-after=<time>`; a later run deletes it only when that time has passed
 * and it is still unused. `mode` per kind: `report` (default: list only), `tag` (phase one only)
 * or `delete` (both phases).
 */
export const cleanupSchema = z
  .object({
    /** One mode for every kind, or per kind; kinds not named stay `report`. */
    mode: z
      .union([mode, perKind])
      .default('report')
      .transform((m) =>
        typeof m === 'string'
          ? (Object.fromEntries(CLEANUP_KINDS.map((k) => [k, m])) as Record<CleanupKindKey, CleanupMode>)
          : m,
      ),
    /** Time between tagging a candidate and deleting it. */
    graceHours: z
      .number()
      .min(0)
      .max(24 * 90)
      .default(24),
    /** Unattached volumes older than this are candidates. */
    volumeMinAgeDays: z.number().min(0).max(3650).default(7),
    /**
     * Unattached volumes created for a Kubernetes PVC (`kubernetes.io/created-for/pvc/name`) may
     * still be bound to it (a StatefulSet scaled to zero): candidates only when this is true.
     */
    includePvcVolumes: z.boolean().default(false),
    /** `available` network interfaces are deleted only after being seen unused this long. */
    networkInterfaceMinAgeHours: z
      .number()
      .min(0)
      .max(24 * 365)
      .default(6),
    /** An instance eksflow launched that has not joined the cluster after this long has no purpose. */
    instanceJoinGraceMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    /** Retention of snapshots whose policy (`eksflow:backup-policy`) is not the configured backups policy. */
    unknownPolicyKeep: keepSchema.optional(),
  })
  .strict();

export type CleanupConfig = z.infer<typeof cleanupSchema>;
export const DEFAULT_CLEANUP: CleanupConfig = cleanupSchema.parse({});
