import { z } from 'zod';
import { formatIssues, ConfigError } from './load';

/**
 * The only module that reads process.env. Everything else receives these settings as values,
 * so tests can hand in their own without touching the environment.
 */
const envSchema = z.object({
  EKSFLOW_CONFIG: z.string().default('eksflow.yaml'),
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('eksflow'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  /** Sandbox only: every AWS client talks to this endpoint (moto) instead of AWS. */
  EKSFLOW_AWS_ENDPOINT: z.string().url().optional(),
  /** Pricing API endpoint override (the sandbox's local GetProducts server). */
  EKSFLOW_PRICING_ENDPOINT: z.string().url().optional(),
  EKSFLOW_INGRESS_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  EKSFLOW_INGRESS_TOKEN: z.string().min(16).optional(),
  /** Public base URL of the ingress (ack links in alert messages). Default http://localhost:<port>. */
  EKSFLOW_PUBLIC_URL: z.string().url().optional(),
  EKSFLOW_SQS_QUEUE_URL: z.string().url().optional(),
  /** Region of the SQS queue when its URL does not name one (e.g. the sandbox's moto URL). Default us-east-1. */
  EKSFLOW_SQS_REGION: z.string().default('us-east-1'),
  /** Largest accepted ingress request body, bytes. */
  EKSFLOW_INGRESS_BODY_LIMIT: z.coerce.number().int().positive().default(256 * 1024),
  /** Append-only record of every mutation eksflow applies (JSON lines). */
  EKSFLOW_AUDIT_LOG: z.string().default('.data/audit.jsonl'),
  EKSFLOW_REPORTS_DIR: z.string().default('reports'),
  EKSFLOW_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** The read-only evaluation data folder (ML evaluation, benchmarks, tests); default `../shared/data` beside the repository. */
  EKSFLOW_SHARED_DATA: z.string().trim().min(1).optional(),
});
export type EksflowEnv = z.infer<typeof envSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): EksflowEnv {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issues = formatIssues(result.error);
    throw new ConfigError(`environment is invalid:\n  ${issues.join('\n  ')}`, issues);
  }
  return result.data;
}

/** Secrets are looked up by name at the moment of use, never stored in config or history. */
export function readSecretEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value && value.length > 0 ? value : undefined;
}
