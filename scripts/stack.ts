/**
 * `npm run stack`: the production topology of docker-compose.yml as processes, without Docker —
 * PostgreSQL (a throwaway data directory), the Temporal server on it, the Temporal Web UI, three
 * worker processes, the ingress and the schedules job (src/sandbox/stack.ts) — with moto seeded
 * with eksflow.example.yaml's fleet and the local Slack/PagerDuty/Pricing stand-ins for the
 * outside world, as `npm start` has them. Ctrl-C stops everything; the data directory is removed.
 *   npm run stack [-- --workers N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { loadConfigFile } from '../src/config/load';
import { REPO_ROOT, startMoto } from '../src/sandbox/processes';
import { startReceivers } from '../src/sandbox/receivers';
import { startPricingServer } from '../src/sandbox/pricing-server';
import { seedCluster } from '../src/sandbox/seed';
import { reconcileNodegroupAsgs, startReconcilerLoop } from '../src/sandbox/nodegroup-asg-reconciler';
import { startStack } from '../src/sandbox/stack';

const say = (msg: string) => process.stdout.write(`[stack] ${msg}\n`);
const workersArg = process.argv.indexOf('--workers');
const WORKERS = workersArg > 0 ? Number(process.argv[workersArg + 1]) : 3;
/** docker-compose.yml's published ports. */
const PORTS = { temporal: 7233, ui: 8080, ingress: 8088 };
const TOKEN = 'stack-ingress-token-change-me';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-stack-'));
  const stops: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (!stopping) {
      stopping = true;
      say('stopping…');
      for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGHUP', () => void stopAll(0));
  try {
    const configPath = process.env.EKSFLOW_CONFIG ?? join(REPO_ROOT, 'eksflow.example.yaml');
    const config = loadConfigFile(configPath);
    const moto = await startMoto({ logFile: join(dir, 'logs', 'moto.log') });
    stops.push(() => moto.stop());
    const receivers = await startReceivers({ port: 4010 });
    stops.push(() => receivers.close());
    const pricing = await startPricingServer({ port: 4011 });
    stops.push(() => pricing.close());
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS });
    for (const cluster of config.clusters) await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, config.clusters);
    const reconciler = startReconcilerLoop(aws, config.clusters, 2000);
    stops.push(() => reconciler.stop());
    say(`moto on ${moto.endpoint} seeded with ${config.clusters.length} clusters; receivers on ${receivers.baseUrl}`);
    const stack = await startStack({
      dir,
      workers: WORKERS,
      ports: PORTS,
      say,
      track: (piece) => stops.push(() => piece.stop()),
      values: {
        EKSFLOW_CONFIG: configPath,
        EKSFLOW_AUDIT_LOG: join(dir, 'audit.jsonl'),
        EKSFLOW_REPORTS_DIR: join(dir, 'reports'),
        AWS_REGION: 'ap-south-1',
        EKSFLOW_SLACK_WEBHOOK_URL: receivers.slackUrlFor('primary'),
        EKSFLOW_SLACK_WEBHOOK_URL_SECONDARY: receivers.slackUrlFor('secondary'),
        EKSFLOW_SLACK_WEBHOOK_URL_MANAGER: receivers.slackUrlFor('manager'),
        PAGERDUTY_ROUTING_KEY: 'stackstackstackstackstackstack00',
        PAGERDUTY_WEBHOOK_SECRET: process.env.PAGERDUTY_WEBHOOK_SECRET ?? '',
        EKSFLOW_INGRESS_TOKEN: process.env.EKSFLOW_INGRESS_TOKEN ?? TOKEN,
        EKSFLOW_AWS_ENDPOINT: moto.endpoint,
        EKSFLOW_PRICING_ENDPOINT: pricing.url,
        AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    say('');
    say(`Temporal UI:  ${stack.ui?.url ?? '(off)'}/namespaces/default/workflows`);
    say(`Status page:  http://localhost:${PORTS.ingress}/ (token ${stack.values.EKSFLOW_INGRESS_TOKEN})`);
    say(`CLI:          TEMPORAL_ADDRESS=${stack.temporal.address} EKSFLOW_AWS_ENDPOINT=${moto.endpoint} npx eksflow …`);
    say(`Logs:         ${stack.logDir}`);
    say('Ctrl-C stops everything.');
    await new Promise(() => undefined);
  } catch (err) {
    process.stderr.write(`stack: ${(err as Error).stack ?? String(err)}\n`);
    await stopAll(1);
  }
}

void main();
