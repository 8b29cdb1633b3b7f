import { z } from 'zod';

/** A node group size triple as EKS names it. Validated so that min ≤ desired ≤ max. */
export const sizeSchema = z
  .object({
    min: z.number().int().nonnegative(),
    desired: z.number().int().nonnegative(),
    max: z.number().int().positive(),
  })
  .strict()
  .refine((s) => s.min <= s.desired && s.desired <= s.max, {
    message: 'sizes must satisfy min <= desired <= max',
  });
export type Size = z.infer<typeof sizeSchema>;

export const interruptionPolicySchema = z
  .object({
    /**
     * How a replacement is requested for a spot instance of this group:
     * `raise-capacity` adds one to the group's desired size, `ec2-fleet` launches an instant
     * EC2 Fleet over diversified instance types.
     */
    strategy: z.enum(['raise-capacity', 'ec2-fleet']).default('raise-capacity'),
    /** What a rebalance recommendation does: replace proactively, or only notify. */
    onRebalance: z.enum(['act', 'notify']).default('notify'),
  })
  .strict();

export const nodegroupSchema = z
  .object({
    name: z.string().min(1).max(63),
    /**
     * `eks-managed`: an EKS managed node group (sized through UpdateNodegroupConfig).
     * `self-managed`: a plain Auto Scaling group named by `asgName` (sized through the ASG API).
     */
    kind: z.enum(['eks-managed', 'self-managed']).default('eks-managed'),
    asgName: z.string().min(1).optional(),
    capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND'),
    instanceTypes: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'an EC2 instance type such as m5.large')).min(1),
    /**
     * `desired`: eksflow owns desiredSize. `bounds`: a cluster autoscaler (Cluster Autoscaler,
     * Karpenter) owns desiredSize, so eksflow only moves min and max.
     */
    scalingMode: z.enum(['desired', 'bounds']).default('desired'),
    businessHours: sizeSchema,
    offHours: sizeSchema,
    /** Never scale below this many nodes, whatever the timetable says. */
    floor: z.number().int().nonnegative().default(0),
    /** Stateless groups are candidates for spot recommendations. */
    workload: z.enum(['stateless', 'stateful']).default('stateless'),
    interruption: interruptionPolicySchema.default({ strategy: 'raise-capacity', onRebalance: 'notify' }),
    /**
     * Metric whose forecast adjusts the morning scale-up (>30% predicted increase → +20% desired).
     * Without it the scale-up uses the configured size and records "forecast not configured".
     */
    /**
     * The CloudWatch metric that measures this group's load (CPU utilisation, request rate).
     * When set, the 07:30 analysis and the 08:00 scale-up use its demand forecast.
     */
    /**
     * Spot groups: before a scale-up, a pool of this group whose predicted spot price 24 h ahead
     * exceeds this fraction of its On-Demand price gets the spot placement's recommended
     * diversification in the plan's reason. Default 0.6 (spot saving under 40%).
     */
    spotPriceCeiling: z.number().gt(0).max(2).optional(),
    demandMetric: z
      .object({
        namespace: z.string().min(1),
        metricName: z.string().min(1),
        dimensions: z.array(z.object({ name: z.string().min(1), value: z.string().min(1) }).strict()).max(30).default([]),
        stat: z.string().min(1).default('Average'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((ng) => ng.kind !== 'self-managed' || ng.asgName, {
    message: 'a self-managed node group needs asgName',
    path: ['asgName'],
  });
export type NodegroupConfig = z.infer<typeof nodegroupSchema>;

export const clusterSchema = z
  .object({
    name: z.string().min(1).max(100),
    accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as ap-south-1'),
    /** Role to assume in the cluster's account; the default credential chain when absent. */
    roleArn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN').optional(),
    /** Kubernetes API access for cordon/drain; without it draining is skipped and recorded. */
    kubernetes: z
      .object({
        apiServer: z.string().url(),
        /** Name of the environment variable that holds a bearer token (never the token itself). */
        tokenEnv: z.string().min(1),
        caFile: z.string().optional(),
      })
      .strict()
      .optional(),
    nodegroups: z.array(nodegroupSchema).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.nodegroups.forEach((ng, i) => {
      if (seen.has(ng.name)) {
        ctx.addIssue({ code: 'custom', message: `duplicate node group name "${ng.name}"`, path: ['nodegroups', i, 'name'] });
      }
      seen.add(ng.name);
    });
  });
export type ClusterConfig = z.infer<typeof clusterSchema>;

/** The identity of an AWS target: which account and region, and how to get there. */
export interface AwsTarget {
  accountId: string;
  region: string;
  roleArn?: string;
}

/** The one schema of an AwsTarget handed to an activity (workflow input is an edge like any other). */
export const awsTargetSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/, 'accountId must be 12 digits'),
  region: z.string().min(1),
  roleArn: z.string().startsWith('arn:').optional(),
}) satisfies z.ZodType<AwsTarget>;
