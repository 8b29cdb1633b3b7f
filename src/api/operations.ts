import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { AuditLog } from '../audit';
import type { ApiRole } from '../config/api';
import type { EksflowConfig } from '../config/schema';
import { acknowledgeAlert, alertStatus, openAlerts, openOrMergeAlert, resolveAlert } from '../client/alerts';
import { interruptionsInFlight, startInterruption } from '../client/interruption';
import { listReports, readReport, startReportRun } from '../client/reports';
import {
  clearNodegroupOverride,
  clusterStatus,
  controllerTarget,
  findCluster,
  overrideNodegroup,
  pauseCluster,
  resumeCluster,
  startManualScale,
} from '../client/scaling';
import {
  applyTimetable,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
  type ScheduleContext,
} from '../client/schedules';
import { temporalUiLink, workflowStatus } from '../client/workflows';
import { alertWorkflowId, dedupKeyFromAlertId } from '../domain/alerts/dedup';
import { alertInputSchema } from '../domain/alerts/schema';
import type { AlertSignalOutcome } from '../client/alerts';
import { clearOverrideRequestSchema, overrideRequestSchema, pauseRequestSchema } from '../domain/scaling/control';
import { clusterKeyOf } from '../domain/scaling/types';
import { parseUntil } from '../domain/timetable/ist';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { SpotInterruptionTiming } from '../../workflows/interruption/messages';
import { costInputSchema, spotInputSchema } from '../../activities/cost';
import type { Principal } from './auth';

/** What the API needs to reach workflows and files. */
export interface ApiDeps {
  client: Client;
  taskQueue: string;
  config: EksflowConfig;
  reportsDir: string;
  /** Base URL of the Temporal UI (links in 202 answers and on the status page). */
  temporalUiUrl: string;
  audit?: AuditLog;
  schedulePrefix?: string;
  workflowTiming?: SpotInterruptionTiming;
}

