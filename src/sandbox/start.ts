/**
 * `npm start`: the whole product on an embedded sandbox — a Temporal dev server with the Web UI
 * and a SQLite file under .data/ (state survives restarts), moto seeded with the demo fleet of
 * eksflow.example.yaml, local Slack/PagerDuty/Pricing stand-ins, the event ingress, one worker
 * and the IST timetable applied as Temporal Schedules. Ctrl-C stops everything it started.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { formatEnvFile, readEnv } from '../config/env';
import { ConfigError, loadConfigFile } from '../config/load';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../aws/clients';
import { createWorker } from '../worker';
import { REPO_ROOT, startMoto, startTemporalDevServer, type ManagedProcess } from './processes';
import {
  sandboxAmiParameterTemplate,
  seedCluster,
  seedAlertTopic,
  seedLogGroups,
  seedNightResources,
  seedSecurityFindings,
  seedUtilisationMetrics,
} from './seed';
import { expandTemplate } from '../domain/logs/plan';
import { reconcileNodegroupAsgs, startReconcilerLoop } from './nodegroup-asg-reconciler';
import { startReceivers } from './receivers';
import { startPricingServer } from './pricing-server';
import { connectClient } from '../client';
import { buildIngressServer } from '../ingress/server';
import { currentSizesFrom } from '../api/aws-reads';
import { AuditLog } from '../audit';
import { startSqsPoller } from '../ingress/sqs-poller';
import { reportSourceFromEnv } from '../ingress/reports';
import { IngressMetrics } from '../ingress/dispatch';
import { createLogger } from '../log';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { applySchedules } from '../../schedules/apply';
import { applyOptionsFor, timetableFor } from '../../schedules/from-config';

const TEMPORAL_PORT = 7233;
const UI_PORT = 8233;
const MOTO_PORT = 5055;
/** Slack/PagerDuty stand-ins; eksflow.example.yaml points PagerDuty's events URL here. */
const RECEIVERS_PORT = 4010;
const PRICING_PORT = 4011;
const INGRESS_PORT = 8080; // EKSFLOW_INGRESS_PORT's default, so the CLI finds it
/** The sandbox's ingress bearer token (a real deployment sets EKSFLOW_INGRESS_TOKEN). */
const SANDBOX_INGRESS_TOKEN = 'sandbox-ingress-token-change-me';

const say = (msg: string) => process.stdout.write(`[eksflow] ${msg}\n`);

