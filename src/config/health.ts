import { z } from 'zod';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as PROM_TOKEN');
const checkName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a check name: lower-case letters, digits and -');

export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export const HEALTH_ACTIONS = ['alert', 'scale_up_nodes', 'create_jira_ticket', 'update_metrics'] as const;
export type HealthAction = (typeof HEALTH_ACTIONS)[number];

/**
 * How a Prometheus answers: an optional bearer token (by env-var name or Secrets Manager id, never
 * the token itself), or SigV4 for Amazon Managed Service for Prometheus (the workspace's query URL).
 */
export const prometheusAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({ type: z.literal('bearer'), tokenEnv: envName.optional(), secretId: z.string().min(1).optional() })
    .strict()
    .refine((a) => Boolean(a.tokenEnv) !== Boolean(a.secretId), {
      message: 'give exactly one of tokenEnv or secretId',
    }),
  z
    .object({
      type: z.literal('sigv4'),
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region')
        .optional(),
      service: z.string().default('aps'),
    })
    .strict(),
]);
export type PrometheusAuth = z.infer<typeof prometheusAuthSchema>;

export const prometheusEndpointSchema = z
  .object({
    /** Base URL: `http://prometheus:9090` or an AMP workspace URL `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>`. */
    url: z.string().url(),
    auth: prometheusAuthSchema.default({ type: 'none' }),
    /**
     * Label matchers that pick this cluster's series out of a shared Prometheus (e.g. `cluster="prod-eu"`),
     * put where a query says `{{selector}}`. Empty for a Prometheus that serves one cluster.
     */
    selector: z
      .string()
      .max(500)
      .regex(/^[^{}]*$/, 'matchers without braces, e.g. cluster="prod-eu"')
      .default(''),
    timeoutSeconds: z.number().positive().max(120).default(10),
  })
  .strict();
export type PrometheusEndpoint = z.infer<typeof prometheusEndpointSchema>;

export const healthCheckSchema = z
  .object({
    name: checkName,
    description: z.string().max(300).optional(),
    /** PromQL; a vector result is reduced to its largest sample, so aggregate in the query. */
    query: z.string().min(1).max(4000),
    operator: z.enum(OPERATORS),
    threshold: z.number(),
    /** The condition must hold for this many consecutive evaluations before the check fires. */
    for: z.number().int().min(1).max(1000).default(1),
    /** Consecutive healthy evaluations before a firing check resolves (a flapping check stays one incident). */
    resolveAfter: z.number().int().min(1).max(1000).default(2),
    severity: z.enum(['critical', 'warning', 'info']),
    /** Overrides the severity's default actions (health.severityActions). */
    actions: z.array(z.enum(HEALTH_ACTIONS)).optional(),
    /**
     * An empty or non-numeric result: `nodata` (its own state, a warning alert), `ok` (absence is
     * health, e.g. no autoscaler installed), `firing` (absence is a breach) or `keep` (no change).
     */
    noData: z.enum(['nodata', 'ok', 'firing', 'keep']).default('nodata'),
    unit: z.string().max(40).optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type HealthCheckInput = z.input<typeof healthCheckSchema>;

export const healthClusterSchema = z
  .object({
    /** The cluster's name in `clusters:` (with accountId/region when two clusters share a name). */
    cluster: z.string().min(1),
    accountId: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z.string().optional(),
    prometheus: prometheusEndpointSchema,
    /** Extra checks, or checks replacing a default / global one of the same name. */
    checks: z.array(healthCheckSchema).default([]),
    /** Names of default/global checks this cluster does not run. */
    disable: z.array(checkName).default([]),
  })
  .strict();
export type HealthClusterConfig = z.infer<typeof healthClusterSchema>;

export const healthActionsSchema = z
  .object({
    scaleUp: z
      .object({
        /** Node group to grow; by default the cluster's first on-demand group. */
        nodegroup: z.string().min(1).optional(),
        step: z.number().int().min(1).max(100).default(1),
        cooldownMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(30),
      })
      .strict()
      .default({ step: 1, cooldownMinutes: 30 }),
    jira: z
      .object({
        baseUrl: z.string().url(),
        projectKey: z.string().regex(/^[A-Z][A-Z0-9_]+$/, 'a Jira project key such as OPS'),
        issueType: z.string().min(1).default('Task'),
        /** Basic auth e-mail and API token, by env-var name or one Secrets Manager secret `{email, token}`. */
        emailEnv: envName.optional(),
        tokenEnv: envName.optional(),
        secretId: z.string().min(1).optional(),
      })
      .strict()
      .refine((j) => Boolean(j.secretId) !== Boolean(j.emailEnv && j.tokenEnv), {
        message: 'give emailEnv+tokenEnv or secretId',
      })
      .optional(),
    metrics: z
      .object({ namespace: z.string().min(1).max(255).default('eksflow/health') })
      .strict()
      .default({ namespace: 'eksflow/health' }),
  })
  .strict();
export type HealthActionsConfig = z.infer<typeof healthActionsSchema>;

/** A CloudWatch metric watched live by the streaming anomaly detector (`anomaly/<id>`). */
export const anomalyMetricSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an id: lower-case letters, digits and -'),
    accountId: z.string().regex(/^\d{12}$/),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region'),
    roleArn: z.string().startsWith('arn:').optional(),
    namespace: z.string().min(1),
    metricName: z.string().min(1),
    dimensions: z
      .array(z.object({ name: z.string().min(1), value: z.string().min(1) }).strict())
      .max(30)
      .default([]),
    stat: z.string().min(1).default('Average'),
    periodSeconds: z.number().int().min(60).multipleOf(60).default(300),
    /** History read on the first run, so the detector starts warmed up. */
    warmupDays: z.number().positive().max(63).default(14),
    /** Score threshold (default: the one chosen on the NAB data, src/ml/anomaly.ts). */
    threshold: z.number().min(0).max(1).optional(),
    /** Hours of the metric drawn in the alert's chart. */
    chartHours: z.number().int().min(1).max(72).default(6),
  })
  .strict();
