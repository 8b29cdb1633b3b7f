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
    /**
     * The highest max an operator's override may set (with an explicit `--max`). Without it an
     * override stays within the configured max (the larger of businessHours.max and offHours.max).
     */
    maxOverride: z.number().int().positive().optional(),
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
        dimensions: z
          .array(z.object({ name: z.string().min(1), value: z.string().min(1) }).strict())
          .max(30)
          .default([]),
        stat: z.string().min(1).default('Average'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((ng) => ng.kind !== 'self-managed' || ng.asgName, {
    message: 'a self-managed node group needs asgName',
    path: ['asgName'],
  })
  .refine((ng) => ng.maxOverride === undefined || ng.maxOverride >= Math.max(ng.businessHours.max, ng.offHours.max), {
    message: 'maxOverride must be at least the configured max (businessHours.max, offHours.max)',
    path: ['maxOverride'],
  });
export type NodegroupConfig = z.infer<typeof nodegroupSchema>;

/**
 * How a node is drained (kubectl drain's rules). DaemonSet and mirror pods always stay.
 */
export const drainSchema = z
  .object({
    /** Scale-in drains give up (and report) after this long; a spot interruption uses its 120 s notice instead. */
    timeoutSeconds: z.number().int().positive().max(3600).default(300),
    /** Evict pods using emptyDir volumes (their data is lost), like `--delete-emptydir-data`. */
    deleteEmptyDirData: z.boolean().default(false),
    /** Evict pods no controller owns (nothing recreates them), like `--force`. */
    force: z.boolean().default(false),
  })
  .strict();
export type DrainRules = z.infer<typeof drainSchema>;

/**
 * Workload downscaling (what kube-downscaler does), driven by the timetable: at scale-down the
 * Deployments/StatefulSets in scope go to `replicas` (their original count is kept in an
 * annotation), at scale-up they come back. In scope: workloads or namespaces annotated
 * `eksflow.io/downscale: "true"`, plus the namespaces listed here; `eksflow.io/exclude` and
 * `eksflow.io/exclude-until` keep one out; `eksflow.io/uptime` / `eksflow.io/downtime` override the timetable.
 */
export const downscalingSchema = z
  .object({
    enabled: z.boolean().default(true),
    namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')).default([]),
    /** Namespaces never touched, whatever their annotations say. */
    excludeNamespaces: z.array(z.string()).default(['kube-system', 'kube-public', 'kube-node-lease']),
    /** Replica count during downtime (kube-downscaler's default is 0). */
    replicas: z.number().int().nonnegative().default(0),
  })
  .strict();
export type DownscalingConfig = z.infer<typeof downscalingSchema>;

/**
 * Kubernetes API access. Exactly one way to authenticate:
 * - `auth: eks` — EKS IAM authentication (the `k8s-aws-v1.` token `aws eks get-token` makes), with the
 *   endpoint and CA from DescribeCluster (or `apiServer`/`caFile` when given);
 * - `tokenEnv` / `tokenSecretId` — a bearer token from an environment variable or a Secrets Manager
 *   secret (names only, never the token), with `apiServer` and `caFile`;
 * - `kubeconfig` — a kubeconfig file (and optional context), for local use.
 */
export const kubernetesSchema = z
  .object({
    auth: z.enum(['eks', 'token', 'kubeconfig']).optional(),
    apiServer: z.string().url().optional(),
    /** Name of the environment variable that holds a bearer token (never the token itself). */
    tokenEnv: z.string().min(1).optional(),
    /** Secrets Manager secret id (name or ARN) whose SecretString is a bearer token. */
    tokenSecretId: z.string().min(1).optional(),
    caFile: z.string().optional(),
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    drain: drainSchema.default(drainSchema.parse({})),
    downscaling: downscalingSchema.optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    const auth = kubernetesAuthOf(k);
    if (auth === 'token') {
      if (!k.apiServer) ctx.addIssue({ code: 'custom', message: 'token auth needs apiServer', path: ['apiServer'] });
      if (!!k.tokenEnv === !!k.tokenSecretId)
        ctx.addIssue({
          code: 'custom',
          message: 'token auth needs exactly one of tokenEnv, tokenSecretId',
          path: ['tokenEnv'],
        });
    }
    if (auth === 'kubeconfig' && !k.kubeconfig)
      ctx.addIssue({ code: 'custom', message: 'kubeconfig auth needs kubeconfig (a file path)', path: ['kubeconfig'] });
    if (auth !== 'token' && (k.tokenEnv || k.tokenSecretId))
      ctx.addIssue({ code: 'custom', message: `tokenEnv/tokenSecretId do not apply to ${auth} auth`, path: ['auth'] });
    if (auth !== 'kubeconfig' && k.kubeconfig)
      ctx.addIssue({ code: 'custom', message: `kubeconfig does not apply to ${auth} auth`, path: ['auth'] });
  });
export type KubernetesConfig = z.infer<typeof kubernetesSchema>;

/** The auth mode a Kubernetes config selects: explicit `auth`, else kubeconfig > token > EKS IAM. */
export function kubernetesAuthOf(k: {
  auth?: 'eks' | 'token' | 'kubeconfig';
  kubeconfig?: string;
  tokenEnv?: string;
  tokenSecretId?: string;
}): 'eks' | 'token' | 'kubeconfig' {
  return k.auth ?? (k.kubeconfig ? 'kubeconfig' : k.tokenEnv || k.tokenSecretId ? 'token' : 'eks');
}

export const clusterSchema = z
  .object({
    name: z.string().min(1).max(100),
    accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as ap-south-1'),
    /** Role to assume in the cluster's account; the default credential chain when absent. */
    roleArn: z
      .string()
      .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN')
      .optional(),
    /** Kubernetes API access (drain, scale-in, workload checks and downscaling); without it those are skipped and recorded. */
    kubernetes: kubernetesSchema.optional(),
    nodegroups: z.array(nodegroupSchema).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.nodegroups.forEach((ng, i) => {
      if (seen.has(ng.name)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate node group name "${ng.name}"`,
          path: ['nodegroups', i, 'name'],
        });
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
