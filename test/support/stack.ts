import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { NO_METRICS } from '../../src/metrics/registry';
import { metricsSinks } from '../../src/metrics/sinks';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../../src/aws/clients';
import { AuditLog } from '../../src/audit';
import { readEnv } from '../../src/config/env';
import { parseConfig } from '../../src/config/load';
import type { EksflowConfig } from '../../src/config/schema';
import { REPO_ROOT, toolPath } from '../../src/sandbox/processes';
import { createActivities, type ActivityDeps } from '../../activities';
import { LimitedQueueWorkers } from '../../src/worker-queues';

/** The moto server started by global-setup for this test run. */
export function motoEndpoint(): string {
  const e = process.env.EKSFLOW_TEST_MOTO_ENDPOINT;
  if (!e) throw new Error('EKSFLOW_TEST_MOTO_ENDPOINT is not set: run tests through jest (global-setup starts moto)');
  return e;
}

/** The Temporal dev server started by global-setup for this test run. */
export function temporalAddress(): string {
  const a = process.env.EKSFLOW_TEST_TEMPORAL_ADDRESS;
  if (!a) throw new Error('EKSFLOW_TEST_TEMPORAL_ADDRESS is not set: run tests through jest (global-setup starts it)');
  return a;
}

export function testAwsFactory(extra: { pricingEndpoint?: string } = {}): AwsClientFactory {
  return new AwsClientFactory({ endpoint: motoEndpoint(), credentials: SANDBOX_CREDENTIALS, maxAttempts: 2, ...extra });
}

export function testAwsClientConfig(region: string) {
  return { endpoint: motoEndpoint(), region, credentials: SANDBOX_CREDENTIALS };
}

/** A unique, readable suffix for names in the shared moto server and task queues. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * The time-skipping test server (Java), from the provisioned launcher. One per test file.
 *
 * The client's gRPC keepalive is slowed to once per 6 minutes: the SDK pings every 30 s, the Java
 * server (grpc-netty) permits one ping per 5 minutes and, after a few, closes the connection with
 * "too many pings" — a test file running longer than a minute or so then hangs on a dead channel.
 * `createTimeSkipping` does not pass connection options through, so this calls the SDK's
 * (private, SDK 1.24) `create` with them.
 */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const create = (
    TestWorkflowEnvironment as unknown as { create(opts: unknown): Promise<TestWorkflowEnvironment> }
  ).create.bind(TestWorkflowEnvironment);
  return create({
    server: { type: 'time-skipping', executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
    supportsTimeSkipping: true,
    connectionOptions: {
      channelArgs: { 'grpc.keepalive_time_ms': 6 * 60_000, 'grpc.keepalive_permit_without_calls': 0 },
    },
  });
}

