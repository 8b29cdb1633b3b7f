import { readFileSync } from 'node:fs';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { awsClientFactoryFromEnv, type AwsClientFactory } from '../aws/clients';
import { listBackups, startBackups, startRestoreDrill } from '../client/backups';
import { startCleanup } from '../client/cleanup';
import { configStoreFor, diffConfig, pullConfig, pushConfigText } from '../client/config-sync';
import { checkHealthNow, healthMonitorTargets, healthStatus, pauseHealth, resumeHealth } from '../client/health';
import { runLogArchival } from '../client/logs';
import { approveProposal, checkProposalId, listProposals, rejectProposal } from '../client/tuning';
import { addSuppressionToText, latestSecurityReport, openFindings, runSecurityScan } from '../client/security';
import { readEnv, type EksflowEnv } from '../config/env';
import { suppressionSchema } from '../config/security';
import { healthWorkflowId } from '../domain/health/checks';
import { isIsoDate, yesterdayIst } from '../domain/logs/plan';
import { SEVERITIES } from '../domain/security/types';
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
  /** AWS clients for the config store (Parameter Store); built from the environment when absent. */
  aws?: AwsClientFactory;
  /** The environment (EKSFLOW_ENV, the config store's account/region); read when absent. */
  env?: EksflowEnv;
  /** The config file this server runs with (`config diff`); EKSFLOW_CONFIG when absent. */
  configPath?: string;
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
  /** When a 404 can answer an operation without path parameters (documented in the OpenAPI). */
  notFound?: string;
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
const tuningParam = z.object({
  id: z.string().min(1).max(200).meta({ description: 'proposal id (<date>.<cluster>.<nodegroup>.<hash>)' }),
});
const tuningListQuery = z.object({ all: z.enum(['true', 'false']).optional() }).strict();
const tuningApproveBody = z.object({ note: z.string().max(500).optional() }).strict();
const tuningRejectBody = z.object({ reason: z.string().min(1).max(500) }).strict();
const tuningView = z.object({}).loose().meta({ id: 'TuningProposalStatus' });
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
    dayOfMonth: z.number().optional(),
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

// ---- night features: schemas and helpers ------------------------------------------------------

const envField = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (part of an SSM parameter name)')
  .meta({ description: 'environment (default: the server’s EKSFLOW_ENV)' });
const envQuery = z.object({ env: envField.optional() }).strict();
const storedConfigQuery = z
  .object({
    env: envField.optional(),
    version: z.coerce.number().int().min(1).max(1_000_000).optional().meta({ description: 'a parameter version' }),
  })
  .strict();
const pushConfigBody = z
  .object({
    text: z.string().min(1).max(8192).meta({ description: 'the config file (YAML or JSON)' }),
    type: z.enum(['String', 'SecureString']).default('SecureString'),
    env: envField.optional(),
  })
  .strict();
const clusterList = z
  .array(z.string().min(1).max(300))
  .min(1)
  .max(100)
  .meta({ description: 'cluster names or <account>/<region>/<name>; all configured clusters when absent' });
const clustersBody = z.object({ clusters: clusterList.optional() }).strict();
const findingsQuery = z
  .object({
    severity: z.enum(SEVERITIES).default('low').meta({ description: 'lowest severity to show' }),
    new: z.enum(['true', 'false']).optional().meta({ description: 'only findings new in the latest scan' }),
  })
  .strict();
