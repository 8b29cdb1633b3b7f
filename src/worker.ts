import { resolve } from 'node:path';
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
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

/**
 * Builds one eksflow worker: every workflow and activity on the one task queue. Run as many
 * processes as you like; Temporal spreads the work across them.
 */
export async function createWorker(env: EksflowEnv, config: EksflowConfig | ConfigHolder): Promise<Worker> {
  const client = await connectClient(env);
  const connection = await connectWorkerConnection(env);
  const aws = awsClientFactoryFromEnv(env);
  const holder = config instanceof ConfigHolder ? config : undefined;
  const activities = createActivities({
    aws,
    // With a holder (config from Parameter Store), each activity call reads the version in force.
    get config() {
      return holder ? holder.current : (config as EksflowConfig);
    },
    env,
    now: () => new Date(),
    audit: new AuditLog(resolve(env.EKSFLOW_AUDIT_LOG)),
    reportsDir: resolve(env.EKSFLOW_REPORTS_DIR),
    temporal: { client, taskQueue: env.TEMPORAL_TASK_QUEUE },
  });
  return Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities,
  });
}

/**
 * The worker of the interruption activities' own task queue (EKSFLOW_INTERRUPTION_QUEUE=own): no
 * workflows, its own activity slots, so a 120 s notice never waits behind scaling or alert work.
 * Its activities mostly wait on batched reads, so many slots cost little.
 */
export async function createInterruptionWorker(
  env: EksflowEnv,
  config: EksflowConfig | ConfigHolder,
): Promise<Worker | undefined> {
  const taskQueue = interruptionQueueFor(env);
  if (!taskQueue) return undefined;
  const client = await connectClient(env);
  const connection = await connectWorkerConnection(env);
  const holder = config instanceof ConfigHolder ? config : undefined;
  const activities = createActivities({
    aws: awsClientFactoryFromEnv(env),
    get config() {
      return holder ? holder.current : (config as EksflowConfig);
    },
    env,
    now: () => new Date(),
    audit: new AuditLog(resolve(env.EKSFLOW_AUDIT_LOG)),
    reportsDir: resolve(env.EKSFLOW_REPORTS_DIR),
    temporal: { client, taskQueue: env.TEMPORAL_TASK_QUEUE },
  });
  return Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue,
    activities,
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
      const holder = new ConfigHolder(loaded.config, loaded.version);
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
  Runtime.install({ logger: new DefaultLogger(env.EKSFLOW_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
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
  const worker = await createWorker(env, config);
  const interruptionWorker = await createInterruptionWorker(env, config);
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
