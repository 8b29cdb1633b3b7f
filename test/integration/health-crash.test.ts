import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit';
import { healthStatus } from '../../src/client/health';
import { blindDedupKey, checkDedupKey, healthWorkflowId } from '../../src/domain/health/checks';
import type { HealthStatus } from '../../src/domain/health/status';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { seedCluster } from '../../src/sandbox/seed';
import { startReceivers, type Receivers } from '../../src/sandbox/receivers';
import { freePort } from '../../src/sandbox/processes';
import { healthTestConfig, healthySeries, nodeReady, waitUntil } from '../support/health-fixtures';
import { startPrometheus, testPrometheus, type PrometheusServer } from '../support/prometheus';
import { connectDevServer, testAwsFactory, testConfig, uniqueName } from '../support/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * The monitor survives a SIGKILLed worker (while a check is pending, and right after the page
 * went out while the fire's actions run) and a Prometheus restart: one page per incident, the
 * scale-up applied once through the cluster controller, the "blind" alert raised and resolved.
 */
describe('health monitor: worker crash and Prometheus restart', () => {
  const shared = testPrometheus();
  const aws = testAwsFactory();
  const cluster = uniqueName('hc').replace(/[^a-z0-9-]/g, '');
  const taskQueue = uniqueName('it-health-crash');
  const pdKeyEnv = 'IT_HEALTH_CRASH_PD_KEY';
  const workflowId = healthWorkflowId({ accountId: '123456789012', region: 'ap-south-1', name: cluster });
  let clusterKey: string;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let receivers: Receivers;
  let prom: PrometheusServer;
  let promPort: number;
  const promDir = mkdtempSync(join(tmpdir(), 'eksflow-prom-restart-'));
  // One audit log for all worker processes (as in a deployment): a re-delivered page is found there.
  const auditLog = join(mkdtempSync(join(tmpdir(), 'eksflow-health-crash-')), 'audit.jsonl');
  let raw: Record<string, unknown>;
  const workers: WorkerProcess[] = [];

  const status = () => healthStatus(stack.client, workflowId);
  const check = (s: HealthStatus, name: string) => s.checks.find((c) => c.name === name)!;
  const roundOf = (r: { body: unknown }) =>
    (r.body as { payload?: { custom_details?: { round?: number } } }).payload?.custom_details?.round;
  const pd = (dedupKey: string, action: string) =>
    receivers
      .received('pagerduty')
      .filter(
        (r) =>
          (r.body as { dedup_key?: string }).dedup_key === dedupKey &&
          (r.body as { event_action?: string }).event_action === action,
      );
  const moreEvaluations = async (n: number) => {
    const start = (await status()).evaluations;
    return waitUntil(
      `${n} more evaluations`,
      async () => {
        const s = await status();
        return s.evaluations >= start + n ? s : undefined;
      },
      60_000,
    );
  };
  const spawn = async () => {
    const w = await spawnWorkerProcess({
      config: raw,
      taskQueue,
      auditLog,
      env: { [pdKeyEnv]: 'R0UTINGKEYR0UTINGKEYR0UTINGKEY01' },
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    receivers = await startReceivers();
    await shared.exporter.set(healthySeries(cluster));
    promPort = await freePort();
    prom = await startPrometheus({ targets: [shared.exporterUrl], port: promPort, dataDir: promDir });
    raw = healthTestConfig({
      cluster,
      prometheusUrl: prom.url,
      pagerdutyUrl: receivers.pagerdutyUrl,
      pdKeyEnv,
      severityActions: { critical: ['alert', 'scale_up_nodes'], warning: ['alert'], info: [] },
    });
    const config = testConfig(raw);
    clusterKey = clusterKeyOf(config.clusters[0]);
    await seedCluster(aws, config.clusters[0]);
    stack = await connectDevServer();
  });

  afterAll(async () => {
    for (const w of workers) await w.stop().catch(() => undefined);
    for (const id of [workflowId, controllerWorkflowId(clusterKey)])
      await stack?.client.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => undefined);
    await stack?.close();
    await prom?.stop();
    await receivers?.close();
    await shared.exporter.drop({ cluster });
  });

  it('pages once and scales up once across two worker kills', async () => {
    // The worker starts the monitor itself (idempotent start at boot).
    await spawn();
    await waitUntil('first evaluation', async () => ((await status()).evaluations >= 1 ? true : undefined));

    await shared.exporter.set(nodeReady(cluster, false));
    await waitUntil('pending', async () =>
      check(await status(), 'node-not-ready').state === 'pending' ? true : undefined,
    );
    await workers[workers.length - 1].kill();
    await spawn();

    const key = checkDedupKey(clusterKey, 'node-not-ready');
    await receivers.waitFor(() => pd(key, 'trigger').length >= 1, 60_000);
    // Killed while the fire's actions (scale-up through the controller) may still be running; once
    // the page is in the shared audit log (a page accepted by PagerDuty but killed before that
    // record is the alert layer's at-least-once window, deduplicated by PagerDuty's dedup_key).
    await waitUntil(
      'page recorded',
      () =>
        new AuditLog(auditLog)
          .read()
          .some((r) => r.action === 'pagerduty:trigger' && (r.detail as { dedupKey?: string }).dedupKey === key),
      30_000,
      10,
    );
    await workers[workers.length - 1].kill();
    await spawn();

    const s = await waitUntil(
      'scale-up recorded',
      async () => {
        const s = await status();
        return s.recentActions.some(
          (a) => a.action === 'scale-up' || a.action === 'scale-up-skipped' || a.action === 'scale-up-failed',
        )
          ? s
          : undefined;
      },
      150_000,
    );
    expect(s.recentActions.filter((a) => a.action.startsWith('scale-up'))).toEqual([
      expect.objectContaining({ action: 'scale-up', summary: expect.stringContaining('ng-main: desired 2 → 3') }),
    ]);
    await moreEvaluations(3);
    // One page: every trigger is round 1 of the one dedup key (a retry of the send after the kill
    // repeats the same event, which PagerDuty merges into the same incident by its dedup_key).
    expect(new Set(pd(key, 'trigger').map(roundOf))).toEqual(new Set([1]));
    expect(check(await status(), 'node-not-ready').state).toBe('firing');

    // The controller applied the override (recorded with the reason) to the node group in moto.
    await waitUntil('nodegroup at 3', async () => {
      const ng = await aws
        .eks({ accountId: '123456789012', region: 'ap-south-1' })
        .send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: 'ng-main' }));
      return ng.nodegroup?.scalingConfig?.desiredSize === 3 ? true : undefined;
    });
    const ctl = await stack.client.workflow
      .getHandle(controllerWorkflowId(clusterKey))
      .query<{ overrides: Record<string, { by: string; reason: string; desired?: number }> }>('controlState');
    expect(ctl.overrides['ng-main']).toMatchObject({
      by: 'eksflow-health',
      desired: 3,
      reason: expect.stringContaining('node-not-ready'),
    });
    // An activity cut off by the kill is retried only after its start-to-close timeout (awsMutate: 60 s).
  }, 300_000);

  it('a Prometheus restart raises "health checks blind" and resolves it, without paging the firing check again', async () => {
    const key = checkDedupKey(clusterKey, 'node-not-ready');
    await waitUntil(
      'firing',
      async () => (check(await status(), 'node-not-ready').state === 'firing' ? true : undefined),
      60_000,
    );
    const triggersBefore = pd(key, 'trigger').length;
    await prom.stop();
    await receivers.waitFor(() => pd(blindDedupKey(clusterKey), 'trigger').length === 1, 60_000);
    const blind = await status();
    expect(blind.blind.open).toBe(true);
    expect(check(blind, 'node-not-ready').state).toBe('firing');
    expect(check(blind, 'node-not-ready').lastError).toMatch(/unreachable/);

    prom = await startPrometheus({ targets: [shared.exporterUrl], port: promPort, dataDir: promDir });
    await receivers.waitFor(() => pd(blindDedupKey(clusterKey), 'resolve').length === 1, 60_000);
    await moreEvaluations(2);
    const after = await status();
    expect(after.blind.open).toBe(false);
    expect(check(after, 'node-not-ready').state).toBe('firing');
    expect(pd(key, 'trigger')).toHaveLength(triggersBefore);
    expect(pd(blindDedupKey(clusterKey), 'trigger')).toHaveLength(1);
  }, 240_000);
});