export async function connectDevServer(): Promise<{
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}> {
  const connection = await Connection.connect({ address: temporalAddress() });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  const client = new Client({ connection });
  return {
    client,
    connection,
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * The workflow bundle, built once per source state and cached on disk: every test file that
 * runs a worker reuses it instead of re-running webpack.
 */
export async function workflowBundle(): Promise<{ code: string }> {
  const entry = require.resolve('./test-workflows');
  const files = [...['workflows', 'src'].flatMap((d) => sourceFiles(join(REPO_ROOT, d))), entry].sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(readFileSync(f));
  const cacheDir = join(REPO_ROOT, '.data', 'bundle-cache');
  const cached = join(cacheDir, `${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(cached)) return { code: readFileSync(cached, 'utf8') };
  // Production workflows plus the test-only ones (timerProbe): see test/support/test-workflows.ts.
  const bundle = await bundleWorkflowCode({
    workflowsPath: entry,
    // As the production worker (src/worker.ts): the config-version pin on activities and children.
    workflowInterceptorModules: [require.resolve('../../workflows/lib/config-pin')],
    logger: quietLogger,
  });
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cached, bundle.code);
  return bundle;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string, meta?: unknown) {
    console.warn(message, meta ?? '');
  },
  error(message: string, meta?: unknown) {
    console.error(message, meta ?? '');
  },
};

/** A minimal valid config for tests that only need one cluster. */
export function testConfig(raw: unknown): EksflowConfig {
  return parseConfig(raw, 'test config');
}

/** Activity dependencies pointed at the shared moto server, with an audit log in a temp dir. */
export function testActivityDeps(opts: {
  config: EksflowConfig;
  client: Client;
  taskQueue: string;
  aws?: AwsClientFactory;
}): ActivityDeps {
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-test-'));
  return {
    aws: opts.aws ?? testAwsFactory(),
    config: opts.config,
    env: readEnv({}),
    now: () => new Date(),
    audit: new AuditLog(join(dir, 'audit.jsonl')),
    reportsDir: join(dir, 'reports'),
    temporal: { client: opts.client, taskQueue: opts.taskQueue },
  };
}

/** Builds a worker on a connection with eksflow's real activities and the cached bundle. */
export async function createTestWorker(opts: {
  connection: NativeConnection;
  taskQueue: string;
  deps: ActivityDeps;
  namespace?: string;
  extra?: Partial<WorkerOptions>;
  /** Also poll the rate-limited queues of `deps.config` while the worker runs (default true). */
  limitedQueues?: boolean;
}): Promise<Worker> {
  const activities = createActivities(opts.deps);
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    // The workflows' metrics sink, as the production worker binds it (src/worker.ts).
    sinks: metricsSinks(opts.deps.metrics ?? NO_METRICS),
    ...opts.extra,
  });
  if (opts.limitedQueues === false) return worker;
  // As src/worker.ts: deliveries to PagerDuty and AWS mutations run on their rate-limited queues,
  // polled while this worker runs (run() and runUntil() both go through run()).
  const limited = new LimitedQueueWorkers({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    baseQueue: opts.taskQueue,
    activities,
  });
  const run = worker.run.bind(worker);
  Object.assign(worker, {
    run: async () => {
      await limited.sync(opts.deps.config);
      try {
        return await run();
      } finally {
        await limited.shutdown();
      }
    },
  });
  return worker;
}

export interface TestWorker {
  worker: Worker;
  deps: ActivityDeps;
  limited: LimitedQueueWorkers;
  /** Shuts the worker down and waits for it to finish its tasks (afterAll). */
  stop(): Promise<void>;
}

/**
 * The one way a test boots an in-process worker: eksflow's real activities on `deps` (by default
 * `testActivityDeps` on moto with a fresh audit log), the cached workflow bundle, running until
 * `stop()`. Works on the dev server (`connectDevServer()`) and the time-skipping server alike.
 */
export async function startTestWorker(opts: {
  connection: NativeConnection;
  client: Client;
  taskQueue: string;
  config: EksflowConfig;
  aws?: AwsClientFactory;
  /** Replaces fields of the default deps (e.g. `env`, `now`, `audit`). */
  deps?: Partial<ActivityDeps>;
  namespace?: string;
  extra?: (deps: ActivityDeps) => Partial<WorkerOptions>;
}): Promise<TestWorker> {
  const deps: ActivityDeps = {
    ...testActivityDeps({ config: opts.config, client: opts.client, taskQueue: opts.taskQueue, aws: opts.aws }),
    ...opts.deps,
  };
  const worker = await createTestWorker({
    connection: opts.connection,
    taskQueue: opts.taskQueue,
    deps,
    namespace: opts.namespace,
    extra: opts.extra?.(deps),
    limitedQueues: false,
  });
  // The rate-limited queues (PagerDuty keys, AWS mutations per account/region), as src/worker.ts polls them.
  const limited = new LimitedQueueWorkers({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    baseQueue: opts.taskQueue,
    activities: createActivities(deps),
  });
  await limited.sync(opts.config);
  const running = worker.run();
  return {
    worker,
    deps,
    limited,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.all([running, limited.shutdown()]);
    },
  };
}
