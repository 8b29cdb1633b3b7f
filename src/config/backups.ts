import { z } from 'zod';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as ap-south-1');
const count = z.number().int().min(0).max(1000);

export const keepSchema = z
  .object({
    daily: count.default(7),
    weekly: count.default(4),
    monthly: count.default(12),
  })
  .strict();

/**
 * The nightly EBS backup (02:00 IST). Volumes of each cluster are selected by tags, snapshotted
 * with eksflow's tags, waited for until `completed`, optionally copied to a DR region, and
 * retained grandfather-father-son over eksflow's own snapshots only.
 */
export const backupsSchema = z
  .object({
    /** Name written on every snapshot (`eksflow:backup-policy`); cleanup finds the retention by it. */
    policy: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a policy name (letters, digits, . _ -)')
      .default('daily'),
    keep: keepSchema.default(keepSchema.parse({})),
    selector: z
      .object({
        /** A volume with any of these tag keys is selected (default: the EBS CSI driver's). */
        anyOfTagKeys: z
          .array(z.string().min(1).max(128))
          .default(['kubernetes.io/created-for/pvc/name', 'ebs.csi.aws.com/cluster']),
        /** A volume with any of these key=value tags is selected too. */
        tags: z.array(z.object({ key: z.string().min(1).max(128), value: z.string().max(256) }).strict()).default([]),
      })
      .strict()
      .default({ anyOfTagKeys: ['kubernetes.io/created-for/pvc/name', 'ebs.csi.aws.com/cluster'], tags: [] }),
    /** Copy every new snapshot to this region (CopySnapshot), retained by the same policy there. */
    drRegion: region.optional(),
    /** KMS key for the DR copies (the destination region's key); the account default when absent. */
    drKmsKeyId: z.string().min(1).optional(),
    /** How often the workflow checks a snapshot's state while it is pending. */
    pollSeconds: z.number().int().min(1).max(3600).default(60),
    /** A snapshot not `completed` after this long fails the volume's backup (and alerts). */
    waitTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(6 * 60),
    restoreDrill: z
      .object({
        /** The drill runs after the backup on this day of the month (IST); 0 = never. */
        dayOfMonth: z.number().int().min(0).max(28).default(1),
        /** AZ for the test volume; the snapshot's volume AZ when absent. */
        availabilityZone: z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone such as ap-south-1a')
          .optional(),
      })
      .strict()
      .default({ dayOfMonth: 1 }),
  })
  .strict()
  .refine((b) => b.keep.daily + b.keep.weekly + b.keep.monthly > 0, {
    message: 'keep must retain at least one snapshot',
    path: ['keep'],
  });

export type BackupsConfig = z.infer<typeof backupsSchema>;
export const DEFAULT_BACKUPS: BackupsConfig = backupsSchema.parse({});