export interface OperationContext {
  deps: ApiDeps;
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

/**
 * One API operation: its route, the role it needs, the zod schemas of its inputs and output
 * (the OpenAPI document is generated from these), the CLI verbs it covers, and its handler.
 */
export interface Operation {
  id: string;
  method: 'GET' | 'POST';
  /** OpenAPI style: `/api/v1/clusters/{cluster}`. */
  path: string;
  role: ApiRole;
  summary: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  /** 200, or 202 for long operations (the answer names the workflow). */
  status: 200 | 202;
  /** The CLI verbs (`scaling pause`) this operation makes reachable over HTTP. */
  cli?: string[];
  handler(ctx: OperationContext): Promise<unknown>;
}

// ---- shared schemas -------------------------------------------------------------------------

export const errorSchema = z.object({ error: z.string() }).loose().meta({ id: 'Error' });

const clusterParam = z.object({
  cluster: z.string().min(1).max(300).meta({ description: 'cluster name or <account>/<region>/<name>' }),
});
const scheduleParam = z.object({ id: z.string().min(1).max(200).meta({ description: 'timetable entry id' }) });
const alertParam = z.object({
  id: z.string().min(1).max(1100).meta({ description: 'dedup key or alert/<key> (URL-encoded)' }),
});

const size = z.object({ min: z.number(), desired: z.number(), max: z.number() });
const who = z.object({ by: z.string(), reason: z.string(), untilMs: z.number().optional() }).loose();
const override = z
  .object({
    nodegroup: z.string(),
    min: z.number().optional(),
    desired: z.number().optional(),
    max: z.number().optional(),
    untilMs: z.number(),
    reason: z.string(),
    by: z.string(),
  })
  .loose();
export const planSchema = z
  .object({
    atMs: z.number(),
    phase: z.string(),
    paused: who.optional(),
    nodegroups: z.array(
      z
        .object({
          nodegroup: z.string(),
          mode: z.string(),
          timetable: size,
          override: override.optional(),
          effective: size,
          source: z.enum(['timetable', 'override']),
        })
        .loose(),
    ),
  })
  .loose()
  .meta({ id: 'EffectivePlan' });

const acceptedSchema = z
  .object({
    accepted: z.literal(true),
    workflowId: z.string(),
    runId: z.string().optional(),
    temporalUi: z.string(),
    status: z.string().meta({ description: 'GET this URL for the workflow status and result' }),
    requestedBy: z.string(),
  })
  .meta({ id: 'Accepted' });

/** `until` as the CLI takes it (07:30, 4h, an ISO instant), or `untilMs`. */
const untilField = z
  .string()
  .min(1)
  .max(64)
  .meta({ description: 'ISO instant, HH:MM (IST), "YYYY-MM-DD HH:MM" (IST) or a duration like 4h' });

// `by` is never taken from the body: it is the caller (token name or JWT subject).
export const pauseBody = pauseRequestSchema.omit({ by: true }).extend({ until: untilField.optional() }).strict();
export const overrideBody = overrideRequestSchema
  .omit({ by: true, untilMs: true })
  .extend({ untilMs: z.number().int().positive().optional(), until: untilField.optional() })
  .strict();
export const clearOverrideBody = clearOverrideRequestSchema.omit({ by: true }).strict();
const emptyBody = z.object({}).strict();
const scaleBody = z.object({ dryRun: z.boolean().default(false) }).strict();
const noteBody = z.object({ note: z.string().max(500).optional() }).strict();
const resolveBody = z.object({ note: z.string().max(1024).optional() }).strict();
const interruptionBody = z
  .object({
    kind: z.enum(['spot-warning', 'rebalance']),
    instance: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'an EC2 instance id such as i-0123456789abcdef0'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
    account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  })
  .strict();

function untilMsOf(req: { until?: string; untilMs?: number }, required: boolean): number | undefined {
  if (req.until !== undefined && req.untilMs !== undefined)
    throw new ValidationError('give until or untilMs, not both');
  if (req.untilMs !== undefined) return req.untilMs;
  if (req.until === undefined) {
    if (required) throw new ValidationError('until (or untilMs) is required');
    return undefined;
  }
  try {
    return parseUntil(req.until, Date.now());
  } catch (err) {
    throw new ValidationError((err as Error).message);
  }
}

function audit(ctx: OperationContext, action: string, target: string, detail: Record<string, unknown>): void {
  ctx.deps.audit?.record({
    action: `api:${action}`,
    target,
    detail: { by: ctx.principal.name, via: ctx.principal.via, ...detail },
  });
}

function target(ctx: OperationContext) {
  const cluster = findCluster(ctx.deps.config, ctx.params.cluster!);
  return { cluster, t: controllerTarget(ctx.deps.config, ctx.deps.taskQueue, cluster) };
}

function accepted(ctx: OperationContext, workflowId: string, runId?: string) {
  return {
    accepted: true as const,
    workflowId,
    ...(runId ? { runId } : {}),
    temporalUi: temporalUiLink(ctx.deps.temporalUiUrl, ctx.deps.client.options.namespace, workflowId),
    status: `/api/v1/workflows/${encodeURIComponent(workflowId)}`,
    requestedBy: ctx.principal.name,
  };
}

function alertIdOf(id: string): string {
  try {
    return alertWorkflowId(dedupKeyFromAlertId(id));
  } catch (err) {
    throw new ValidationError(`bad alert id "${id}": ${(err as Error).message}`);
  }
}

function checked(workflowId: string, sent: AlertSignalOutcome): string {
  if (sent.outcome === 'not_found') throw new NotFoundError(`no alert ${workflowId}`);
  if (sent.outcome === 'closed') throw new ConflictError(`alert ${workflowId} is not open (${sent.status})`);
  return workflowId;
}

const scheduleCtx = (ctx: OperationContext): ScheduleContext => ({
  client: ctx.deps.client,
  config: ctx.deps.config,
  taskQueue: ctx.deps.taskQueue,
  prefix: ctx.deps.schedulePrefix,
});

const clusterSummary = z
  .object({
    name: z.string(),
    key: z.string(),
    accountId: z.string(),
    region: z.string(),
    nodegroups: z.array(z.string()),
  })
  .meta({ id: 'ClusterSummary' });

const alertView = z
  .object({ workflowId: z.string(), status: z.string(), count: z.number(), alert: z.object({}).loose() })
  .loose()
  .meta({ id: 'Alert' });

const scheduleView = z
  .object({
    id: z.string(),
    scheduleId: z.string(),
    time: z.string(),
    days: z.array(z.number()),
    workflow: z.string(),
    enabled: z.boolean(),
    state: z.enum(['active', 'paused', 'disabled', 'not applied']),
    note: z.string(),
    description: z.string(),
    nextRun: z.object({ utc: z.string(), ist: z.string() }).optional(),
    recentRuns: z.array(z.object({ at: z.string(), workflowId: z.string() })),
  })
  .meta({ id: 'Schedule' });

const reportFile = z
  .object({
    id: z.string(),
    kind: z.enum(['cost', 'spot']),
    generatedAt: z.string(),
    json: z.string(),
    html: z.string(),
  })
  .meta({ id: 'ReportFile' });

// ---- the operations -------------------------------------------------------------------------

export const OPERATIONS: Operation[] = [
  {
    id: 'getConfig',
    method: 'GET',
    path: '/api/v1/config',
    role: 'viewer',
    tag: 'config',
    summary: 'The loaded configuration, validated: clusters and node group counts',
    response: z.object({ clusters: z.number(), nodegroups: z.number(), valid: z.literal(true) }),
    status: 200,
    cli: ['config validate'],
    handler: async ({ deps }) => ({
      clusters: deps.config.clusters.length,
      nodegroups: deps.config.clusters.reduce((n, c) => n + c.nodegroups.length, 0),
      valid: true as const,
    }),
  },
  {
    id: 'listClusters',
    method: 'GET',
    path: '/api/v1/clusters',
    role: 'viewer',
    tag: 'clusters',
    summary: 'The configured clusters',
    response: z.object({ clusters: z.array(clusterSummary) }),
    status: 200,
    handler: async ({ deps }) => ({
      clusters: deps.config.clusters.map((c) => ({
        name: c.name,
        key: clusterKeyOf(c),
        accountId: c.accountId,
        region: c.region,
        nodegroups: c.nodegroups.map((n) => n.name),
      })),
    }),
  },
  {
    id: 'getCluster',
    method: 'GET',
    path: '/api/v1/clusters/{cluster}',
    role: 'viewer',
    tag: 'clusters',
    summary: 'Status of a cluster: effective sizes, pause, overrides with expiry, last actions',
    params: clusterParam,
    response: z
      .object({ cluster: z.string(), status: z.object({}).loose(), plan: planSchema })
      .meta({ id: 'ClusterStatus' }),
    status: 200,
    cli: ['scaling status'],
    handler: async (ctx) => {
      const { cluster, t } = target(ctx);
      return { cluster: cluster.key, ...(await clusterStatus(ctx.deps.client, t)) };
    },
  },
  {
    id: 'pauseCluster',
    method: 'POST',
    path: '/api/v1/clusters/{cluster}/pause',
    role: 'operator',
    tag: 'clusters',
    summary: 'Skip scheduled runs for a cluster (until a time, or until resumed)',
    params: clusterParam,
    body: pauseBody,
    response: planSchema,
    status: 200,
    cli: ['scaling pause'],
    handler: async (ctx) => {
      const body = pauseBody.parse(ctx.body);
      const untilMs = untilMsOf(body, false);
      const { cluster, t } = target(ctx);
      const req = { reason: body.reason, by: ctx.principal.name, ...(untilMs ? { untilMs } : {}) };
      const plan = await pauseCluster(ctx.deps.client, t, req);
      audit(ctx, 'pause', cluster.key, { request: req });
      return plan;
    },
  },
  {
    id: 'resumeCluster',
    method: 'POST',
    path: '/api/v1/clusters/{cluster}/resume',
    role: 'operator',
    tag: 'clusters',
    summary: 'Lift a pause',
    params: clusterParam,
    body: emptyBody,
    response: planSchema,
    status: 200,
    cli: ['scaling resume'],
    handler: async (ctx) => {
      emptyBody.parse(ctx.body ?? {});
      const { cluster, t } = target(ctx);
      const plan = await resumeCluster(ctx.deps.client, t, { by: ctx.principal.name });
      audit(ctx, 'resume', cluster.key, {});
      return plan;
    },
  },
  {
    id: 'overrideNodegroup',
    method: 'POST',
    path: '/api/v1/clusters/{cluster}/override',
    role: 'operator',
    tag: 'clusters',
    summary: 'Hold a node group at a size until a time (wins over the timetable)',
    params: clusterParam,
    body: overrideBody,
    response: planSchema,
    status: 200,
    cli: ['scaling override'],
    handler: async (ctx) => {
      const body = overrideBody.parse(ctx.body);
      const untilMs = untilMsOf(body, true)!;
      const { cluster, t } = target(ctx);
      const { until: _until, ...rest } = body;
      const req = { ...rest, untilMs, by: ctx.principal.name };
      const plan = await overrideNodegroup(ctx.deps.client, t, req);
      audit(ctx, 'override', cluster.key, { request: req });
      return plan;
    },
  },
  {
    id: 'clearOverride',
    method: 'POST',
    path: '/api/v1/clusters/{cluster}/clear-override',
    role: 'operator',
    tag: 'clusters',
    summary: 'Drop an override (the group returns to the timetable size)',
    params: clusterParam,
    body: clearOverrideBody,
    response: planSchema,
    status: 200,
    cli: ['scaling clear-override'],
    handler: async (ctx) => {
      const body = clearOverrideBody.parse(ctx.body);
      const { cluster, t } = target(ctx);
      const plan = await clearNodegroupOverride(ctx.deps.client, t, { ...body, by: ctx.principal.name });
      audit(ctx, 'clear-override', cluster.key, { nodegroup: body.nodegroup });
      return plan;
    },
  },
  ...(['up', 'down'] as const).map((direction): Operation => ({
    id: direction === 'up' ? 'scaleUp' : 'scaleDown',
    method: 'POST',
    path: `/api/v1/clusters/{cluster}/scale-${direction}`,
    role: 'operator',
    tag: 'clusters',
    summary: `Run the timetable scale-${direction} for one cluster now (dryRun: plan only)`,
    params: clusterParam,
    body: scaleBody,
    response: acceptedSchema,
    status: 202,
    cli: [`scale ${direction}`],
    handler: async (ctx) => {
      const body = scaleBody.parse(ctx.body ?? {});
      const { cluster } = target(ctx);
      const handle = await startManualScale(ctx.deps.client, {
        taskQueue: ctx.deps.taskQueue,
        clusterKey: cluster.key,
        direction,
        dryRun: body.dryRun,
        by: ctx.principal.name,
      });
      audit(ctx, `scale-${direction}`, cluster.key, { dryRun: body.dryRun, workflowId: handle.workflowId });
      return accepted(ctx, handle.workflowId, handle.firstExecutionRunId);
    },
  })),
  {
    id: 'listSchedules',
    method: 'GET',
    path: '/api/v1/schedules',
    role: 'viewer',
    tag: 'schedules',
    summary: 'Timetable entries with schedule state, next run (IST and UTC) and recent runs',
    response: z.object({ schedules: z.array(scheduleView) }),
    status: 200,
    cli: ['schedules list'],
    handler: async (ctx) => ({ schedules: await listSchedules(scheduleCtx(ctx)) }),
  },
  {
    id: 'applySchedules',
    method: 'POST',
    path: '/api/v1/schedules/apply',
    role: 'admin',
    tag: 'schedules',
    summary: 'Make the Temporal Schedules match the timetable',
    body: emptyBody,
    response: z
      .object({ created: z.number(), updated: z.number(), deleted: z.number(), unchanged: z.number() })
      .loose(),
    status: 200,
    cli: ['schedules apply'],
    handler: async (ctx) => {
      emptyBody.parse(ctx.body ?? {});
      const report = await applyTimetable(scheduleCtx(ctx));
      audit(ctx, 'schedules-apply', 'timetable', {
        created: report.created,
        updated: report.updated,
        deleted: report.deleted,
      });
      return report;
    },
  },
  ...(['trigger', 'pause', 'unpause'] as const).map((verb): Operation => ({
    id: `${verb}Schedule`,
    method: 'POST',
    path: `/api/v1/schedules/{id}/${verb}`,
    role: 'admin',
    tag: 'schedules',
    summary:
      verb === 'trigger'
        ? 'Run a schedule now (skipped if its previous run still goes)'
        : `${verb === 'pause' ? 'Pause' : 'Unpause'} one timetable entry's schedule`,
    params: scheduleParam,
    body: noteBody,
    response: z.object({ id: z.string(), workflow: z.string(), done: z.enum(['triggered', 'paused', 'unpaused']) }),
    status: 200,
    cli: [`schedules ${verb}`],
    handler: async (ctx) => {
      const body = noteBody.parse(ctx.body ?? {});
      const sc = scheduleCtx(ctx);
      const id = ctx.params.id!;
      const note = `${body.note ?? `${verb}d`} (by ${ctx.principal.name})`;
      const e =
        verb === 'trigger'
          ? await triggerSchedule(sc, id)
          : verb === 'pause'
            ? await pauseSchedule(sc, id, note)
            : await unpauseSchedule(sc, id, note);
      audit(ctx, `schedule-${verb}`, e.id, { note: body.note });
      return { id: e.id, workflow: e.workflow, done: `${verb}${verb === 'trigger' ? 'ed' : 'd'}` };
    },
  })),
  {
    id: 'listAlerts',
    method: 'GET',
    path: '/api/v1/alerts',
    role: 'viewer',
    tag: 'alerts',
    summary: 'Open alerts with severity, state, occurrences and escalation round',
    response: z.object({ alerts: z.array(alertView) }),
    status: 200,
    cli: ['alerts list'],
    handler: async ({ deps }) => {
      const alerts = [];
      for await (const a of openAlerts(deps.client)) alerts.push(a);
      return { alerts };
    },
  },
  {
    id: 'raiseAlert',
    method: 'POST',
    path: '/api/v1/alerts',
    role: 'operator',
    tag: 'alerts',
    summary: 'Raise an alert through the real routing (e.g. a test alert)',
    body: alertInputSchema.omit({ source: true }),
    response: acceptedSchema,
    status: 202,
    cli: ['alerts test'],
    handler: async (ctx) => {
      const input = alertInputSchema.omit({ source: true }).parse(ctx.body);
      const { workflowId, runId } = await openOrMergeAlert(
        ctx.deps.client,
        { taskQueue: ctx.deps.taskQueue, config: ctx.deps.config, uiBaseUrl: ctx.deps.temporalUiUrl },
        { ...input, details: { ...input.details, raisedBy: ctx.principal.name } },
      );
      audit(ctx, 'alert-raise', workflowId, { severity: input.severity, type: input.type });
      return accepted(ctx, workflowId, runId);
    },
  },
  {
    id: 'getAlert',
    method: 'GET',
    path: '/api/v1/alerts/{id}',
    role: 'viewer',
    tag: 'alerts',
    summary: 'One alert',
    params: alertParam,
    response: alertView,
    status: 200,
    handler: async (ctx) => {
      const workflowId = alertIdOf(ctx.params.id!);
      try {
        return await alertStatus(ctx.deps.client, workflowId);
      } catch (err) {
        if ((err as Error).name === 'WorkflowNotFoundError') throw new NotFoundError(`no alert ${workflowId}`);
        throw err;
      }
    },
  },
  ...(['ack', 'resolve'] as const).map((verb): Operation => ({
    id: verb === 'ack' ? 'ackAlert' : 'resolveAlert',
    method: 'POST',
    path: `/api/v1/alerts/{id}/${verb}`,
    role: 'operator',
    tag: 'alerts',
    summary: verb === 'ack' ? 'Acknowledge an open alert (stops its escalation)' : 'Resolve an open alert everywhere',
    params: alertParam,
    body: resolveBody,
    response: z.object({ workflowId: z.string(), done: z.enum(['acknowledged', 'resolved']), by: z.string() }),
    status: 200,
    cli: [`alerts ${verb}`],
    handler: async (ctx) => {
      const body = resolveBody.parse(ctx.body ?? {});
      const workflowId = alertIdOf(ctx.params.id!);
      const input = { by: ctx.principal.name, via: 'api' as const };
      const sent =
        verb === 'ack'
          ? await acknowledgeAlert(ctx.deps.client, workflowId, input, { checkOpen: true })
          : await resolveAlert(ctx.deps.client, workflowId, { ...input, ...body }, { checkOpen: true });
      checked(workflowId, sent);
      audit(ctx, `alert-${verb}`, workflowId, {});
      return { workflowId, done: verb === 'ack' ? 'acknowledged' : 'resolved', by: ctx.principal.name };
    },
  })),
  {
    id: 'listReports',
    method: 'GET',
    path: '/api/v1/reports',
    role: 'viewer',
    tag: 'reports',
    summary: 'Cost and spot reports in the reports folder, newest first',
    query: z.object({ kind: z.enum(['cost', 'spot']).optional() }).strict(),
    response: z.object({ reports: z.array(reportFile) }),
    status: 200,
    handler: async (ctx) => {
      const q = z
        .object({ kind: z.enum(['cost', 'spot']).optional() })
        .strict()
        .parse(ctx.query);
      return { reports: await listReports(ctx.deps.reportsDir, q.kind) };
    },
  },
  {
    id: 'getReport',
    method: 'GET',
    path: '/api/v1/reports/{id}',
    role: 'viewer',
    tag: 'reports',
    summary: "One report's JSON",
    params: z.object({ id: z.string().min(1).max(64).meta({ description: 'e.g. cost-20260721-100005IST' }) }),
    response: z.object({ kind: z.string() }).loose(),
    status: 200,
    handler: async (ctx) => (await readReport(ctx.deps.reportsDir, ctx.params.id!)) as Record<string, unknown>,
  },
  ...(['cost', 'spot'] as const).map((kind): Operation => ({
    id: kind === 'cost' ? 'runCostReport' : 'runSpotReport',
    method: 'POST',
    path: `/api/v1/reports/${kind}`,
    role: 'operator',
    tag: 'reports',
    summary: `Compute a ${kind} report now (the ${kind === 'cost' ? 'costAnalysis' : 'spotOptimization'} workflow)`,
    body: kind === 'cost' ? costInputSchema : spotInputSchema,
    response: acceptedSchema,
    status: 202,
    cli: [`report ${kind}`],
    handler: async (ctx) => {
      const input = (kind === 'cost' ? costInputSchema : spotInputSchema).parse(ctx.body ?? {});
      const handle = await startReportRun(ctx.deps.client, {
        taskQueue: ctx.deps.taskQueue,
        kind,
        input,
        by: ctx.principal.name,
      });
      audit(ctx, `report-${kind}`, handle.workflowId, {});
      return accepted(ctx, handle.workflowId, handle.firstExecutionRunId);
    },
  })),
  {
    id: 'listInterruptions',
    method: 'GET',
    path: '/api/v1/interruptions',
    role: 'viewer',
    tag: 'interruptions',
    summary: 'Spot interruptions in flight with their progress (phase, seconds left)',
    response: z.object({
      interruptions: z.array(
        z
          .object({
            workflowId: z.string(),
            instanceId: z.string(),
            phase: z.string(),
            secondsLeft: z.number().optional(),
          })
          .loose(),
      ),
    }),
    status: 200,
    handler: async ({ deps }) => ({ interruptions: await interruptionsInFlight(deps.client) }),
  },
  {
    id: 'startInterruption',
    method: 'POST',
    path: '/api/v1/interruptions',
    role: 'operator',
    tag: 'interruptions',
    summary: 'Rehearse an interruption: start the response to a spot warning or rebalance for an instance',
    body: interruptionBody,
    response: acceptedSchema,
    status: 202,
    cli: ['events spot-warning', 'events rebalance'],
    handler: async (ctx) => {
      const body = interruptionBody.parse(ctx.body);
      const now = new Date();
      const workflowId = await startInterruption(
        ctx.deps.client,
        { taskQueue: ctx.deps.taskQueue, timing: ctx.deps.workflowTiming },
        {
          kind: body.kind === 'spot-warning' ? 'spot-interruption-warning' : 'rebalance-recommendation',
          eventId: `eksflow-api-${body.instance}-${now.getTime()}`,
          instanceId: body.instance,
          time: now.toISOString(),
          region: body.region,
          account: body.account,
        },
      );
      audit(ctx, `interruption-${body.kind}`, body.instance, { workflowId });
      return accepted(ctx, workflowId);
    },
  },
  {
    id: 'getWorkflow',
    method: 'GET',
    path: '/api/v1/workflows/{workflowId}',
    role: 'viewer',
    tag: 'workflows',
    summary: 'Status (and result, once completed) of a workflow a long operation started',
    params: z.object({ workflowId: z.string().min(1).max(1000).meta({ description: 'URL-encoded workflow id' }) }),
    response: z
      .object({
        workflowId: z.string(),
        runId: z.string(),
        type: z.string(),
        status: z.string(),
        startTime: z.string(),
      })
      .loose()
      .meta({ id: 'WorkflowStatus' }),
    status: 200,
    handler: async (ctx) => workflowStatus(ctx.deps.client, ctx.params.workflowId!),
  },
];

export function operationById(id: string): Operation {
  const op = OPERATIONS.find((o) => o.id === id);
  if (!op) throw new Error(`no operation ${id}`);
  return op;
}