export type AnomalyMetricConfig = z.infer<typeof anomalyMetricSchema>;

export const healthSchema = z
  .object({
    enabled: z.boolean().default(true),
    intervalSeconds: z.number().int().min(1).max(3600).default(60),
    /** Ship the six default checks (node readiness, memory pressure, restarts, failed pods, API latency, autoscaler errors). */
    defaultChecks: z.boolean().default(true),
    /** Checks for every cluster (replacing a default of the same name). */
    checks: z.array(healthCheckSchema).default([]),
    clusters: z.array(healthClusterSchema).default([]),
    severityActions: z
      .object({
        critical: z.array(z.enum(HEALTH_ACTIONS)).default(['alert', 'scale_up_nodes', 'update_metrics']),
        warning: z.array(z.enum(HEALTH_ACTIONS)).default(['alert', 'create_jira_ticket', 'update_metrics']),
        info: z.array(z.enum(HEALTH_ACTIONS)).default(['update_metrics']),
      })
      .strict()
      .default({
        critical: ['alert', 'scale_up_nodes', 'update_metrics'],
        warning: ['alert', 'create_jira_ticket', 'update_metrics'],
        info: ['update_metrics'],
      }),
    actions: healthActionsSchema.default(healthActionsSchema.parse({})),
    anomalies: z.array(anomalyMetricSchema).default([]),
    /** Validate every check's PromQL against each cluster's Prometheus when the worker starts. */
    validateOnStart: z.boolean().default(true),
  })
  .strict()
  .superRefine((h, ctx) => {
    const dup = (names: string[], path: (string | number)[]) => {
      const seen = new Set<string>();
      names.forEach((n, i) => {
        if (seen.has(n))
          ctx.addIssue({ code: 'custom', message: `duplicate check name "${n}"`, path: [...path, i, 'name'] });
        seen.add(n);
      });
    };
    dup(
      h.checks.map((c) => c.name),
      ['checks'],
    );
    h.clusters.forEach((c, i) =>
      dup(
        c.checks.map((k) => k.name),
        ['clusters', i, 'checks'],
      ),
    );
  });
export type HealthConfig = z.infer<typeof healthSchema>;
