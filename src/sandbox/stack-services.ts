/**
 * The production shape's services, as `docker-compose.yml` runs them in containers and
 * `npm run stack` (src/sandbox/stack.ts) runs them as processes. One table for both: the stack
 * builds each eksflow process's environment from exactly these names, and
 * test/unit/stack-services.test.ts checks docker-compose.yml names the same services and variables.
 */

/** Every eksflow process (worker, ingress, schedules job) gets these. */
export const EKSFLOW_SHARED_ENV = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_UI_URL',
  'EKSFLOW_CONFIG',
  'EKSFLOW_AUDIT_LOG',
  'EKSFLOW_REPORTS_DIR',
  'AWS_REGION',
  // Secrets eksflow.example.yaml names by env var (notifications.*Env): read at delivery time.
  'EKSFLOW_SLACK_WEBHOOK_URL',
  'EKSFLOW_SLACK_WEBHOOK_URL_SECONDARY',
  'EKSFLOW_SLACK_WEBHOOK_URL_MANAGER',
  'PAGERDUTY_ROUTING_KEY',
  'PAGERDUTY_WEBHOOK_SECRET',
  // Workers sign the ack links in alert messages with the ingress token and point them at the ingress.
  'EKSFLOW_INGRESS_TOKEN',
  'EKSFLOW_PUBLIC_URL',
  // GET /metrics (src/metrics): compose gives each container 9464; the process stack leaves it
  // empty (unset) by default, since three workers on one host cannot share one port.
  'EKSFLOW_METRICS_PORT',
] as const;

export type StackServiceName =
  'postgresql' | 'temporal' | 'temporal-setup' | 'temporal-ui' | 'worker' | 'ingress' | 'schedules';

export interface StackService {
  /** What runs it in the stack (the compose file runs the images of the same programs). */
  runs: string;
  replicas: number;
  /** eksflow processes only: the variables it receives. */
  env?: readonly string[];
}

export const STACK_SERVICES: Record<StackServiceName, StackService> = {
  postgresql: { runs: "Debian's postgres on a throwaway data directory", replicas: 1 },
  temporal: { runs: 'temporal-server (go.temporal.io/server) on PostgreSQL (postgres12)', replicas: 1 },
  'temporal-setup': { runs: 'temporal operator: default namespace and eksflow search attributes', replicas: 1 },
  'temporal-ui': { runs: 'temporal-ui-server (github.com/temporalio/ui-server)', replicas: 1 },
  worker: { runs: 'npm run worker', replicas: 3, env: EKSFLOW_SHARED_ENV },
  ingress: {
    runs: 'npm run ingress',
    replicas: 1,
    env: [...EKSFLOW_SHARED_ENV, 'EKSFLOW_INGRESS_PORT', 'EKSFLOW_SQS_QUEUE_URL'],
  },
  schedules: { runs: 'npm run cli -- schedules apply', replicas: 1, env: EKSFLOW_SHARED_ENV },
};

/**
 * Variables only the process stack sets: AWS is moto and the Pricing API a local stand-in there,
 * where compose uses real AWS through the default credential chain.
 */
export const STACK_ONLY_ENV = [
  'EKSFLOW_AWS_ENDPOINT',
  'EKSFLOW_PRICING_ENDPOINT',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  'EKSFLOW_LOG_LEVEL',
  'EKSFLOW_WORKFLOW_BUNDLE',
] as const;

/**
 * The environment of one eksflow service: exactly its declared variables (a missing value is an
 * error; an empty one is left unset, as compose's `${X:-}` reads) plus the stack-only ones given,
 * on top of PATH and HOME.
 */
export function serviceEnvironment(
  service: 'worker' | 'ingress' | 'schedules',
  values: Record<string, string | undefined>,
  base: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: base.PATH, HOME: base.HOME };
  for (const k of ['XDG_CACHE_HOME', 'EKSFLOW_SHARED_DATA', 'NODE_OPTIONS', 'TMPDIR'])
    if (base[k] !== undefined) env[k] = base[k];
  for (const name of STACK_SERVICES[service].env ?? []) {
    const v = values[name];
    if (v === undefined) throw new Error(`stack: no value for ${name} (service ${service})`);
    if (v !== '') env[name] = v;
  }
  for (const name of STACK_ONLY_ENV) if (values[name] !== undefined) env[name] = values[name];
  return env;
}