function portInUse(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

const stoppers: (() => Promise<void> | void)[] = [];
let stopping = false;
/** Stops what was started, newest first; the servers run in their own process groups. */
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping…');
    for (const stop of stoppers.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const configPath = process.env.EKSFLOW_CONFIG ?? join(REPO_ROOT, 'eksflow.example.yaml');
  const loaded = loadConfigFile(configPath);
  // moto refuses SSM parameters under /aws/: the scan reads the sandbox's mirror of the EKS AMI parameters.
  const config = {
    ...loaded,
    security: {
      ...loaded.security,
      amiReleaseParameter: sandboxAmiParameterTemplate(loaded.security.amiReleaseParameter),
    },
  };
  say(`config ${configPath}: ${config.clusters.length} clusters`);

  const dataDir = join(REPO_ROOT, '.data');
  const ports = [
    [TEMPORAL_PORT, 'Temporal frontend'],
    [UI_PORT, 'Temporal UI'],
    [MOTO_PORT, 'moto'],
    [RECEIVERS_PORT, 'Slack/PagerDuty receivers'],
    [PRICING_PORT, 'Pricing API stand-in'],
    [INGRESS_PORT, 'event ingress'],
  ] as const;
  for (const [port, what] of ports) {
    if (await portInUse(port))
      throw new Error(`port ${port} (${what}) is already in use — is another \`npm start\` running?`);
  }

  const track = <P extends ManagedProcess>(p: P): P => {
    stoppers.push(() => p.stop());
    return p;
  };
  const [temporal, moto] = await Promise.all([
    startTemporalDevServer({
      port: TEMPORAL_PORT,
      uiPort: UI_PORT,
      dbFile: join(dataDir, 'temporal.db'),
      logFile: join(dataDir, 'logs', 'temporal.log'),
    }).then(track),
    startMoto({ port: MOTO_PORT, logFile: join(dataDir, 'logs', 'moto.log') }).then(track),
  ]);
  say(`Temporal dev server on ${temporal.address} (SQLite ${join('.data', 'temporal.db')}); moto on ${moto.endpoint}`);

  const receivers = await startReceivers({ port: RECEIVERS_PORT });
  stoppers.push(() => receivers.close());
  const pricing = await startPricingServer({ port: PRICING_PORT });
  stoppers.push(() => pricing.close());
  say(`Slack/PagerDuty receivers on ${receivers.baseUrl}; Pricing API stand-in on ${pricing.url}`);

  // The sandbox's secrets: local receiver URLs and a dummy routing key, set in this process's
  // environment only (the worker resolves them at delivery time, as it would real ones).
  const sandboxSecrets: Record<string, string> = {
    EKSFLOW_SLACK_WEBHOOK_URL: receivers.slackUrlFor('primary'),
    EKSFLOW_SLACK_WEBHOOK_URL_SECONDARY: receivers.slackUrlFor('secondary'),
    EKSFLOW_SLACK_WEBHOOK_URL_MANAGER: receivers.slackUrlFor('manager'),
    PAGERDUTY_ROUTING_KEY: 'sandboxsandboxsandboxsandbox0000',
    EKSFLOW_INGRESS_TOKEN: SANDBOX_INGRESS_TOKEN,
    EKSFLOW_PUBLIC_URL: `http://localhost:${INGRESS_PORT}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [k, v] of Object.entries(sandboxSecrets)) process.env[k] ??= v;

  const env = readEnv({
    ...process.env,
    EKSFLOW_CONFIG: configPath,
    TEMPORAL_ADDRESS: temporal.address,
    EKSFLOW_AWS_ENDPOINT: moto.endpoint,
    EKSFLOW_PRICING_ENDPOINT: pricing.url,
    EKSFLOW_AUDIT_LOG: process.env.EKSFLOW_AUDIT_LOG ?? join(dataDir, 'audit.jsonl'),
  });

  const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS });
  for (const cluster of config.clusters) await seedCluster(aws, cluster);
  // A week of node-group utilisation for the 14:00 performance tuning.
  for (const cluster of config.clusters) await seedUtilisationMetrics(aws, cluster, Date.now());
  // Something for the night jobs (backups, cleanup) to find on their first run.
  for (const cluster of config.clusters) await seedNightResources(aws, cluster);
  const sns = config.notifications.channels.sns;
  if (sns?.emailTopicArn) {
    const accountId = sns.accountId ?? sns.emailTopicArn.split(':')[4]!;
    await seedAlertTopic(aws, { accountId, region: sns.region, roleArn: sns.roleArn }, sns.emailTopicArn);
  }
  // Nodes exist before the night-shift seeds look for them (the loop then keeps them in step).
  await reconcileNodegroupAsgs(aws, config.clusters);
  for (const cluster of config.clusters) {
    await seedSecurityFindings(aws, cluster, loaded.security.amiReleaseParameter);
    await seedLogGroups(aws, cluster, {
      bucket: expandTemplate(config.logs.bucket, { accountId: cluster.accountId, region: cluster.region }),
      nowMs: Date.now(),
    });
  }
  const reconciler = startReconcilerLoop(aws, config.clusters, 2000, (m) => say(m));
  stoppers.push(() => reconciler.stop());
  say(
    `seeded ${config.clusters.map((c) => `${c.name} (${c.accountId}, ${c.region}, ${c.nodegroups.length} node groups)`).join(', ')}`,
  );

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const worker = await createWorker(env, config);
  const running = worker.run();
  stoppers.push(async () => {
    worker.shutdown();
    await running;
  });
  say(`worker polling task queue "${env.TEMPORAL_TASK_QUEUE}"`);

  const client = await connectClient(env);
  const metrics = new IngressMetrics();
  const log = createLogger('ingress', 'warn');
  const api = {
    reportsDir: resolve(env.EKSFLOW_REPORTS_DIR),
    temporalUiUrl: `http://localhost:${UI_PORT}`,
    audit: new AuditLog(env.EKSFLOW_AUDIT_LOG),
    currentSizes: currentSizesFrom(aws, config.clusters),
  };
  const ingress = buildIngressServer({
    client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    token: env.EKSFLOW_INGRESS_TOKEN!,
    config,
    metrics,
    log,
    api,
    reports: reportSourceFromEnv(env, aws),
  });
  await ingress.listen({ port: INGRESS_PORT, host: '127.0.0.1' });
  stoppers.push(() => ingress.close());
  // The interruption queue an EventBridge rule would feed, in the us-east-1 demo account.
  const queueTarget = config.clusters.find((c) => c.region === 'us-east-1') ?? config.clusters[0]!;
  const queue = await aws.sqs(queueTarget).send(new CreateQueueCommand({ QueueName: 'eksflow-interruptions' }));
  const poller = startSqsPoller({
    sqs: aws.sqs(queueTarget),
    queueUrl: queue.QueueUrl!,
    client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    metrics,
    log,
  });
  stoppers.push(() => poller.stop());
  say(`event ingress on http://localhost:${INGRESS_PORT} (POST /events/eventbridge); SQS poller on ${queue.QueueUrl}`);

  const applied = await applySchedules(client, timetableFor(config), applyOptionsFor(config, env.TEMPORAL_TASK_QUEUE));
  say(
    `timetable applied as Temporal Schedules (Asia/Kolkata): ${applied.created} created, ${applied.updated} updated, ${applied.deleted} deleted, ${applied.unchanged} unchanged`,
  );

  const sandboxEnvFile = join(dataDir, 'sandbox.env');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    sandboxEnvFile,
    formatEnvFile(
      {
        EKSFLOW_CONFIG: configPath,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_UI_URL: `http://localhost:${UI_PORT}`,
        EKSFLOW_AWS_ENDPOINT: moto.endpoint,
        EKSFLOW_PRICING_ENDPOINT: pricing.url,
        AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
        EKSFLOW_INGRESS_TOKEN: env.EKSFLOW_INGRESS_TOKEN!,
        EKSFLOW_PUBLIC_URL: `http://localhost:${INGRESS_PORT}`,
        EKSFLOW_AUDIT_LOG: env.EKSFLOW_AUDIT_LOG,
      },
      'Written by `npm start` while the sandbox runs (removed when it stops). The CLI reads it when\nEKSFLOW_AWS_ENDPOINT is unset and the config is eksflow.example.yaml (src/config/env.ts).',
    ),
  );
  stoppers.push(() => rmSync(sandboxEnvFile, { force: true }));

  say('');
  say(`Temporal UI:   http://localhost:${UI_PORT}/namespaces/default/workflows`);
  say(
    `Status page:   http://localhost:${INGRESS_PORT}/ (sign in with the ingress token, ${SANDBOX_INGRESS_TOKEN}); API reference: http://localhost:${INGRESS_PORT}/api/v1/docs`,
  );
  const example = await aws.ec2(queueTarget).send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:eks:nodegroup-name', Values: ['batch-spot'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    }),
  );
  const instanceId = example.Reservations?.[0]?.Instances?.[0]?.InstanceId ?? 'i-0123456789abcdef0';
  say(`Try next in another terminal (the CLI reads ${join('.data', 'sandbox.env')}; no exports needed):`);
  say('  npx eksflow scale up --cluster payments-mumbai --dry-run      # the plan 08:00 IST would apply');
  say('  npx eksflow schedules trigger scale-up                         # run it now; watch it in the UI');
  say('  npx eksflow scaling pause --cluster payments-mumbai --reason "release freeze" --until 2030-01-01T00:00:00Z');
  say(
    `  npx eksflow events spot-warning --instance ${instanceId} --region ${queueTarget.region} --account ${queueTarget.accountId}`,
  );
  say('  npx eksflow alerts test --severity critical && npx eksflow alerts list');
  say('  npx eksflow report cost --open');
  say('  npx eksflow security scan && npx eksflow security findings --severity high');
  say('Ctrl-C stops everything; state is kept in .data/ for the next `npm start`.');
  await running;
}

main().catch(async (err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`eksflow: ${err.message}\n`);
    await stopAll(2);
  }
  process.stderr.write(`eksflow: ${(err as Error).stack ?? String(err)}\n`);
  await stopAll(1);
});
