/**
 * `npm run bench:health` — prints one JSON line:
 *   {"bench":"health","clusters":50,"checks":6,"eval_p50_ms":…,"eval_p99_ms":…,"detect_to_page_ms":…,…}
 * 50 health monitors (one per cluster, 6 default checks each) on a Temporal dev server with ONE
 * worker, against ONE real Prometheus (Debian's, provisioned) scraping a local exporter with every
 * cluster's kube-state-metrics / apiserver series (1 s scrape). eval_*: wall time of one cluster's
 * evaluation activity (6 instant queries in parallel) while all 50 monitors run. detect_to_page_ms:
 * from the moment one cluster's node goes NotReady at the exporter to the PagerDuty trigger at the
 * local receiver, with `for: 1` on that check; the goal is one interval + 2 s (printed as goal_ms).
 * BENCH_HEALTH_CLUSTERS / BENCH_HEALTH_INTERVAL_S change the size and the interval (default 50, 5 s).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { AuditLog } from '../src/audit';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { ensureHealthMonitors, healthStatus } from '../src/client/health';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { checkDedupKey, healthWorkflowId } from '../src/domain/health/checks';
import { startReceivers } from '../src/sandbox/receivers';
import { startTemporalDevServer } from '../src/sandbox/processes';
import { exporterClient, startMetricsExporter, startPrometheus, type SeriesSpec } from '../src/sandbox/prometheus';

const CLUSTERS = Number(process.env.BENCH_HEALTH_CLUSTERS ?? 50);
const INTERVAL_S = Number(process.env.BENCH_HEALTH_INTERVAL_S ?? 5);
const ROUNDS = 4;
const ROUTING_KEY = 'BENCHR0UTINGKEYBENCHR0UTINGKEY01';

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function series(cluster: string, ready: boolean): SeriesSpec[] {
  const l = (x: Record<string, string>) => ({ cluster, ...x });
  return [
    {
      name: 'kube_node_status_condition',
      labels: l({ node: 'n1', condition: 'Ready', status: 'true' }),
      value: ready ? 1 : 0,
    },
    { name: 'kube_node_status_condition', labels: l({ node: 'n2', condition: 'Ready', status: 'true' }), value: 1 },
    {
      name: 'kube_node_status_condition',
      labels: l({ node: 'n1', condition: 'MemoryPressure', status: 'true' }),
      value: 0,
    },
    {
      name: 'kube_pod_container_status_restarts_total',
      labels: l({ namespace: 'default', pod: 'web-1', container: 'web' }),
      value: 1,
    },
    { name: 'kube_pod_status_phase', labels: l({ namespace: 'default', pod: 'web-1', phase: 'Failed' }), value: 0 },
    ...['0.1', '0.5', '1', '2.5', '+Inf'].map((le) => ({
      name: 'apiserver_request_duration_seconds_bucket',
      labels: l({ verb: 'GET', le }),
      ratePerSec: 10,
    })),
  ];
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-health-'));
  const names = Array.from({ length: CLUSTERS }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  const exporter = await startMetricsExporter();
  const ctl = exporterClient(exporter.url);
  await ctl.set(names.flatMap((n) => series(n, true)));
  const [temporal, prom, receivers] = await Promise.all([
    startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') }),
    startPrometheus({ targets: [exporter.url], logFile: join(dir, 'prometheus.log') }),
    startReceivers(),
  ]);
  process.env.BENCH_PD_KEY = ROUTING_KEY;
  const connection = await Connection.connect({ address: temporal.address });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const taskQueue = 'bench-health';
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  try {
    const config = parseConfig(
      {
        clusters: names.map((name) => ({
          name,
          accountId: '123456789012',
          region: 'ap-south-1',
          nodegroups: [
            {
              name: 'ng',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 2 },
              offHours: { min: 1, desired: 1, max: 2 },
            },
          ],
        })),
        notifications: {
          channels: { pagerduty: { routingKeyEnv: 'BENCH_PD_KEY', eventsUrl: receivers.pagerdutyUrl } },
          rules: [{ type: 'health_check', channels: ['pagerduty'], offHours: 'immediate' }],
        },
        health: {
          intervalSeconds: INTERVAL_S,
          severityActions: { critical: ['alert'], warning: ['alert'], info: [] },
          clusters: names.map((name) => ({
            cluster: name,
            prometheus: { url: prom.url, selector: `cluster="${name}"` },
            // The measured check pages on the first evaluation that sees the breach.
            checks: [
              {
                name: 'node-not-ready',
                query: 'sum(kube_node_status_condition{condition="Ready",status="true",{{selector}}} == bool 0)',
                operator: '>',
                threshold: 0,
                for: 1,
                severity: 'critical',
              },
            ],
          })),
        },
      },
      'bench config',
    );
    const activities = createActivities({
      aws: new AwsClientFactory({ credentials: SANDBOX_CREDENTIALS }),
      config,
      env: readEnv({}),
      now: () => new Date(),
      audit: new AuditLog(join(dir, 'audit.jsonl')),
      reportsDir: join(dir, 'reports'),
      temporal: { client, taskQueue },
    });
    const evalMs: number[] = [];
    let measuring = false;
    const evaluate = activities.evaluateHealthChecks;
    activities.evaluateHealthChecks = async (input) => {
      const t = performance.now();
      const out = await evaluate(input);
      if (measuring) evalMs.push(performance.now() - t);
      return out;
    };
    worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities,
    });
    running = worker.run();
    await ensureHealthMonitors(client, config, taskQueue);
    const ids = config.clusters.map((c) => healthWorkflowId(c));
    const evaluations = async () => Promise.all(ids.map(async (id) => (await healthStatus(client, id)).evaluations));
    // Warm-up: every monitor has evaluated once.
    await waitFor(
      'first evaluations',
      async () => ((await evaluations()).every((n) => n >= 1) ? true : undefined),
      120_000,
      200,
    );
    measuring = true;
    const base = await evaluations();
    await waitFor(
      `${ROUNDS} rounds`,
      async () => ((await evaluations()).every((n, i) => n >= base[i] + ROUNDS) ? true : undefined),
      (ROUNDS + 4) * INTERVAL_S * 1000 + 60_000,
      200,
    );
    measuring = false;

    const target = config.clusters[0];
    const key = checkDedupKey(`${target.accountId}/${target.region}/${target.name}`, 'node-not-ready');
    const t0 = Date.now();
    await ctl.set(series(target.name, false).slice(0, 1));
    await waitFor(
      'page',
      async () =>
        receivers.received('pagerduty').some((r) => (r.body as { dedup_key?: string }).dedup_key === key)
          ? true
          : undefined,
      INTERVAL_S * 1000 + 30_000,
      5,
    );
    const detectToPage = Date.now() - t0;

    const checks = (await healthStatus(client, ids[0])).checks.length;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'health',
        clusters: CLUSTERS,
        checks,
        interval_s: INTERVAL_S,
        evaluations_measured: evalMs.length,
        eval_p50_ms: Math.round(percentile(evalMs, 50) * 10) / 10,
        eval_p99_ms: Math.round(percentile(evalMs, 99) * 10) / 10,
        detect_to_page_ms: detectToPage,
        goal_ms: INTERVAL_S * 1000 + 2000,
        scrape_interval_s: 1,
      })}\n`,
    );
  } finally {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await Promise.all(
      names.map((n) =>
        client.workflow
          .getHandle(healthWorkflowId({ accountId: '123456789012', region: 'ap-south-1', name: n }))
          .terminate('bench done')
          .catch(() => undefined),
      ),
    );
    await connection.close();
    await nativeConnection.close();
    await receivers.close();
    await prom.stop();
    await exporter.close();
    await temporal.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:health failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
