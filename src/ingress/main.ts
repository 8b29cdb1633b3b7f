import { resolve } from 'node:path';
import { awsCallCounts } from '../aws/call-counter';
import { currentSizesFrom, tokensFromSecret } from '../api/aws-reads';
import { AuditLog } from '../audit';
import { awsClientFactoryFromEnv } from '../aws/clients';
import { connectClient } from '../client';
import { interruptionQueueFor } from '../client/interruption';
import { readEnv, type EksflowEnv } from '../config/env';
import { ConfigError, loadConfigFile } from '../config/load';
import { createLogger } from '../log';
import { MetricsRegistry, startMetricsServer } from '../metrics';
import { IngressMetrics } from './dispatch';
import { buildIngressServer } from './server';
import { reportSourceFromEnv } from './reports';
import { startSqsPoller } from './sqs-poller';

/** Account and region of a queue URL: `https://sqs.<region>.amazonaws.com/<account>/<name>` (the sandbox URL names no region). */
export function sqsTargetFromUrl(url: string, defaultRegion: string): { accountId: string; region: string } {
  const u = new URL(url);
  const region = /(?:^|\.)sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(u.host)?.[1] ?? defaultRegion;
  const accountId = u.pathname.split('/').filter(Boolean)[0] ?? '000000000000';
  return { accountId, region };
}

/**
 * The ingress process: the HTTP server (EventBridge API destinations) and, when a queue is
 * configured, the SQS poller, both starting `spot-interruption/<instance-id>` workflows.
 */
async function main(): Promise<void> {
  const log = createLogger('ingress');
  let env: EksflowEnv;
  try {
    env = readEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`eksflow ingress: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (!env.EKSFLOW_INGRESS_TOKEN) {
    process.stderr.write('eksflow ingress: EKSFLOW_INGRESS_TOKEN (at least 16 characters) is required\n');
    process.exit(2);
  }
  const config = loadConfigFile(env.EKSFLOW_CONFIG);
  const client = await connectClient(env);
  // Every AWS call the factory's clients make, by Service:Operation (src/aws/call-counter.ts).
  const registry = new MetricsRegistry({ component: 'ingress', processMetrics: true, awsCallCounts });
  const metrics = new IngressMetrics(registry);
  const aws = awsClientFactoryFromEnv(env);
  const first = config.clusters[0]!;
  // Tokens kept in Secrets Manager join the configured ones; a bad secret stops start-up with its reason.
  const extraTokens = config.api.tokensSecretId
    ? await tokensFromSecret(aws, { accountId: first.accountId, region: first.region }, config.api.tokensSecretId)
    : [];
  const api = {
    reportsDir: resolve(env.EKSFLOW_REPORTS_DIR),
    temporalUiUrl: config.notifications.temporalUiUrl ?? env.TEMPORAL_UI_URL,
    audit: new AuditLog(resolve(env.EKSFLOW_AUDIT_LOG)),
    currentSizes: currentSizesFrom(aws, config.clusters),
    extraTokens,
  };
  const app = buildIngressServer({
    client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    interruptionTaskQueue: interruptionQueueFor(env),
    token: env.EKSFLOW_INGRESS_TOKEN,
    config,
    bodyLimit: env.EKSFLOW_INGRESS_BODY_LIMIT,
    metrics,
    registry,
    log,
    api,
    reports: reportSourceFromEnv(env, aws),
  });
  await app.listen({ port: env.EKSFLOW_INGRESS_PORT, host: '0.0.0.0' });
  log.info('ingress listening', { port: env.EKSFLOW_INGRESS_PORT, taskQueue: env.TEMPORAL_TASK_QUEUE });
  const metricsServer =
    env.EKSFLOW_METRICS_PORT !== undefined
      ? await startMetricsServer({ registry, port: env.EKSFLOW_METRICS_PORT })
      : undefined;
  if (metricsServer) log.info('metrics', { url: metricsServer.url });

  let poller: ReturnType<typeof startSqsPoller> | undefined;
  if (env.EKSFLOW_SQS_QUEUE_URL) {
    const sqs = aws.sqs(sqsTargetFromUrl(env.EKSFLOW_SQS_QUEUE_URL, env.EKSFLOW_SQS_REGION));
    poller = startSqsPoller({
      sqs,
      queueUrl: env.EKSFLOW_SQS_QUEUE_URL,
      client,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      interruptionTaskQueue: interruptionQueueFor(env),
      metrics,
      log,
    });
    log.info('SQS poller started', { queueUrl: env.EKSFLOW_SQS_QUEUE_URL });
  }

  const shutdown = async () => {
    log.info('ingress stopping');
    await Promise.all([app.close(), poller?.stop(), metricsServer?.close()]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`eksflow ingress: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
