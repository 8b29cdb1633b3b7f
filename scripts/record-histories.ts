/**
 * Records workflow histories for the replay test by running scripted scenarios on a real
 * Temporal dev server, with eksflow's real activities against moto and local Slack/PagerDuty
 * receivers: `npx tsx scripts/replay-histories.ts record [dir] [scenario…]` (see there).
 * Each scenario writes `<name>.json` (the same JSON as `temporal workflow show --output json`)
 * and its workflow id into `workflow-ids.json`. Record with the workflow code whose behaviour the
 * histories should pin; a later refactoring must replay them unchanged.
 */
import { LimitedQueueWorkers } from '../src/worker-queues';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { planFor } from '../src/client/alerts';
import { AuditLog } from '../src/audit';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../src/aws/clients';
import { readEnv } from '../src/config/env';
import { parseConfig } from '../src/config/load';
import type { EksflowConfig } from '../src/config/schema';
import type { AlertInput, AlertPlan, AlertRoute, AlertState } from '../src/domain/alerts/types';
import { clusterSpecOf, controllerWorkflowId } from '../src/domain/scaling/types';
import { startMoto, startTemporalDevServer, type ManagedProcess } from '../src/sandbox/processes';
import { startReceivers, type Receivers } from '../src/sandbox/receivers';
import { seedCluster } from '../src/sandbox/seed';
import { startReconcilerLoop } from '../src/sandbox/nodegroup-asg-reconciler';
import { proposeForGroup } from '../src/domain/tuning/proposals';

const ROUTING_KEY = 'R0UTINGKEYR0UTINGKEYR0UTINGKEY01';
const ACCOUNT = '123456789012';
const REGION = 'ap-south-1';

interface Ctx {
  client: Client;
  taskQueue: string;
  config: EksflowConfig;
  receivers: Receivers;
  aws: AwsClientFactory;
}

interface Recorded {
  workflowId: string;
  /** The run to export (default: the first run of the id). */
  runId?: string;
}

/** Polls (real time) until `check` holds. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alertStatus = (h: WorkflowHandle) => h.query<AlertState>('alertStatus');

/** A plan from the config, with short escalation times so a recording takes seconds. */
function quickPlan(ctx: Ctx, alert: AlertInput, opts: { offHoursOnly?: boolean } = {}): AlertPlan {
  const plan = planFor(ctx.config, alert, { baseUrl: 'http://localhost:8233', namespace: 'default' });
  const quick = (r: AlertRoute): AlertRoute => ({ ...r, escalateAfterSeconds: 2, rounds: 2 });
  for (const sev of ['critical', 'warning', 'info'] as const) {
    plan.routes[sev] = { business: quick(plan.routes[sev].business), offHours: quick(plan.routes[sev].offHours) };
  }
  // Every day is a business day; off-hours-only: business hours are empty, so every moment is off-hours.
  plan.businessHours = {
    days: [0, 1, 2, 3, 4, 5, 6],
    startMinute: 0,
    endMinute: opts.offHoursOnly ? 0 : 24 * 60,
    holidays: [],
  };
  return plan;
}

async function startAlert(
  ctx: Ctx,
  alert: AlertInput,
  plan: AlertPlan,
  historyLimit?: number,
): Promise<WorkflowHandle & { runId: string }> {
  const workflowId = `alert/${alert.dedupKey}`;
  const h = await ctx.client.workflow.signalWithStart('alertEscalation', {
    workflowId,
    taskQueue: ctx.taskQueue,
    args: [{ alert, plan, ...(historyLimit ? { historyLimit } : {}) }],
    signal: 'alertRaised',
    signalArgs: [alert],
  });
  return Object.assign(ctx.client.workflow.getHandle(workflowId, h.signaledRunId), { runId: h.signaledRunId });
}

/**
 * A warning alert: trigger (Slack + email), a duplicate, a duplicate that raises it to critical
 * (re-page on the critical route), one timed escalation, an acknowledgement with its follow-up,
 * a resolve with its follow-up.
 */
