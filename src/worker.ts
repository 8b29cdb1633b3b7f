import { existsSync } from 'node:fs';
import { awsCallCounts } from './aws/call-counter';
import { join, resolve } from 'node:path';
import { Worker, Runtime, DefaultLogger, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { validateHealthQueries } from '../activities/health';
import { ensureHealthMonitors } from './client/health';
import { AuditLog } from './audit';
import { awsClientFactoryFromEnv } from './aws/clients';
import { interruptionQueueFor } from './client/interruption';
import { dumpAwsCallsOnExit } from './aws/call-counter';
import { connectClient, connectWorkerConnection } from './client';
import { readEnv, type EksflowEnv } from './config/env';
import { ConfigError, loadConfigFile } from './config/load';
import type { EksflowConfig } from './config/schema';
import { createLogger } from './log';
import { ConfigHolder, configWatchState, ensureConfigWatch, startConfigReload } from './client/config-sync';
import { loadConfigFromStore } from './config-sync/store';
import { LimitedQueueWorkers } from './worker-queues';
import { MetricsRegistry, NO_METRICS, freeLoopbackPort, startMetricsServer, type EksflowMetrics } from './metrics';
import { metricsSinks } from './metrics/sinks';
import { configPinInterceptor, pinnedConfig } from './config-sync/pin';

/**
 * Where the worker's workflow code comes from: the bundle built at image build time
 * (`npm run build` writes dist/workflow-bundle.js beside the compiled worker) when the worker runs
 * compiled, else the sources through `workflowsPath` (bundled at start, development).
 */
export function workflowSource(
  env: Pick<EksflowEnv, 'EKSFLOW_WORKFLOW_BUNDLE'> = {},
): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (env.EKSFLOW_WORKFLOW_BUNDLE) {
    const codePath = resolve(env.EKSFLOW_WORKFLOW_BUNDLE);
    if (!existsSync(codePath)) throw new Error(`EKSFLOW_WORKFLOW_BUNDLE: no workflow bundle at ${codePath}`);
    return { workflowBundle: { codePath } };
  }
  const bundle = join(__dirname, '..', 'workflow-bundle.js');
  if (__filename.endsWith('.js') && existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: require.resolve('../workflows') };
}

/**
 * One eksflow worker process: every workflow and activity on the main task queue, plus
 * activity-only workers on the rate-limited queues (src/worker-queues.ts) whose dispatch rate the
 * server keeps for all processes together. Run as many processes as you like.
 */
export interface EksflowWorker {
  /** The worker on the main task queue (workflows and all activities). */
  main: Worker;
  limited: LimitedQueueWorkers;
  /** Runs until shutdown: the main worker and the limited ones. */
  run(): Promise<void>;
  shutdown(): void;
  getState(): ReturnType<Worker['getState']>;
}

/**
 * Builds one eksflow worker: every workflow and activity on the one task queue, and the
 * rate-limited queues of the config. Run as many processes as you like; Temporal spreads the
 * work across them.
 */
