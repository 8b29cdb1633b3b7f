import type { FastifyInstance } from 'fastify';
import { openOrMergeAlert } from '../../src/client/alerts';
import { IngressMetrics } from '../../src/ingress/dispatch';
import { buildIngressServer } from '../../src/ingress/server';
import {
  METRIC,
  MetricsRegistry,
  TEMPORAL_SDK_METRICS,
  startMetricsServer,
  type MetricsServer,
} from '../../src/metrics';
import { freePort } from '../../src/sandbox/processes';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import type { SpotInterruptionResult } from '../../workflows/interruption/messages';
import { sampleEventFor } from '../fixtures/events/make-event';
import { eventually } from '../support/eventually';
import { startPrometheus, type PrometheusServer } from '../support/prometheus';
import { connectDevServer, uniqueName } from '../support/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { alertsTestConfig, alertsTestEnvNames, TEST_ROUTING_KEY } from '../unit/alerts/fixtures';

/**
 * A real Prometheus (Debian's) scrapes a worker process's `/metrics` (eksflow's registry plus the
 * Temporal SDK runtime's exporter) and an ingress's; after real work — an alert delivered to a
 * local Slack receiver, a spot warning through the ingress run by the worker — PromQL over
 * `/api/v1/query` returns the series that work recorded.
 */
describe('metrics: Prometheus scrapes the worker and the ingress', () => {
  const taskQueue = uniqueName('it-metrics');
  const names = alertsTestEnvNames('it_metrics');
  const token = 'metrics-test-token-0123456789';
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let receivers: Receivers;
  let worker: WorkerProcess;
  let workerPort: number;
  let app: FastifyInstance;
  let ingressUrl: string;
  let ingressMetrics: MetricsServer;
  let prom: PrometheusServer;
  const config = () =>
    alertsTestConfig({
      prefix: 'it_metrics',
      pagerdutyUrl: receivers.pagerdutyUrl,
      extra: { rules: [{ type: 'it_metrics_slack', channels: ['slack'], offHours: 'immediate' }] },
    });

  beforeAll(async () => {
    receivers = await startReceivers();
    stack = await connectDevServer();
    workerPort = await freePort();
    worker = await spawnWorkerProcess({
      config: config(),
      taskQueue,
      env: {
        EKSFLOW_METRICS_PORT: String(workerPort),
        [names.slackPrimary]: receivers.slackUrlFor('metrics'),
        [names.slackSecondary]: receivers.slackUrlFor('metrics-2'),
        [names.slackManager]: receivers.slackUrlFor('metrics-3'),
        [names.pagerdutyKey]: TEST_ROUTING_KEY,
      },
    });
    const registry = new MetricsRegistry({ component: 'ingress' });
    app = buildIngressServer({
      client: stack.client,
      taskQueue,
      token,
      metrics: new IngressMetrics(registry),
      registry,
    });
    ingressUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    ingressMetrics = await startMetricsServer({ registry, port: 0, host: '127.0.0.1' });
    prom = await startPrometheus({
      targets: [`127.0.0.1:${workerPort}`, `127.0.0.1:${ingressMetrics.port}`],
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await worker?.stop();
    await ingressMetrics?.close();
    await app?.close();
    await stack?.close();
    await receivers?.close();
  });

  /** One instant PromQL query through the HTTP API: the samples' label sets and values. */
  async function query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const j = (await r.json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (j.status !== 'success') throw new Error(`${promql}: ${j.error}`);
    return j.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  }
  const scraped = (promql: string, min = 1) =>
    eventually(
      () => query(promql),
      (rows) => rows.reduce((n, s) => n + s.value, 0) >= min,
      promql,
      { timeoutMs: 60_000, intervalMs: 500 },
    );

  it('counts an alert delivered to a real receiver, on the worker', async () => {
    const key = uniqueName('metrics-alert');
    await openOrMergeAlert(
      stack.client,
      { taskQueue, config: config(), uiBaseUrl: 'http://localhost:8233' },
      { severity: 'warning', type: 'it_metrics_slack', dedupKey: key, summary: `metrics ${key}` },
    );
    await receivers.waitFor(
      () => receivers.received('slack').some((r) => JSON.stringify(r.body).includes(key)),
      60_000,
    );
    const rows = await scraped(
      `${METRIC.deliveries}{channel="slack",status="delivered",instance="127.0.0.1:${workerPort}"}`,
    );
    expect(rows[0]!.metric).toMatchObject({ component: 'worker', job: 'eksflow-test-exporter' });
  });

  it('counts an event through the ingress and the interruption workflow the worker ran for it', async () => {
    const instanceId = `i-0${Date.now().toString(16).padStart(16, '0')}`;
    const res = await fetch(`${ingressUrl}/events/eventbridge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(
        sampleEventFor('ec2-spot-instance-interruption-warning', {
          instanceId,
          time: Date.now(),
          region: 'ap-south-1',
          account: '123456789012',
        }),
      ),
    });
    expect(res.status).toBe(202);
    const result = await stack.client.workflow
      .getHandle<() => Promise<SpotInterruptionResult>>(`spot-interruption/${instanceId}`)
      .result();

    const events = await scraped(`${METRIC.events}{outcome="accepted",instance="127.0.0.1:${ingressMetrics.port}"}`);
    expect(events.map((s) => s.metric)).toEqual([
      expect.objectContaining({ component: 'ingress', kind: 'spot-interruption-warning' }),
    ]);
    // Recorded by the workflow through the worker's sink (not on replay).
    await scraped(`${METRIC.interruptions}{outcome="${result.outcome}",component="worker"}`);
  });

  it("serves the Temporal SDK runtime's metrics next to eksflow's on the worker's one port", async () => {
    // Straight from the worker first (a clear message naming what it does export), then through Prometheus.
    const text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    const exported = new Set(
      text
        .split('\n')
        .map((l) => /^(temporal_\w+)/.exec(l)?.[1])
        .filter(Boolean),
    );
    expect(TEMPORAL_SDK_METRICS.filter((n) => !exported.has(n))).toEqual([]);
    for (const name of TEMPORAL_SDK_METRICS) {
      const rows = await scraped(`count({__name__="${name}",instance="127.0.0.1:${workerPort}"})`);
      expect(rows.length).toBe(1);
    }
    const own = await query(`count({__name__=~"eksflow_.+|process_.+",instance="127.0.0.1:${workerPort}"})`);
    expect(own[0]?.value).toBeGreaterThan(0);
  });
});