async function alertLadder(ctx: Ctx, tag: string): Promise<Recorded> {
  const alert: AlertInput = {
    severity: 'warning',
    type: 'scale_up_timeout',
    dedupKey: `record/ladder-${tag}`,
    summary: 'node group did not scale (recorded)',
    cluster: 'record',
  };
  const h = await startAlert(ctx, alert, quickPlan(ctx, alert));
  await until('trigger', async () => (await alertStatus(h)).notifications.length === 1);
  await h.signal('alertRaised', alert);
  await until('duplicate', async () => (await alertStatus(h)).count === 2);
  await h.signal('alertRaised', { ...alert, severity: 'critical' });
  await until('re-page', async () => (await alertStatus(h)).notifications.length === 2);
  await until('escalation', async () => (await alertStatus(h)).notifications.length === 3);
  await h.signal('acknowledge', { by: 'recorder', via: 'cli' });
  await until('ack follow-up', async () =>
    (await alertStatus(h)).notifications.some((n) => n.action === 'acknowledge'),
  );
  await h.signal('resolve', { by: 'recorder', via: 'cli', note: 'recorded' });
  await h.result();
  return { workflowId: h.workflowId, runId: h.runId };
}

/** An info alert outside business hours: deferred to the digest, resolved while waiting. */
async function alertDeferred(ctx: Ctx, tag: string): Promise<Recorded> {
  const alert: AlertInput = {
    severity: 'info',
    type: 'cost_report',
    dedupKey: `record/deferred-${tag}`,
    summary: 'cost report ready (recorded)',
  };
  const plan = quickPlan(ctx, alert, { offHoursOnly: true });
  plan.routes.info.offHours = { ...plan.routes.info.offHours, channels: ['slack', 'email'], offHours: 'digest' };
  const h = await startAlert(ctx, alert, plan);
  const s = await until('deferral', async () => {
    const st = await alertStatus(h);
    return st.status === 'deferred' ? st : undefined;
  });
  await h.signal('resolve', { by: 'recorder', via: 'cli' });
  await h.result();
  // The digest slot it joined would wait until the next business start.
  const digests = ctx.client.workflow.list({ query: `WorkflowType = 'alertDigest' AND ExecutionStatus = 'Running'` });
  for await (const d of digests)
    await ctx.client.workflow
      .getHandle(d.workflowId)
      .terminate('recording done')
      .catch(() => undefined);
  void s;
  return { workflowId: h.workflowId, runId: h.runId };
}

/** A critical alert with a tiny history limit: escalates, then continues as new carrying its state. */
async function alertContinued(ctx: Ctx, tag: string): Promise<Recorded> {
  const alert: AlertInput = {
    severity: 'critical',
    type: 'spot_interruption',
    dedupKey: `record/continued-${tag}`,
    summary: 'spot interruption (recorded)',
    cluster: 'record',
  };
  const h = await startAlert(ctx, alert, quickPlan(ctx, alert), 30);
  const first = h.runId;
  await until(
    'continue-as-new',
    async () => (await ctx.client.workflow.getHandle(h.workflowId).describe()).runId !== first,
  );
  const latest = ctx.client.workflow.getHandle(h.workflowId);
  await latest.signal('resolve', { by: 'recorder', via: 'cli' });
  await latest.result();
  return { workflowId: h.workflowId, runId: first };
}

/**
 * The cluster controller: configure, an override (applied at once), pause and resume, a
 * recorded action, an invalid signal (ignored), clearing the override (back to the timetable),
 * an override that expires on its durable timer, then continue-as-new at a history limit.
 */
