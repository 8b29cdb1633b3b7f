import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { formatIssues, ConfigError } from './load';

/**
 * The only module that reads process.env. Everything else receives these settings as values,
 * so tests can hand in their own without touching the environment.
 */
/** One message for every way a thread count can be wrong. */
const THREADS = { message: 'must be a whole number of threads from 1 to 16' };

/**
 * The sticky cache's default size, a memory budget. The SDK's own default grows with the heap
 * limit (~2,300 runs on a 4 GB heap). bench:worker, 1,000 open alerts, worker RSS 2 s after the
 * last query / after 60 s idle (idle worker ~235 MB): 2,000 cached (all) 708 / 666 MB, 100 cached
 * 500 / 275 MB, none 419 / 281 MB; a cached alert run holds ~0.3 MB (its own instance of every
 * bundled module, its state, the SDK core's copy). What a small cache costs: a run woken past it
 * is replayed from its history first (querying the 1,000: ~3 s all cached, ~10–16 s with 100 or
 * none, on a loaded 2-core machine).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

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
  /** Port of `GET /metrics` (Prometheus text) on workers and the ingress; unset: no metrics server (0: any free port). */
  EKSFLOW_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Public base URL of the ingress (ack links in alert messages). Default http://localhost:<port>. */
  EKSFLOW_PUBLIC_URL: z.string().url().optional(),
  EKSFLOW_SQS_QUEUE_URL: z.string().url().optional(),
  /** Region of the SQS queue when its URL does not name one (e.g. the sandbox's moto URL). Default us-east-1. */
  EKSFLOW_SQS_REGION: z.string().default('us-east-1'),
  /** Largest accepted ingress request body, bytes. */
  EKSFLOW_INGRESS_BODY_LIMIT: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Append-only record of every mutation eksflow applies (JSON lines). */
  EKSFLOW_AUDIT_LOG: z.string().default('.data/audit.jsonl'),
  EKSFLOW_REPORTS_DIR: z.string().default('reports'),
  /** Reports are also written here (SSE) and linked through the ingress; local folder only when unset. */
  EKSFLOW_REPORTS_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
    .optional(),
  EKSFLOW_REPORTS_REGION: z.string().default('us-east-1'),
  /** SSE-KMS key for report objects; SSE-S3 (AES256) when unset. */
  EKSFLOW_REPORTS_KMS_KEY_ID: z.string().min(1).optional(),
  EKSFLOW_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** The read-only evaluation data folder (ML evaluation, benchmarks, tests); default `../shared/data` beside the repository. */
  EKSFLOW_SHARED_DATA: z.string().trim().min(1).optional(),
  /** A Python with statsforecast for the ML evaluation's peers (default: the provisioned venv). */
  EKSFLOW_PEERS_PYTHON: z.string().optional(),
  /** Where provisioned tools are cached (`$XDG_CACHE_HOME/eksflow`, default ~/.cache/eksflow). */
  XDG_CACHE_HOME: z.string().optional(),
  /** `file` (EKSFLOW_CONFIG) or `ssm`: the config lives in Parameter Store at /eksflow/<EKSFLOW_ENV>/config. */
  EKSFLOW_CONFIG_SOURCE: z.enum(['file', 'ssm']).default('file'),
  /** Environment name in the parameter path (`/eksflow/<env>/config`). */
  EKSFLOW_ENV: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (it becomes part of an SSM parameter name)')
    .default('default'),
  /** Where the config parameter lives. */
  EKSFLOW_CONFIG_SSM_REGION: z.string().default('us-east-1'),
  EKSFLOW_CONFIG_SSM_ACCOUNT: z
    .string()
    .regex(/^\d{12}$/, 'a 12-digit AWS account id')
    .optional(),
  EKSFLOW_CONFIG_SSM_ROLE_ARN: z.string().optional(),
  /** How often a worker in ssm mode asks the config watcher which version is in force. */
  EKSFLOW_CONFIG_RELOAD_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Benchmarks: the worker writes its AWS call counts (JSON, by `Service:Operation`) here when it stops. */
  EKSFLOW_AWS_CALLS_FILE: z.string().optional(),
  /**
   * `own`: interruption activities run on `<TEMPORAL_TASK_QUEUE>-interruption`, served by a worker
   * of their own in every worker process (its own slots); `shared`: on the one task queue.
   * Workers and ingress must agree.
   */
  EKSFLOW_INTERRUPTION_QUEUE: z.enum(['own', 'shared']).default('own'),
  /**
   * A prebuilt workflow bundle (src/build/workflow-bundle.ts) for a worker run through tsx: the
   * local stack builds one so restarted workers poll in seconds. Compiled workers find
   * dist/workflow-bundle.js themselves.
   */
  EKSFLOW_WORKFLOW_BUNDLE: z.string().optional(),
  /**
   * Workflows a worker keeps in its sticky cache (the SDK's `maxCachedWorkflows`), default
   * DEFAULT_MAX_CACHED_WORKFLOWS. A run evicted from the cache is replayed from its history on its
   * next task (CPU, not correctness). 0 turns the cache off.
   */
  EKSFLOW_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(DEFAULT_MAX_CACHED_WORKFLOWS),
  /**
   * Threads running workflow code in a worker (the SDK's `workflowThreadPoolSize`; its default is
   * one with the reused V8 context). A burst of interruption runs is bound by workflow tasks, not
   * AWS calls: see the README's interruption section for what a second thread measured.
   */
  EKSFLOW_WORKFLOW_THREADS: z.coerce.number(THREADS).int(THREADS).min(1, THREADS).max(16, THREADS).optional(),
  /**
   * How the worker polls for workflow tasks: `autoscaling` (the SDK's poller autoscaling: more
   * polls while the server reports a backlog) or a fixed maximum of polls (the SDK's default is a
   * fixed 10, of which 2 poll the shared queue where every new run's first task waits).
   */
  EKSFLOW_WORKFLOW_POLLERS: z
    .union([z.literal('autoscaling'), z.coerce.number().int().min(2).max(200)], {
      message: 'must be "autoscaling" or a whole number of polls from 2 to 200',
    })
    .optional(),
});
export type EksflowEnv = z.infer<typeof envSchema>;
/** The variables readEnv knows (the stack/compose consistency test checks against them). */
export const ENV_NAMES: readonly string[] = Object.keys(envSchema.shape);

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

/**
 * `npm start` writes the sandbox's endpoints and credentials to `.data/sandbox.env`, so the CLI
 * in a second terminal reaches the same moto, Pricing stand-in, Temporal and ingress without
 * exports. It is applied only when it cannot redirect a real setup: no EKSFLOW_AWS_ENDPOINT is
 * set and the config in use is the example one. Variables already set win.
 * EKSFLOW_SANDBOX_ENV names another file (tests).
 */
export function applySandboxEnv(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.EKSFLOW_SANDBOX_ENV ?? join(repoRoot, '.data', 'sandbox.env');
  if (env.EKSFLOW_AWS_ENDPOINT || !existsSync(file)) return undefined;
  const example = join(repoRoot, 'eksflow.example.yaml');
  if (env.EKSFLOW_CONFIG && resolve(env.EKSFLOW_CONFIG) !== example) return undefined;
  for (const [key, value] of Object.entries(parseEnvFile(readFileSync(file, 'utf8')))) env[key] ??= value;
  return file;
}

/** `KEY=value` lines; `#` comments and blank lines skipped; no quoting or expansion. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

export function formatEnvFile(values: Record<string, string>, header: string): string {
  return `${header
    .split('\n')
    .map((l) => `# ${l}`)
    .join('\n')}\n${Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}