export async function createWorker(
  env: EksflowEnv,
  config: EksflowConfig | ConfigHolder,
  metrics: EksflowMetrics = NO_METRICS,
): Promise<EksflowWorker> {
  const client = await connectClient(env);
  const connection = await connectWorkerConnection(env);
  const aws = awsClientFactoryFromEnv(env);
  const holder = config instanceof ConfigHolder ? config : undefined;
  const current = () => (holder ? holder.current : (config as EksflowConfig));
  const activities = createActivities({
    aws,
    // With a holder (config from Parameter Store), each activity call reads the version in force.
    // A run pinned to a version (its activities carry it in a header) gets that version.
    get config() {
      return pinnedConfig.getStore() ?? current();
    },
    configVersion: () => holder?.version,
    env,
    now: () => new Date(),
    audit: new AuditLog(resolve(env.EKSFLOW_AUDIT_LOG)),
    reportsDir: resolve(env.EKSFLOW_REPORTS_DIR),
    temporal: { client, taskQueue: env.TEMPORAL_TASK_QUEUE },
    metrics,
  });
  const source = workflowSource(env);
  const main = await Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    ...source,
    activities,
    maxCachedWorkflows: env.EKSFLOW_MAX_CACHED_WORKFLOWS,
    ...(env.EKSFLOW_WORKFLOW_THREADS !== undefined ? { workflowThreadPoolSize: env.EKSFLOW_WORKFLOW_THREADS } : {}),
    ...workflowPolling(env.EKSFLOW_WORKFLOW_POLLERS),
    sinks: metricsSinks(metrics),
    interceptors: {
      // A prebuilt bundle (scripts/build.ts) carries the config-pin interceptor already.
      ...('workflowsPath' in source ? { workflowModules: [require.resolve('../workflows/lib/config-pin')] } : {}),
      ...(holder ? { activity: [configPinInterceptor(holder)] } : {}),
    },
  });
  const limited = new LimitedQueueWorkers({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    baseQueue: env.TEMPORAL_TASK_QUEUE,
    activities,
    onError: (queue, err) => process.stderr.write(`eksflow worker: limited queue ${queue}: ${err.message}\n`),
  });
  await limited.sync(current());
  // A reloaded config may name a new account/region or routing key: poll its queue too.
  const resync = holder
    ? setInterval(
        () => void limited.sync(holder.current).catch(() => undefined),
        env.EKSFLOW_CONFIG_RELOAD_SECONDS * 1000,
      )
    : undefined;
  resync?.unref();
  return {
    main,
    limited,
    async run() {
      try {
        await Promise.all([main.run(), limited.done()]);
      } finally {
        if (resync) clearInterval(resync);
      }
    },
    shutdown() {
      if (resync) clearInterval(resync);
      if (main.getState() === 'RUNNING') main.shutdown();
      void limited.shutdown();
    },
    getState: () => main.getState(),
  };
}

/**
 * The worker of the interruption activities' own task queue (EKSFLOW_INTERRUPTION_QUEUE=own): no
 * workflows, its own activity slots, so a 120 s notice never waits behind scaling or alert work.
 * Its activities mostly wait on batched reads, so many slots cost little.
 */
export async function createInterruptionWorker(
  env: EksflowEnv,
  config: EksflowConfig | ConfigHolder,
  metrics: EksflowMetrics = NO_METRICS,
): Promise<Worker | undefined> {
  const taskQueue = interruptionQueueFor(env);
  if (!taskQueue) return undefined;
  const client = await connectClient(env);
  const connection = await connectWorkerConnection(env);
  const holder = config instanceof ConfigHolder ? config : undefined;
  const activities = createActivities({
    aws: awsClientFactoryFromEnv(env),
    get config() {
      return pinnedConfig.getStore() ?? (holder ? holder.current : (config as EksflowConfig));
    },
    env,
    now: () => new Date(),
    audit: new AuditLog(resolve(env.EKSFLOW_AUDIT_LOG)),
    reportsDir: resolve(env.EKSFLOW_REPORTS_DIR),
    temporal: { client, taskQueue: env.TEMPORAL_TASK_QUEUE },
    metrics,
  });
  return Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue,
    activities,
    ...(holder ? { interceptors: { activity: [configPinInterceptor(holder)] } } : {}),
    maxConcurrentActivityTaskExecutions: 500,
  });
}

