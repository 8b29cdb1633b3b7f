import { resolve } from 'node:path';
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../activities';
import { validateHealthQueries } from '../activities/health';
import { ensureHealthMonitors } from './client/health';
import { AuditLog } from './audit';
import { awsClientFactoryFromEnv } from './aws/clients';
import { connectClient, connectWorkerConnection } from './client';
import { readEnv, type EksflowEnv } from './config/env';
import { ConfigError, loadConfigFile } from './config/load';
import type { EksflowConfig } from './config/schema';
import { createLogger } from './log';

/**
 * Builds one eksflow worker: every workflow and activity on the one task queue. Run as many
 * processes as you like; Temporal spreads the work across them.
 */
export async function createWorker(env: EksflowEnv, config: EksflowConfig): Promise<Worker> {
  const client = await connectClient(env);
  const connection = await connectWorkerConnection(env);
  const aws = awsClientFactoryFromEnv(env);
  const activities = createActivities({
    aws,
    config,
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

async function main(): Promise<void> {
  const log = createLogger('worker');
  let env: EksflowEnv;
  let config: EksflowConfig;
  try {
    env = readEnv();
    config = loadConfigFile(env.EKSFLOW_CONFIG);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`eksflow worker: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  Runtime.install({ logger: new DefaultLogger(env.EKSFLOW_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
  // Health checks: invalid PromQL stops the worker naming the check; an unreachable Prometheus does
  // not (the monitor raises "health checks blind" until it answers).
  if (config.health.enabled && config.health.validateOnStart && config.health.clusters.length > 0) {
    const v = await validateHealthQueries(config, awsClientFactoryFromEnv(env));
    if (v.invalid.length > 0) {
      process.stderr.write(`eksflow worker: invalid health check PromQL:\n${v.invalid.map((i) => `  cluster ${i.cluster}, check ${i.check}: ${i.error}`).join('\n')}\n`);
      process.exit(2);
    }
    for (const u of v.unreachable) log.warn('health checks not validated: Prometheus unreachable', { cluster: u.cluster, error: u.error });
  }
  const worker = await createWorker(env, config);
  // The long-lived health monitors: started if not running (idempotent), without delaying polling.
  void connectClient(env)
    .then((client) => ensureHealthMonitors(client, config, env.TEMPORAL_TASK_QUEUE))
    .then((r) => { if (r.length) log.info('health monitors', { started: r.filter((x) => x.started).length, running: r.filter((x) => !x.started).length }); })
    .catch((err: Error) => log.warn('health monitors not started', { error: err.message }));
  log.info('worker polling', { taskQueue: env.TEMPORAL_TASK_QUEUE, address: env.TEMPORAL_ADDRESS, clusters: config.clusters.length });
  await worker.run();
  log.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`eksflow worker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
