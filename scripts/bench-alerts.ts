/**
 * `npm run bench:alerts` — prints one JSON line:
 *   {"bench":"alerts","alerts":N,"alerts_per_s":…,"p50_ms":…,"p99_ms":…}
 * N distinct critical alerts are raised (signal-with-start, 16 in flight) against a Temporal dev
 * server with ONE worker; each goes to the local Slack and PagerDuty receivers. Latency is from
 * the raise call to the first delivery arriving at a receiver; throughput is N over the time
 * from the first raise to the last first delivery. Set BENCH_ALERTS to change N (default 200).
 * Ceiling, in the same run: N workflows of the same shape with empty logic (signal-with-start,
 * two activities POSTing to the same receivers, one timer; scripts/bench-support/noop-workflows.ts)
 * on a worker with the same options → `ceiling_per_s`, and `ratio` = ceiling_per_s / alerts_per_s.
 * No AWS call is on this path; `aws_calls` says so from the counter.
 */
import { LimitedQueueWorkers } from '../src/worker-queues';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { openOrMergeAlert } from '../src/client/alerts';
import { AuditLog } from '../src/audit';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import { startReceivers } from '../src/sandbox/receivers';
import { startTemporalDevServer } from '../src/sandbox/processes';
import { awsCallsSince, snapshotAwsCalls, totalAwsCalls } from '../src/aws/call-counter';
import { createCeilingActivities, noopEventSignal, type ceilingAlert } from './bench-support/noop-workflows';

const N = Number(process.env.BENCH_ALERTS ?? 200);
const IN_FLIGHT = 16;
const ROUTING_KEY = 'BENCHR0UTINGKEYBENCHR0UTINGKEY01';

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-bench-alerts-'));
  const temporal = await startTemporalDevServer({ headless: true, logFile: join(dir, 'temporal.log') });
  const receivers = await startReceivers();
  // Secrets are read from env by name at delivery time, as in production.
  process.env.BENCH_SLACK_URL = receivers.slackUrl;
  process.env.BENCH_PD_KEY = ROUTING_KEY;
  const connection = await Connection.connect({ address: temporal.address });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const taskQueue = 'bench-alerts';
  try {
    const config = parseConfig(
      {
        clusters: [
          {
            name: 'bench',
            accountId: '123456789012',
            region: 'ap-south-1',
            nodegroups: [
              {
                name: 'ng',
                instanceTypes: ['m5.large'],
                businessHours: { min: 1, desired: 1, max: 2 },
                offHours: { min: 0, desired: 0, max: 2 },
              },
            ],
          },
        ],
        notifications: {
          channels: {
            slack: { webhookUrlEnv: 'BENCH_SLACK_URL' },
            pagerduty: { routingKeyEnv: 'BENCH_PD_KEY', eventsUrl: receivers.pagerdutyUrl },
          },
          routes: { critical: { channels: ['pagerduty', 'slack'] } },
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
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities,
    });
    // PagerDuty deliveries run on their rate-limited queue (120 events/min per routing key).
    const limited = new LimitedQueueWorkers({
      connection: nativeConnection,
      namespace: 'default',
      baseQueue: taskQueue,
      activities,
    });
    await limited.sync(config);
    const running = worker.run();
    const raisedAt = new Map<string, number>();
    const raise = (i: number) => {
      const key = `bench-${i}`;
      raisedAt.set(key, Date.now());
      return openOrMergeAlert(
        client,
        { taskQueue, config, uiBaseUrl: 'http://localhost:8233' },
        { severity: 'critical', type: 'bench', dedupKey: key, summary: `bench alert ${i}` },
      );
    };
    // Warm-up (bundle, connections), not measured.
    await raise(-1);
    await receivers.waitFor((r) => r.length >= 2, 60_000);
    receivers.clear();

    const calls0 = snapshotAwsCalls();
    const start = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < N) await raise(next++);
      }),
    );
    const keyOf = (body: unknown) => (JSON.stringify(body).match(/bench-\d+/) ?? [])[0];
    const firstSeen = () => {
      const first = new Map<string, number>();
      for (const r of receivers.received()) {
        const k = keyOf(r.body);
        if (k && !first.has(k)) first.set(k, r.atMs);
      }
      return first;
    };
    await receivers.waitFor(() => firstSeen().size >= N, 300_000);
    const first = firstSeen();
    const latencies = [...first].map(([k, at]) => at - raisedAt.get(k)!);
    const end = Math.max(...first.values());
    const invalid = receivers.received().filter((r) => !r.valid).length;
    if (invalid > 0) throw new Error(`${invalid} deliveries did not match the Slack/PagerDuty schemas`);
    const calls = totalAwsCalls(awsCallsSince(calls0));
    worker.shutdown();
    await Promise.all([running, limited.shutdown()]);
    const alertsPerS = Math.round((N / ((end - start) / 1000)) * 10) / 10;

    // The ceiling: the same shape with empty logic, same receivers, same in-flight raises.
    receivers.clear();
    const ceilingQueue = 'bench-alerts-ceiling';
    const ceilingWorker = await Worker.create({
      connection: nativeConnection,
      taskQueue: ceilingQueue,
      workflowsPath: require.resolve('./bench-support/noop-workflows'),
      activities: createCeilingActivities(),
    });
    const ceilingRunning = ceilingWorker.run();
    const runId = Date.now();
    const raiseCeiling = (i: number) => {
      const input = {
        key: `ceiling-${runId}-${i}`,
        slackUrl: receivers.slackUrl,
        pagerdutyUrl: receivers.pagerdutyUrl,
        routingKey: ROUTING_KEY,
      };
      return client.workflow.signalWithStart<typeof ceilingAlert, [unknown]>('ceilingAlert', {
        workflowId: `bench-ceiling/${input.key}`,
        taskQueue: ceilingQueue,
        args: [input],
        signal: noopEventSignal,
        signalArgs: [input],
      });
    };
    await raiseCeiling(-1);
    await receivers.waitFor((r) => r.length >= 2, 60_000);
    receivers.clear();
    const cStart = Date.now();
    let cNext = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (cNext < N) await raiseCeiling(cNext++);
      }),
    );
    const ceilingKeys = () =>
      new Set(receivers.received().map((r) => (JSON.stringify(r.body).match(/ceiling-\d+-\d+/) ?? [])[0]));
    await receivers.waitFor(() => ceilingKeys().size >= N, 300_000);
    const cEnd = Math.max(...receivers.received().map((r) => r.atMs));
    ceilingWorker.shutdown();
    await ceilingRunning;
    const ceilingPerS = Math.round((N / ((cEnd - cStart) / 1000)) * 10) / 10;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'alerts',
        alerts: N,
        alerts_per_s: alertsPerS,
        p50_ms: percentile(latencies, 50),
        p99_ms: percentile(latencies, 99),
        ceiling_per_s: ceilingPerS,
        ratio: Math.round((ceilingPerS / alertsPerS) * 100) / 100,
        aws_calls: calls,
        aws_calls_per_unit: Math.round((calls / N) * 100) / 100,
      })}\n`,
    );
  } finally {
    await connection.close();
    await nativeConnection.close();
    await receivers.close();
    await temporal.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:alerts failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