async function controller(ctx: Ctx): Promise<Recorded> {
  const clusterCfg = ctx.config.clusters[0]!;
  const cluster = clusterSpecOf(clusterCfg);
  const workflowId = controllerWorkflowId(cluster.key);
  const calendar = { businessDays: [1, 2, 3, 4, 5], holidays: [] };
  const h = await ctx.client.workflow.signalWithStart('clusterController', {
    workflowId,
    taskQueue: ctx.taskQueue,
    args: [{ clusterKey: cluster.key, maxHistoryEvents: 120 }],
    signal: 'configure',
    signalArgs: [{ cluster, calendar }],
  });
  const handle = ctx.client.workflow.getHandle(workflowId, h.signaledRunId);
  const first = h.signaledRunId;
  type Status = { lastActions: { action: string }[] };
  const actions = async () => (await handle.query<Status>('status')).lastActions.map((a) => a.action);
  const hour = 3_600_000;
  await handle.executeUpdate('setOverride', {
    args: [
      {
        nodegroup: 'general',
        desired: 4,
        min: 2,
        max: 6,
        untilMs: Date.now() + hour,
        reason: 'load test',
        by: 'recorder',
      },
    ],
  });
  await until('override applied', async () => (await actions()).includes('override'));
  await handle.executeUpdate('pauseScaling', { args: [{ reason: 'change freeze', by: 'recorder' }] });
  await handle.signal('recordAction', { action: 'scale-up', summary: 'skipped: paused', workflowId: 'record' });
  await handle.signal('override', {
    nodegroup: 'no-such-group',
    desired: 1,
    untilMs: Date.now() + hour,
    reason: 'x',
    by: 'recorder',
  });
  await handle.executeUpdate('resumeScaling', { args: [{ by: 'recorder' }] });
  await handle.executeUpdate('clearOverride', { args: [{ nodegroup: 'general', by: 'recorder' }] });
  await until('override cleared', async () => (await actions()).includes('override-cleared'));
  await handle.executeUpdate('setOverride', {
    args: [{ nodegroup: 'general', desired: 3, untilMs: Date.now() + 3_000, reason: 'short', by: 'recorder' }],
  });
  await until('override expired', async () => (await actions()).includes('override-expired'));
  // Reported actions until the history limit makes the run continue as new.
  await until('continue-as-new', async () => {
    const d = await ctx.client.workflow.getHandle(workflowId).describe();
    if (d.runId !== first) return true;
    await handle
      .signal('recordAction', { action: 'health', summary: 'all node groups healthy', workflowId: 'record' })
      .catch(() => undefined);
    return false;
  });
  await ctx.client.workflow.getHandle(workflowId).terminate('recording done');
  return { workflowId, runId: first };
}

/** A pending tuning change: a refused decision, then an approval applied through the controller. */
async function tuning(ctx: Ctx): Promise<Recorded> {
  const c = ctx.config.clusters[0]!;
  const cluster = clusterSpecOf(c);
  const now = Date.now();
  const out = proposeForGroup({
    clusterKey: cluster.key,
    cluster: c.name,
    ng: c.nodegroups[0]!,
    cpu: Array.from({ length: 168 }, () => 20),
    catalogue: { 'm5.large': { vcpu: 2, memoryGiB: 8, usdPerHour: 0.096 } },
    monthlyHours: { business: 200, off: 500 },
    calendar: { businessDays: [0, 1, 2, 3, 4, 5, 6], holidays: [] },
    nowMs: now,
    expiryHours: 1,
  });
  if (!('proposal' in out)) throw new Error(out.skipped);
  const proposal = { ...out.proposal, expiresAtMs: now + 3_600_000, holdUntilMs: now + 3_600_000 };
  const workflowId = `tuning/${proposal.id}`;
  const h = await ctx.client.workflow.start('tuningProposal', {
    workflowId,
    taskQueue: ctx.taskQueue,
    args: [{ proposal }],
  });
  await h.executeUpdate('rejectProposal', { args: [{ by: 'recorder' }] }).catch(() => undefined);
  await h.executeUpdate('approveProposal', { args: [{ by: 'recorder', note: 'recorded' }] });
  await h.result();
  return { workflowId, runId: h.firstExecutionRunId };
}

/**
 * The 08:00 scale-up of the recorder's cluster: the cluster's run applies its group and verifies
 * it itself (no child per group), reading until the sandbox's stand-in for EKS brings the
 * instances InService. Recorded last: its run starts the cluster's controller, which
 * `clusterController.json` records from its first run.
 */
async function scaleUpInCluster(ctx: Ctx, tag: string): Promise<Recorded> {
  const fleetId = `eksflow/scale-up-record-${tag}`;
  const reconciler = startReconcilerLoop(ctx.aws, ctx.config.clusters, 1_000);
  try {
    await ctx.client.workflow.execute('scaleUpFleet', {
      workflowId: fleetId,
      taskQueue: ctx.taskQueue,
      args: [{ settings: { pollIntervalMs: 300, verifyTimeoutMs: 60_000 } }],
    });
  } finally {
    reconciler.stop();
  }
  const cluster = clusterSpecOf(ctx.config.clusters[0]!);
  await ctx.client.workflow
    .getHandle(controllerWorkflowId(cluster.key))
    .terminate('recording done')
    .catch(() => undefined);
  return { workflowId: `${fleetId}/${cluster.key}` };
}

