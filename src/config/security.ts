import { z } from 'zod';

const instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/,
    'a date (YYYY-MM-DD) or an ISO-8601 time with zone',
  )
  // Date.parse rolls 2027-02-30 over to March; the calendar date must survive a round trip.
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(s)) &&
      new Date(`${s.slice(0, 10)}T00:00:00Z`).toISOString().slice(0, 10) === s.slice(0, 10),
    'not a real date',
  );

/**
 * A finding accepted on purpose until a date. `id` is a finding id (`EC2.SG_OPEN_INGRESS:sg-…/tcp/22-22/0.0.0.0/0`)
 * or a rule id (`EKS.PUBLIC_ENDPOINT`); with a rule id, `resource` narrows it to one resource.
 */
export const suppressionSchema = z
  .object({
    id: z.string().min(3),
    resource: z.string().min(1).optional(),
    reason: z.string().min(3, 'say why the finding is accepted'),
    /** Until when (exclusive); a date means midnight UTC at its start. Expired suppressions are reported. */
    until: instant,
  })
  .strict();
export type Suppression = z.infer<typeof suppressionSchema>;

/** The nightly security scan (03:00 IST). */
export const securitySchema = z
  .object({
    /** TCP ports a node security group may open to the internet (0.0.0.0/0, ::/0). */
    allowedPublicPorts: z.array(z.number().int().min(0).max(65535)).default([443]),
    /** Kubernetes standard support ending within this many days is reported (low). */
    versionWarningDays: z.number().int().min(0).max(365).default(60),
    /**
     * SSM public parameter with the latest EKS optimized AMI release for a Kubernetes version;
     * `{version}` and `{amiFamily}` are filled in (amiFamily `amazon-linux-2023/x86_64/standard` by default).
     */
    amiReleaseParameter: z
      .string()
      .regex(/\{version\}/, 'must contain {version}')
      .default('/aws/service/eks/optimized-ami/{version}/{amiFamily}/recommended/release_version'),
    /** Findings AWS services already produce, merged when enabled in the account. */
    sources: z
      .object({
        inspector2: z.boolean().default(false),
        securityHub: z.boolean().default(false),
        /** ECR scan findings of the images running in the cluster (from the Kubernetes API when configured, plus `ecrImages`). */
        ecr: z.boolean().default(false),
      })
      .strict()
      .default({ inspector2: false, securityHub: false, ecr: false }),
    /** Images to check in ECR besides those seen running (repository:tag or repository@sha256:…). */
    ecrImages: z
      .array(
        z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9._/-]*(:[\w.-]+|@sha256:[a-f0-9]{64})$/,
            'repository:tag or repository@sha256:digest',
          ),
      )
      .default([]),
    suppress: z.array(suppressionSchema).default([]),
  })
  .strict();
export type SecurityConfig = z.infer<typeof securitySchema>;
