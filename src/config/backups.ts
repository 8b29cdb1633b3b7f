import { z } from 'zod';

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as ap-south-1');
const count = z.number().int().min(0).max(1000);

/** The kinds the cluster-state export can take (Secrets only through `includeSecrets`). */
export const CLUSTER_STATE_KINDS = [
  'Deployment',
  'StatefulSet',
  'Service',
  'ConfigMap',
  'CustomResourceDefinition',
] as const;
export type ClusterStateKind = (typeof CLUSTER_STATE_KINDS)[number];

/**
 * The cluster-state export of the nightly backup: for each cluster with Kubernetes access, the
 * namespaced objects of the selected kinds (and the CRDs) as JSON in S3 under a dated prefix, each
 * object with its SHA-256 (object metadata and the run's manifest).
 */
export const clusterStateSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Destination bucket; `{accountId}` and `{region}` are the cluster's. */
    bucket: z
      .string()
      .refine(
        (b) =>
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(
            b.replace('{accountId}', '123456789012').replace('{region}', 'ap-south-1'),
          ),
        'an S3 bucket name (placeholders {accountId} and {region} allowed)',
      )
      .default('eksflow-backups-{accountId}-{region}'),
    /** Objects land under `<prefix>/<cluster>/<YYYY-MM-DD (IST)>/<kind>.json`. */
    prefix: z
      .string()
      .regex(/^[\w.-]+(\/[\w.-]+)*$/, 'a key prefix without leading or trailing slash')
      .default('cluster-state'),
    kinds: z
      .array(z.enum(CLUSTER_STATE_KINDS))
      .min(1)
      .default([...CLUSTER_STATE_KINDS]),
    /** Namespaces to export (all when absent). */
    namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name')).optional(),
    /** Export Secrets too, encrypted client-side with a data key from `kmsKeyId` (never in clear). */
    includeSecrets: z.boolean().default(false),
    kmsKeyId: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => !c.includeSecrets || !!c.kmsKeyId, {
    message: 'includeSecrets needs kmsKeyId (Secrets are only exported encrypted with KMS)',
    path: ['kmsKeyId'],
  });
export type ClusterStateConfig = z.infer<typeof clusterStateSchema>;

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
        /** The drill's own schedule (`restore-drill`, 05:00 IST) runs on this day of the month; 0 = never. */
        dayOfMonth: z.number().int().min(0).max(28).default(1),
        /** AZ for the test volume; the snapshot's volume AZ when absent. */
        availabilityZone: z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone such as ap-south-1a')
          .optional(),
      })
      .strict()
      .default({ dayOfMonth: 1 }),
    clusterState: clusterStateSchema.default(clusterStateSchema.parse({})),
  })
  .strict()
  .refine((b) => b.keep.daily + b.keep.weekly + b.keep.monthly > 0, {
    message: 'keep must retain at least one snapshot',
    path: ['keep'],
  });

export type BackupsConfig = z.infer<typeof backupsSchema>;
export const DEFAULT_BACKUPS: BackupsConfig = backupsSchema.parse({});
