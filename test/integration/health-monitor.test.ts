import type { Worker } from '@temporalio/worker';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import type { ActivityDeps } from '../../activities';
import { createHealthActivities } from '../../activities/health';
import { checkHealthNow, ensureHealthMonitors, healthStatus, pauseHealth, resumeHealth } from '../../src/client/health';
import { checkDedupKey, healthWorkflowId } from '../../src/domain/health/checks';
import type { HealthStatus } from '../../src/domain/health/status';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import { captureCli } from '../support/cli-capture';
import {
  apiserverLatency,
  healthTestConfig,
  healthySeries,
  nodeReady,
  startJiraReceiver,
  waitUntil,
} from '../support/health-fixtures';
import { testPrometheus } from '../support/prometheus';
import {
  connectDevServer,
  createTestWorker,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { verifyFleetHealth } from '../../workflows';
import { resultTable } from '../../src/domain/scaling/results';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * The health monitor against the real Prometheus of the test run, scraping an exporter whose
 * kube-state-metrics / apiserver series this test moves: a node goes NotReady (critical →
 * PagerDuty once), API latency rises (warning → alert, one Jira ticket, CloudWatch metrics in moto),
 * a series disappears (no data), plus pause/resume/check through the CLI and PromQL validation.
 */
describe('health monitor on a real Prometheus', () => {
  const prom = testPrometheus();
  const cluster = uniqueName('hm').replace(/[^a-z0-9-]/g, '');
  const clusterKey = `123456789012/ap-south-1/${cluster}`;
  const workflowId = healthWorkflowId({ accountId: '123456789012', region: 'ap-south-1', name: cluster });
  const taskQueue = uniqueName('it-health');
  const env = { pd: 'IT_HEALTH_PD_KEY', email: 'IT_HEALTH_JIRA_EMAIL', token: 'IT_HEALTH_JIRA_TOKEN' };
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let receivers: Receivers;
  let jira: Awaited<ReturnType<typeof startJiraReceiver>>;
  let worker: Worker;
  let running: Promise<void>;
  let deps: ActivityDeps;
  let rawConfig: Record<string, unknown>;

  const status = () => healthStatus(stack.client, workflowId);
  const check = (s: HealthStatus, name: string) => s.checks.find((c) => c.name === name)!;
  const pdEvents = (dedupKey: string, action?: string) =>
    receivers.received('pagerduty').filter((r) => {
      const b = r.body as { dedup_key?: string; event_action?: string };
      return b.dedup_key === dedupKey && (!action || b.event_action === action);
    });
  /** Waits for `n` more evaluations than now (the monitor's own counter, not a sleep). */
  const moreEvaluations = async (n: number) => {
    const start = (await status()).evaluations;
    return waitUntil(
      `${n} more evaluations`,
      async () => {
        const s = await status();
        return s.evaluations >= start + n ? s : undefined;
      },
      30_000,
    );
  };

  beforeAll(async () => {
    receivers = await startReceivers();
    jira = await startJiraReceiver('ops@example.com:jira-token');
    process.env[env.pd] = 'R0UTINGKEYR0UTINGKEYR0UTINGKEY01';
    process.env[env.email] = 'ops@example.com';
    process.env[env.token] = 'jira-token';
    await prom.exporter.set(healthySeries(cluster));
    rawConfig = healthTestConfig({
      cluster,
      prometheusUrl: prom.url,
      pagerdutyUrl: receivers.pagerdutyUrl,
      pdKeyEnv: env.pd,
      jiraUrl: jira.url,
      jiraEnv: { email: env.email, token: env.token },
      // No scale-up here (health-actions test): critical pages, warning pages + files a ticket.
      severityActions: {
        critical: ['alert', 'update_metrics'],
        warning: ['alert', 'create_jira_ticket', 'update_metrics'],
        info: ['update_metrics'],
      },
    });
    const config = testConfig(rawConfig);
    await seedCluster(testAwsFactory(), config.clusters[0]);
    stack = await connectDevServer();
    deps = testActivityDeps({ config, client: stack.client, taskQueue, aws: testAwsFactory() });
    worker = await createTestWorker({ connection: stack.nativeConnection, taskQueue, deps });
    running = worker.run();
    const started = await ensureHealthMonitors(stack.client, config, taskQueue);
    expect(started).toEqual([{ workflowId, started: true }]);
    // Idempotent: a second start leaves the running monitor alone.
    expect(await ensureHealthMonitors(stack.client, config, taskQueue)).toEqual([{ workflowId, started: false }]);
  });

  afterAll(async () => {
    await stack?.client.workflow
      .getHandle(workflowId)
      .terminate('test done')
      .catch(() => undefined);
    worker?.shutdown();
    await running;
    await stack?.close();
    await receivers?.close();
    await jira?.close();
    await prom.exporter.drop({ cluster });
  });

  test('a healthy cluster: every check ok with the value Prometheus computed', async () => {
    const s = await waitUntil('all checks evaluated ok', async () => {
      const s = await status();
      return s.evaluations >= 2 && s.checks.length === 6 && s.checks.every((c) => c.state === 'ok') ? s : undefined;
    });
    expect(check(s, 'node-not-ready').value).toBe(0);
    expect(check(s, 'failed-pods').value).toBe(0);
    expect(check(s, 'apiserver-latency-p99').value).toBeLessThan(0.1);
    // No Cluster Autoscaler series: noData=ok for that check, so it is ok rather than "no data".
    expect(check(s, 'autoscaler-errors').value).toBeUndefined();
    expect(s.blind.open).toBe(false);
    expect(s.prometheusUrl).toBe(prom.url);
  });

  test('a node going NotReady pages once (pending → firing), stays one incident, and resolves', async () => {
    const key = checkDedupKey(clusterKey, 'node-not-ready');
    await prom.exporter.set(nodeReady(cluster, false));
    const pending = await waitUntil('pending', async () => {
      const s = await status();
      return ['pending', 'firing'].includes(check(s, 'node-not-ready').state) ? s : undefined;
    });
    expect(check(pending, 'node-not-ready').value).toBe(1);
    await receivers.waitFor(() => pdEvents(key, 'trigger').length >= 1, 30_000);
    expect(check(await status(), 'node-not-ready').state).toBe('firing');
    await moreEvaluations(3);
    expect(pdEvents(key, 'trigger')).toHaveLength(1);
    const trigger = pdEvents(key, 'trigger')[0].body as { payload: { severity: string; summary: string } };
    expect(trigger.payload.severity).toBe('critical');
    expect(trigger.payload.summary).toContain('node-not-ready');

    await prom.exporter.set(nodeReady(cluster, true));
    await receivers.waitFor(() => pdEvents(key, 'resolve').length >= 1, 30_000);
    const s = await status();
    expect(check(s, 'node-not-ready').state).toBe('resolved');
    expect(pdEvents(key, 'trigger')).toHaveLength(1);
    expect(s.recentActions.map((a) => a.action)).toEqual(expect.arrayContaining(['fire', 'resolve']));
  });

  test('API server p99 latency rising: warning alert, one Jira ticket, values in CloudWatch (moto)', async () => {
    const key = checkDedupKey(clusterKey, 'apiserver-latency-p99');
    await prom.exporter.set(apiserverLatency(cluster, 'slow'));
    await receivers.waitFor(() => pdEvents(key, 'trigger').length >= 1, 45_000);
    const s = await waitUntil('ticket recorded', async () => {
      const s = await status();
      return check(s, 'apiserver-latency-p99').ticket ? s : undefined;
    });
    const c = check(s, 'apiserver-latency-p99');
    expect(c.state).toBe('firing');
    expect(c.value).toBeGreaterThan(1);
    expect(jira.rejected).toEqual([]);
    expect(jira.issues).toHaveLength(1);
    expect(jira.issues[0].fields.project.key).toBe('OPS');
    expect(jira.issues[0].fields.summary).toContain('apiserver-latency-p99');
    expect(c.ticket).toBe(jira.issues[0].key);
    await moreEvaluations(2);
    expect(jira.issues).toHaveLength(1);

    const cw = testAwsFactory().cloudwatch({ accountId: '123456789012', region: 'ap-south-1' });
    const metrics = await waitUntil('metrics in moto', async () => {
      const out = await cw.send(
        new ListMetricsCommand({ Namespace: 'eksflow/health', Dimensions: [{ Name: 'Cluster', Value: cluster }] }),
      );
      return (out.Metrics ?? []).length > 0 ? out.Metrics : undefined;
    });
    const checksPublished = new Set(metrics!.map((m) => m.Dimensions?.find((d) => d.Name === 'Check')?.Value));
    expect(checksPublished).toContain('apiserver-latency-p99');
    expect(checksPublished).toContain('node-not-ready');
    await prom.exporter.set(apiserverLatency(cluster, 'fast'));
  });

  test('a series that disappears is "no data" (its own state and alert), not a pass', async () => {
    await prom.exporter.drop({ cluster, phase: 'Failed' });
    await prom.exporter.drop({ cluster, phase: 'Running' });
    const s = await waitUntil(
      'nodata',
      async () => {
        const s = await status();
        return check(s, 'failed-pods').state === 'nodata' ? s : undefined;
      },
      60_000,
    );
    expect(check(s, 'failed-pods').noDataReason).toBe('empty result');
    await receivers.waitFor(
      () => pdEvents(`${checkDedupKey(clusterKey, 'failed-pods')}/nodata`, 'trigger').length === 1,
      30_000,
    );
    await prom.exporter.set(healthySeries(cluster).filter((x) => x.name === 'kube_pod_status_phase'));
    await waitUntil(
      'data again',
      async () => {
        const s = await status();
        return check(s, 'failed-pods').state === 'ok' ? s : undefined;
      },
      60_000,
    );
  });

  test('CLI: status table, pause (no evaluation), one-off check while paused, resume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-health-cli-'));
    const configPath = join(dir, 'eksflow.yaml');
    writeFileSync(configPath, stringify(rawConfig));
    const cli = captureCli({
      EKSFLOW_CONFIG: configPath,
      TEMPORAL_ADDRESS: process.env.EKSFLOW_TEST_TEMPORAL_ADDRESS!,
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    try {
      await waitUntil('an evaluation', async () => ((await status()).evaluations >= 1 ? true : undefined));
      expect(await cli.run('health', 'status', '--cluster', cluster)).toBe(0);
      expect(cli.out).toMatch(/CHECK\s+SEVERITY\s+STATE\s+VALUE\s+CONDITION\s+SINCE/);
      expect(cli.out).toMatch(/node-not-ready\s+critical\s+(OK|RESOLVED)\s+0 nodes\s+> 0/);

      expect(await cli.run('health', 'pause', '--cluster', cluster, '--reason', 'node upgrade', '--by', 'alice')).toBe(
        0,
      );
      expect(cli.out).toContain('PAUSED by alice: node upgrade');
      // An evaluation in flight when the pause arrived finishes before the one-off check runs (one loop).
      const first = await checkHealthNow(stack.client, workflowId);
      expect(await cli.run('health', 'check', '--cluster', cluster)).toBe(0);
      expect(cli.out).toContain('apiserver-latency-p99');
      // The one-off check while paused refreshes values without counting as an evaluation.
      expect((await status()).evaluations).toBe(first.evaluations);

      expect(await cli.run('health', 'pause', '--cluster', cluster, '--reason', '')).toBe(2);
      expect(cli.err).toContain('reason');
      expect(await cli.run('health', 'status', '--cluster', 'no-such-cluster')).toBe(2);
      expect(cli.err).toContain('unknown cluster');

      expect(await cli.run('health', 'resume', '--cluster', cluster, '--by', 'alice')).toBe(0);
      expect(cli.out).not.toContain('PAUSED');
      await moreEvaluations(1);
    } finally {
      cli.restore();
    }
    // The client helpers directly too.
    expect((await pauseHealth(stack.client, workflowId, { reason: 'x', by: 'bob' })).paused?.by).toBe('bob');
    expect((await checkHealthNow(stack.client, workflowId)).paused).toBeDefined();
    expect((await resumeHealth(stack.client, workflowId, { by: 'bob' })).paused).toBeUndefined();
  });

  test('08:30 verification: node groups and the same PromQL checks in one table', async () => {
    const config = testConfig(rawConfig);
    await reconcileNodegroupAsgs(testAwsFactory(), [config.clusters[0]]);
    const result = await stack.client.workflow.execute(verifyFleetHealth, {
      taskQueue,
      workflowId: uniqueName('it-verify-health'),
      args: [{ clusters: [cluster], settings: { pollIntervalMs: 250, verifyTimeoutMs: 5_000 } }],
    });
    const c = result.clusters[0];
    expect(c.groups.map((g) => g.nodegroup)).toEqual(['ng-main']);
    expect(c.healthChecks!.map((h) => h.check)).toEqual([
      'node-not-ready',
      'node-memory-pressure',
      'pod-restart-rate',
      'failed-pods',
      'apiserver-latency-p99',
      'autoscaler-errors',
    ]);
    expect(c.healthChecks!.find((h) => h.check === 'node-not-ready')).toMatchObject({ status: 'healthy', value: 0 });
    const table = resultTable(result.clusters);
    expect(table).toMatch(new RegExp(`${cluster}\\s+ng-main`));
    expect(table).toMatch(new RegExp(`${cluster}\\s+check:node-memory-pressure\\s+warning\\s+healthy`));
    // (API latency may still be high from the latency test: the 5-minute rate window remembers it.)
    expect((result.summary.checks_healthy ?? 0) + (result.summary.checks_unhealthy ?? 0)).toBe(6);
  });

  test('invalid PromQL is rejected by validation, naming the cluster and check', async () => {
    const config = testConfig({
      ...rawConfig,
      health: {
        ...(rawConfig.health as object),
        checks: [
          {
            name: 'broken',
            query: 'sum(rate(kube_pod_status_phase[5m]',
            operator: '>',
            threshold: 1,
            severity: 'warning',
          },
        ],
      },
    });
    const acts = createHealthActivities({ ...deps, config });
    const r = await acts.validateHealthQueries();
    expect(r.unreachable).toEqual([]);
    expect(r.invalid).toEqual([{ cluster, check: 'broken', error: expect.stringContaining('parse error') }]);
    // The shipped defaults are valid PromQL for Prometheus 2.42.
    expect((await createHealthActivities(deps).validateHealthQueries()).invalid).toEqual([]);
  });
});