const SCENARIOS: Record<string, (ctx: Ctx, tag: string) => Promise<Recorded>> = {
  'alertEscalation.json': alertLadder,
  'alertEscalation-deferred.json': alertDeferred,
  'alertEscalation-continued.json': alertContinued,
  'clusterController.json': (ctx) => controller(ctx),
  'tuningProposal.json': (ctx) => tuning(ctx),
  'scaleUpCluster-in-cluster.json': scaleUpInCluster,
};

export async function record(dir: string, only: string[]): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const work = mkdtempSync(join(tmpdir(), 'eksflow-record-'));
  const servers: ManagedProcess[] = [];
  try {
    const [moto, temporal] = await Promise.all([
      startMoto({ logFile: join(work, 'moto.log') }),
      startTemporalDevServer({ headless: true, logFile: join(work, 'temporal.log') }),
    ]);
    servers.push(moto, temporal);
    const receivers = await startReceivers();
    process.env.RECORD_SLACK_PRIMARY = receivers.slackUrlFor('primary');
    process.env.RECORD_SLACK_SECONDARY = receivers.slackUrlFor('secondary');
    process.env.RECORD_PD_KEY = ROUTING_KEY;
    const aws = new AwsClientFactory({ endpoint: moto.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 });
    const tag = Date.now().toString(36);
    const config = parseConfig(
      {
        clusters: [
          {
            name: `record-${tag}`,
            accountId: '111111111111',
            region: REGION,
            nodegroups: [
              {
                name: 'general',
                instanceTypes: ['m5.large'],
                floor: 1,
                businessHours: { min: 2, desired: 3, max: 6 },
                offHours: { min: 1, desired: 1, max: 6 },
              },
            ],
          },
        ],
        notifications: {
          temporalUiUrl: 'http://localhost:8233',
          channels: {
            slack: { webhookUrlEnv: 'RECORD_SLACK_PRIMARY' },
            pagerduty: { routingKeyEnv: 'RECORD_PD_KEY', eventsUrl: receivers.pagerdutyUrl },
            sns: { region: REGION, accountId: ACCOUNT, smsNumbers: ['+919800000001'] },
          },
          escalationLevels: [
            { name: 'primary' },
            { name: 'secondary', slack: { webhookUrlEnv: 'RECORD_SLACK_SECONDARY' }, smsNumbers: ['+919800000002'] },
          ],
        },
      },
      'recorder config',
    );
    await seedCluster(aws, config.clusters[0]!);

    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    const taskQueue = `record-${tag}`;
    const deps: ActivityDeps = {
      aws,
      config,
      env: readEnv({}),
      now: () => new Date(),
      audit: new AuditLog(join(work, 'audit.jsonl')),
      reportsDir: join(work, 'reports'),
      temporal: { client, taskQueue },
    };
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities(deps),
    });
    // The rate-limited queues (PagerDuty keys, AWS mutations per account/region), as src/worker.ts polls them.
    const limited = new LimitedQueueWorkers({
      connection: nativeConnection,
      namespace: 'default',
      baseQueue: taskQueue,
      activities: createActivities(deps),
    });
    await limited.sync(config);
    const ctx: Ctx = { client, taskQueue, config, receivers, aws };
    const idsFile = join(dir, 'workflow-ids.json');
    const ids = (existsSync(idsFile) ? JSON.parse(readFileSync(idsFile, 'utf8')) : {}) as Record<string, string>;
    await worker.runUntil(async () => {
      for (const [file, scenario] of Object.entries(SCENARIOS)) {
        if (only.length > 0 && !only.includes(file) && !only.includes(file.replace(/\.json$/, ''))) continue;
        const rec = await scenario(ctx, tag);
        const history = await client.workflow.getHandle(rec.workflowId, rec.runId).fetchHistory();
        writeFileSync(join(dir, file), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
        ids[file] = rec.workflowId;
        process.stdout.write(
          `${JSON.stringify({ history: file, recorded: rec.workflowId, events: history.events?.length ?? 0 })}\n`,
        );
      }
    });
    await limited.shutdown();
    writeFileSync(idsFile, `${JSON.stringify(Object.fromEntries(Object.entries(ids).sort()), null, 2)}\n`);
    await receivers.close();
    await connection.close();
    await nativeConnection.close();
  } finally {
    for (const s of servers) await s.stop();
  }
}
