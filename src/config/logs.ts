import { z } from 'zod';

/** The retention values CloudWatch Logs accepts (PutRetentionPolicy rejects anything else). */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Nightly log archival (04:00 IST): yesterday's events of each cluster's log groups → S3, then retention. */
export const logsSchema = z
  .object({
    /**
     * Destination bucket; `{accountId}` and `{region}` are filled in (CreateExportTask needs a
     * bucket in the log group's region, with a policy that lets logs.<region>.amazonaws.com write).
     */
    bucket: z
      .string()
      .refine(
        (b) =>
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(
            b.replace('{accountId}', '123456789012').replace('{region}', 'ap-south-1'),
          ),
        'an S3 bucket name (placeholders {accountId} and {region} allowed)',
      )
      .default('eksflow-logs-{accountId}-{region}'),
    /** Key prefix; objects land under `<prefix>/<cluster>/<group>/<YYYY>/<MM>/<DD>/`. */
    prefix: z
      .string()
      .regex(/^[\w.-]+(\/[\w.-]+)*$/, 'a key prefix without leading or trailing slash')
      .default('eksflow-logs'),
    /** Log group name prefixes per cluster; `{cluster}` is the cluster name. */
    groupPrefixes: z
      .array(z.string().min(1).regex(/^\//, 'a log group prefix starts with /'))
      .min(1)
      .default(['/aws/eks/{cluster}/cluster', '/aws/containerinsights/{cluster}/']),
    /** Retention set on every archived group after its export completed. */
    retentionDays: z
      .number()
      .int()
      .refine((d) => (RETENTION_DAYS as readonly number[]).includes(d), `one of ${RETENTION_DAYS.join(', ')}`)
      .default(30),
    /** Days before yesterday that are also exported when an earlier run did not finish them. */
    catchUpDays: z.number().int().min(0).max(14).default(2),
    /** Interval of the durable status polls of a running export task. */
    pollSeconds: z.number().int().min(5).max(3600).default(30),
    /** Attempts per export (a FAILED or CANCELLED task is started again up to this many times). */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** An export still not COMPLETED after this long is cancelled and counted as failed. */
    exportTimeoutMinutes: z
      .number()
      .int()
      .min(5)
      .max(24 * 60)
      .default(120),
  })
  .strict()
  // Retention shorter than the catch-up window would let CloudWatch delete days not yet archived.
  .refine((l) => l.retentionDays > l.catchUpDays + 1, {
    message: 'must be longer than catchUpDays + 1, or unarchived days expire before a catch-up run exports them',
    path: ['retentionDays'],
  });
export type LogsConfig = z.infer<typeof logsSchema>;