const suppressBody = suppressionSchema.extend({ env: envField.optional() }).strict();
const logsBody = z
  .object({
    date: z
      .string()
      .refine(isIsoDate, 'a calendar date as YYYY-MM-DD')
      .optional()
      .meta({ description: 'IST day to archive (default: yesterday, IST)' }),
    clusters: clusterList.optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();
const healthPauseBody = z.object({ reason: z.string().min(1).max(500) }).strict();
const backupsQuery = z
  .object({
    cluster: z.string().min(1).max(300).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();
const backupsRunBody = z.object({ clusters: clusterList.optional(), dryRun: z.boolean().default(false) }).strict();
const verifyBody = z
  .object({
    clusters: clusterList.optional(),
    availabilityZone: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone such as ap-south-1a')
      .optional(),
  })
  .strict();
const healthView = z.object({}).loose().meta({ id: 'HealthStatus' });

const envOf = (ctx: OperationContext): EksflowEnv => ctx.deps.env ?? readEnv();
const storeOf = (ctx: OperationContext, envName?: string) => {
  const env = envOf(ctx);
  return configStoreFor(ctx.deps.aws ?? awsClientFactoryFromEnv(env), env, envName);
};
const starter = (ctx: OperationContext) => ({ client: ctx.deps.client, taskQueue: ctx.deps.taskQueue });
/** A cluster named in a body or query: unknown is a bad request (400), not a missing resource. */
function namedCluster(ctx: OperationContext, name: string) {
  try {
    return findCluster(ctx.deps.config, name);
  } catch (err) {
    if (err instanceof NotFoundError) throw new ValidationError(err.message);
    throw err;
  }
}
const clusterKeys = (ctx: OperationContext, names?: string[]) => names?.map((c) => namedCluster(ctx, c).key);

/** The health monitor of the path's cluster; 404 when the cluster has no health checks configured. */
function healthTarget(ctx: OperationContext): string {
  const { cluster } = target(ctx);
  if (!healthMonitorTargets(ctx.deps.config).some((t) => t.clusterKey === cluster.key))
    throw new NotFoundError(`cluster ${cluster.name} has no health checks (add it under health.clusters)`);
  return healthWorkflowId(ctx.deps.config.clusters.find((c) => clusterKeyOf(c) === cluster.key)!);
}

/** The monitor's own validation (already paused, …) is a 409; a monitor that is not running a 404. */
async function healthCall<T>(p: Promise<T>, workflowId: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new ConflictError(((err.cause as Error | undefined)?.message ?? err.message).replace(/^Error: /, ''));
    if (err instanceof WorkflowNotFoundError)
      throw new NotFoundError(`no health monitor ${workflowId} is running: start a worker (it starts the monitors)`);
    throw err;
  }
}

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
      for await (const a of openAlerts(deps.client, { taskQueue: deps.taskQueue })) alerts.push(a);
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
    handler: async ({ deps }) => ({
      interruptions: await interruptionsInFlight(deps.client, { taskQueue: deps.taskQueue }),
    }),
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
  // ---- night features: config sync, security, logs, health, backups, cleanup -------------------
  {
    id: 'pullConfig',
    notFound: 'nothing stored there (or no such version)',
    method: 'GET',
    path: '/api/v1/config/stored',
    role: 'viewer',
    tag: 'config',
    summary:
      'The config stored in Parameter Store (latest or ?version) with its validation; `config pull` over HTTP: the text is returned, no file is written',
    query: storedConfigQuery,
    response: z
      .object({
        name: z.string(),
        version: z.number(),
        text: z.string(),
        lastModified: z.string().optional(),
        valid: z.boolean(),
        issues: z.array(z.string()),
      })
      .meta({ id: 'StoredConfig' }),
    status: 200,
    cli: ['config pull'],
    handler: async (ctx) => {
      const q = storedConfigQuery.parse(ctx.query);
      const store = storeOf(ctx, q.env);
      const stored = await pullConfig(store, q.version);
      if (!stored) throw new NotFoundError(`nothing stored at ${store.name}${q.version ? `:${q.version}` : ''}`);
      return stored;
    },
  },
  {
    id: 'diffConfig',
    notFound: 'this server runs without a config file',
    method: 'GET',
    path: '/api/v1/config/diff',
    role: 'viewer',
    tag: 'config',
    summary:
      "How the config file this server runs with (EKSFLOW_CONFIG) differs from the stored config: `config diff` on the server's host",
    query: envQuery,
    response: z
      .object({
        name: z.string(),
        storedVersion: z.number().optional(),
        file: z.string(),
        identical: z.boolean(),
        diff: z.string(),
      })
      .meta({ id: 'ConfigDiff' }),
    status: 200,
    cli: ['config diff'],
    handler: async (ctx) => {
      const q = envQuery.parse(ctx.query);
      const file = ctx.deps.configPath ?? envOf(ctx).EKSFLOW_CONFIG;
      let local: string;
      try {
        local = readFileSync(file, 'utf8');
      } catch {
        throw new NotFoundError(`this server has no config file to compare (${file}): it runs from the stored config`);
      }
      return { ...(await diffConfig(storeOf(ctx, q.env), local)), file };
    },
  },
  {
    id: 'pushConfig',
    method: 'POST',
    path: '/api/v1/config/push',
    role: 'admin',
    tag: 'config',
    summary:
      'Validate config text (YAML) and store it in Parameter Store; nothing is written when it is invalid (400 with the fields) or unchanged. `config push` with the text in the body',
    body: pushConfigBody,
    response: z
      .object({ name: z.string(), changed: z.boolean(), version: z.number(), previous: z.number().optional() })
      .meta({ id: 'ConfigPush' }),
    status: 200,
    cli: ['config push'],
    handler: async (ctx) => {
      const body = pushConfigBody.parse(ctx.body);
      const store = storeOf(ctx, body.env);
      const r = await pushConfigText(store, body.text, body.type, `request body (${ctx.principal.name})`);
      if (r.changed)
        audit(ctx, 'config-push', store.name, {
          version: r.version,
          previous: r.previous ?? null,
          bytes: Buffer.byteLength(body.text),
        });
      return r;
    },
  },
  {
    id: 'runSecurityScan',
    method: 'POST',
    path: '/api/v1/security/scan',
    role: 'operator',
    tag: 'security',
    summary: 'Run a security scan now (the securityScans workflow)',
    body: clustersBody,
    response: acceptedSchema,
    status: 202,
    cli: ['security scan'],
    handler: async (ctx) => {
      const body = clustersBody.parse(ctx.body ?? {});
      const clusters = body.clusters?.map((c) => namedCluster(ctx, c).name);
      const { workflowId } = await runSecurityScan(ctx.deps.client, {
        taskQueue: ctx.deps.taskQueue,
        input: clusters ? { clusters } : {},
        wait: false,
      });
      audit(ctx, 'security-scan', workflowId, { clusters: clusters ?? 'all' });
      return accepted(ctx, workflowId);
    },
  },
  {
    id: 'listSecurityFindings',
    notFound: 'no scan report yet',
    method: 'GET',
    path: '/api/v1/security/findings',
    role: 'viewer',
    tag: 'security',
    summary: 'Open findings of the latest scan (at or above ?severity, ?new=true for new ones only)',
    query: findingsQuery,
    response: z
      .object({
        scanId: z.string(),
        generatedAt: z.string(),
        total: z.number(),
        findings: z.array(z.object({ id: z.string(), severity: z.string(), status: z.string() }).loose()),
        resolved: z.number(),
        suppressed: z.number(),
        expiredSuppressions: z.array(z.object({ id: z.string() }).loose()),
      })
      .meta({ id: 'SecurityFindings' }),
    status: 200,
    cli: ['security findings'],
    handler: async (ctx) => {
      const q = findingsQuery.parse(ctx.query);
      const report = latestSecurityReport(ctx.deps.reportsDir);
      if (!report) throw new NotFoundError('no security scan report yet: run a scan first');
      return {
        scanId: report.scanId,
        generatedAt: report.generatedAt,
        total: report.findings.length,
        findings: openFindings(report, { severity: q.severity, onlyNew: q.new === 'true' }),
        resolved: report.resolved.length,
        suppressed: report.suppressed.length,
        expiredSuppressions: report.expiredSuppressions,
      };
    },
  },
  {
    id: 'suppressFinding',
    notFound: 'no config stored in Parameter Store yet',
    method: 'POST',
    path: '/api/v1/security/suppress',
    role: 'admin',
    tag: 'security',
    summary:
      'Accept a finding (or a rule, optionally on one resource) until a date. The CLI edits the local config file; over HTTP the suppression is added to the stored config in Parameter Store (a new version, validated first), which workers in ssm mode apply, and the answer carries the YAML entry for the file',
    body: suppressBody,
    response: z
      .object({
        name: z.string(),
        version: z.number(),
        previous: z.number().optional(),
        added: z.object({ id: z.string() }).loose(),
        total: z.number(),
        snippet: z.string(),
      })
      .meta({ id: 'Suppression' }),
    status: 200,
    cli: ['security suppress'],
    handler: async (ctx) => {
      const { env, ...entry } = suppressBody.parse(ctx.body);
      const store = storeOf(ctx, env);
      const stored = await store.read();
      if (!stored) throw new NotFoundError(`nothing stored at ${store.name}: push the config first`);
      const source = `${store.name}:${stored.version}`;
      const { text, added, total } = addSuppressionToText(stored.text, entry, source);
      const r = await pushConfigText(store, text, 'SecureString', source);
      audit(ctx, 'security-suppress', store.name, { suppression: added, version: r.version });
      return {
        name: store.name,
        version: r.version,
        ...(r.previous !== undefined ? { previous: r.previous } : {}),
        added,
        total,
        snippet: stringifyYaml({ security: { suppress: [added] } }),
      };
    },
  },
  {
    id: 'archiveLogs',
    method: 'POST',
    path: '/api/v1/logs/archive',
    role: 'operator',
    tag: 'logs',
    summary: "Export a day's events of every cluster's log groups to S3 (the logArchival workflow); dryRun: plan only",
    body: logsBody,
    response: acceptedSchema,
    status: 202,
    cli: ['logs archive'],
    handler: async (ctx) => {
      const body = logsBody.parse(ctx.body ?? {});
      const date = body.date ?? yesterdayIst(Date.now());
      const clusters = body.clusters?.map((c) => namedCluster(ctx, c).name);
      const { workflowId } = await runLogArchival(ctx.deps.client, {
        taskQueue: ctx.deps.taskQueue,
        input: { date, ...(clusters ? { clusters } : {}), ...(body.dryRun ? { dryRun: true } : {}) },
        wait: false,
      });
      audit(ctx, 'logs-archive', workflowId, { date, dryRun: body.dryRun });
      return accepted(ctx, workflowId);
    },
  },
  {
    id: 'getHealth',
    method: 'GET',
    path: '/api/v1/health/{cluster}',
    role: 'viewer',
    tag: 'health',
    summary: "A cluster's health checks: state, value, since (the health monitor's status)",
    params: clusterParam,
    response: healthView,
    status: 200,
    cli: ['health status'],
    handler: async (ctx) => {
      const wf = healthTarget(ctx);
      return healthCall(healthStatus(ctx.deps.client, wf), wf);
    },
  },
  ...(['check', 'pause', 'resume'] as const).map((verb): Operation => ({
    id: `${verb}Health`,
    method: 'POST',
    path: `/api/v1/health/{cluster}/${verb}`,
    role: 'operator',
    tag: 'health',
    summary:
      verb === 'check'
        ? 'Evaluate every check now (while paused: values only)'
        : verb === 'pause'
          ? 'Stop evaluating (maintenance); open alerts stay'
          : 'Evaluate again',
    params: clusterParam,
    body: verb === 'pause' ? healthPauseBody : emptyBody,
    response: healthView,
    status: 200,
    cli: [`health ${verb}`],
    handler: async (ctx) => {
      const wf = healthTarget(ctx);
      const by = ctx.principal.name;
      let status: Promise<unknown>;
      if (verb === 'pause') {
        const body = healthPauseBody.parse(ctx.body);
        status = pauseHealth(ctx.deps.client, wf, { by, reason: body.reason });
      } else {
        emptyBody.parse(ctx.body ?? {});
        status = verb === 'check' ? checkHealthNow(ctx.deps.client, wf) : resumeHealth(ctx.deps.client, wf, { by });
      }
      const out = await healthCall(status, wf);
      if (verb !== 'check') audit(ctx, `health-${verb}`, wf, {});
      return out;
    },
  })),
  {
    id: 'listTuningProposals',
    method: 'GET',
    path: '/api/v1/tuning',
    role: 'viewer',
    tag: 'tuning',
    summary: 'Right-sizing proposals of the performance tuning: pending ones, or all recent with all=true',
    query: tuningListQuery,
    response: z.object({ proposals: z.array(tuningView) }),
    status: 200,
    cli: ['tuning list'],
    handler: async (ctx) => {
      const q = tuningListQuery.parse(ctx.query ?? {});
      return {
        proposals: await listProposals(ctx.deps.client, { taskQueue: ctx.deps.taskQueue, all: q.all === 'true' }),
      };
    },
  },
  ...(['approve', 'reject'] as const).map((verb): Operation => ({
    id: `${verb}TuningProposal`,
    method: 'POST',
    path: `/api/v1/tuning/{id}/${verb}`,
    role: 'operator',
    tag: 'tuning',
    summary:
      verb === 'approve'
        ? 'Approve a proposal: a size change goes through the cluster controller, recorded with the approver'
        : 'Reject a proposal (recorded with who and why)',
    params: tuningParam,
    body: verb === 'approve' ? tuningApproveBody : tuningRejectBody,
    response: tuningView,
    status: 200,
    cli: [`tuning ${verb}`],
    handler: async (ctx) => {
      const id = checkProposalId(ctx.params.id!);
      const by = ctx.principal.name;
      const out =
        verb === 'approve'
          ? await approveProposal(ctx.deps.client, id, { by, ...tuningApproveBody.parse(ctx.body ?? {}) })
          : await rejectProposal(ctx.deps.client, id, { by, ...tuningRejectBody.parse(ctx.body) });
      audit(ctx, `tuning-${verb}`, `tuning/${id}`, {});
      return out;
    },
  })),
  {
    id: 'listBackups',
    method: 'GET',
    path: '/api/v1/backups',
    role: 'viewer',
    tag: 'backups',
    summary: "eksflow's snapshots, newest first (?cluster, ?limit)",
    query: backupsQuery,
    response: z.object({
      snapshots: z.array(
        z
          .object({ snapshotId: z.string(), cluster: z.string(), region: z.string(), state: z.string() })
          .loose()
          .meta({ id: 'BackupSnapshot' }),
      ),
    }),
    status: 200,
    cli: ['backups list'],
    handler: async (ctx) => {
      const q = backupsQuery.parse(ctx.query);
      const clusters = q.cluster ? [namedCluster(ctx, q.cluster).key] : undefined;
      return { snapshots: await listBackups(starter(ctx), { clusters, limit: q.limit }) };
    },
  },
  {
    id: 'runBackups',
    method: 'POST',
    path: '/api/v1/backups/run',
    role: 'operator',
    tag: 'backups',
    summary: 'Run the backup now (as the 02:00 IST schedule does); dryRun: select volumes and report only',
    body: backupsRunBody,
    response: acceptedSchema,
    status: 202,
    cli: ['backups run'],
    handler: async (ctx) => {
      const body = backupsRunBody.parse(ctx.body ?? {});
      const clusters = clusterKeys(ctx, body.clusters);
      const workflowId = await startBackups(starter(ctx), { clusters, dryRun: body.dryRun, restoreDrill: 'never' });
      audit(ctx, 'backups-run', workflowId, { dryRun: body.dryRun, clusters: clusters ?? 'all' });
      return accepted(ctx, workflowId);
    },
  },
  {
    id: 'verifyBackup',
    method: 'POST',
    path: '/api/v1/backups/verify',
    role: 'operator',
    tag: 'backups',
    summary: 'Restore drill: a volume from the newest completed snapshot becomes available, then is deleted',
    body: verifyBody,
    response: acceptedSchema,
    status: 202,
    cli: ['backups verify'],
    handler: async (ctx) => {
      const body = verifyBody.parse(ctx.body ?? {});
      const clusters = clusterKeys(ctx, body.clusters);
      const workflowId = await startRestoreDrill(starter(ctx), {
        clusters,
        ...(body.availabilityZone ? { availabilityZone: body.availabilityZone } : {}),
      });
      audit(ctx, 'backups-verify', workflowId, { clusters: clusters ?? 'all' });
      return accepted(ctx, workflowId);
    },
  },
  ...(['plan', 'run'] as const).map((verb): Operation => ({
    id: verb === 'plan' ? 'planCleanup' : 'runCleanup',
    method: 'POST',
    path: `/api/v1/cleanup/${verb}`,
    role: 'operator',
    tag: 'cleanup',
    summary:
      verb === 'plan'
        ? 'What a cleanup run would tag and delete, with $/month (a resourceCleanup run that changes nothing)'
        : 'Tag cleanup candidates and delete expired ones, as cleanup.mode allows per kind',
    body: clustersBody,
    response: acceptedSchema,
    status: 202,
    cli: [`cleanup ${verb}`],
    handler: async (ctx) => {
      const body = clustersBody.parse(ctx.body ?? {});
      const clusters = clusterKeys(ctx, body.clusters);
      const workflowId = await startCleanup(starter(ctx), { clusters, dryRun: verb === 'plan' });
      audit(ctx, `cleanup-${verb}`, workflowId, { clusters: clusters ?? 'all' });
      return accepted(ctx, workflowId);
    },
  })),
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