async function main(): Promise<void> {
  const log = createLogger('worker');
  let env: EksflowEnv;
  let config: EksflowConfig | ConfigHolder;
  let reload: { stop(): void } | undefined;
  try {
    env = readEnv();
    if (env.EKSFLOW_CONFIG_SOURCE === 'ssm') {
      // The watcher's applied version when it runs (never an invalid one), else the latest, validated.
      const client = await connectClient(env);
      const aws = awsClientFactoryFromEnv(env);
      const state = await configWatchState(client, env.EKSFLOW_ENV);
      const loaded = await loadConfigFromStore(aws, env, state?.applied);
      const holder = new ConfigHolder(
        loaded.config,
        loaded.version,
        async (v) => (await loadConfigFromStore(aws, env, v)).config,
      );
      config = holder;
      await ensureConfigWatch(client, env.TEMPORAL_TASK_QUEUE, env.EKSFLOW_ENV);
      reload = startConfigReload({
        client,
        aws,
        env,
        holder,
        everyMs: env.EKSFLOW_CONFIG_RELOAD_SECONDS * 1000,
        log: (m) => log.info(m),
      });
      log.info('config from Parameter Store', { env: env.EKSFLOW_ENV, version: loaded.version });
    } else config = loadConfigFile(env.EKSFLOW_CONFIG);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`eksflow worker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Metrics: the SDK runtime's Prometheus exporter on a loopback port, served with eksflow's own
  // registry on EKSFLOW_METRICS_PORT (one scrape target per worker; src/metrics/server.ts).
  const temporalMetricsPort = env.EKSFLOW_METRICS_PORT !== undefined ? await freeLoopbackPort() : undefined;
  Runtime.install({
    logger: new DefaultLogger(env.EKSFLOW_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN'),
    ...(temporalMetricsPort !== undefined
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${temporalMetricsPort}` } } } }
      : {}),
  });
  // Every AWS call the factory's clients make, by Service:Operation (src/aws/call-counter.ts).
  const metrics = new MetricsRegistry({ component: 'worker', processMetrics: true, awsCallCounts });
  if (env.EKSFLOW_METRICS_PORT !== undefined) {
    const server = await startMetricsServer({
      registry: metrics,
      port: env.EKSFLOW_METRICS_PORT,
      temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics`,
    });
    log.info('metrics', { url: server.url });
  }
  const startConfig = config instanceof ConfigHolder ? config.current : config;
  // Health checks: invalid PromQL stops the worker naming the check; an unreachable Prometheus does
  // not (the monitor raises "health checks blind" until it answers).
  if (startConfig.health.enabled && startConfig.health.validateOnStart && startConfig.health.clusters.length > 0) {
    const v = await validateHealthQueries(startConfig, awsClientFactoryFromEnv(env));
    if (v.invalid.length > 0) {
      process.stderr.write(
        `eksflow worker: invalid health check PromQL:\n${v.invalid.map((i) => `  cluster ${i.cluster}, check ${i.check}: ${i.error}`).join('\n')}\n`,
      );
      process.exit(2);
    }
    for (const u of v.unreachable)
      log.warn('health checks not validated: Prometheus unreachable', { cluster: u.cluster, error: u.error });
  }
  const worker = await createWorker(env, config, metrics);
  const interruptionWorker = await createInterruptionWorker(env, config, metrics);
  dumpAwsCallsOnExit(env.EKSFLOW_AWS_CALLS_FILE);
  // The long-lived health monitors: started if not running (idempotent), without delaying polling.
  void connectClient(env)
    .then((client) => ensureHealthMonitors(client, startConfig, env.TEMPORAL_TASK_QUEUE))
    .then((r) => {
      if (r.length)
        log.info('health monitors', {
          started: r.filter((x) => x.started).length,
          running: r.filter((x) => !x.started).length,
        });
    })
    .catch((err: Error) => log.warn('health monitors not started', { error: err.message }));
  log.info('worker polling', {
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    address: env.TEMPORAL_ADDRESS,
    clusters: startConfig.clusters.length,
    limitedQueues: worker.limited.queues,
    workflowCode: 'workflowBundle' in workflowSource(env) ? 'bundle' : 'sources',
  });
  await Promise.all([worker.run(), interruptionWorker?.run()]);
  reload?.stop();
  log.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`eksflow worker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

/** The main worker's workflow task polling (EKSFLOW_WORKFLOW_POLLERS); the SDK's default when unset. */
function workflowPolling(pollers: EksflowEnv['EKSFLOW_WORKFLOW_POLLERS']): Partial<WorkerOptions> {
  if (pollers === undefined) return {};
  if (pollers === 'autoscaling') return { workflowTaskPollerBehavior: { type: 'autoscaling' } };
  return { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: pollers } };
}
