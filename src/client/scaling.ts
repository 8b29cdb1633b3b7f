import {
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { EksflowConfig } from '../config/schema';
import type {
  ClearOverrideRequest,
  EffectivePlan,
  OverrideRequest,
  PauseRequest,
  ResumeRequest,
} from '../domain/scaling/control';
import type { FleetRunResult } from '../domain/scaling/results';
import { validateOverride } from '../domain/scaling/control';
import {
  clusterKeyOf,
  clusterSpecOf,
  controllerWorkflowId,
  type ClusterSpec,
  type ControlState,
} from '../domain/scaling/types';
import { istDate } from '../domain/timetable/ist';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { BusinessCalendar } from '../domain/timetable/phase';
import type { clusterController } from '../../workflows/scaling/controller';
import {
  clearOverrideUpdate,
  configureSignal,
  controlStateQuery,
  CONTROLLER_WORKFLOW_TYPE,
  effectivePlanQuery,
  overrideUpdate,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  type ClusterControllerInput,
  type ControllerConfig,
  type ControllerStatus,
} from '../../workflows/scaling/messages';

/**
 * Client-side helpers of the per-cluster controller (`cluster/<account>/<region>/<cluster>`),
 * shared by the CLI (`eksflow scaling …`), the `controlState` activity and the tests.
 */

/**
 * Makes sure the cluster's controller runs and knows the current config: signal-with-start (one
 * call, no race between "is it there?" and "start it"). Returns its handle for updates and queries.
 */
export async function ensureController(
  client: Client,
  opts: { taskQueue: string; cluster: ClusterSpec; calendar: BusinessCalendar },
): Promise<WorkflowHandle<typeof clusterController>> {
  return client.workflow.signalWithStart<typeof clusterController, [ControllerConfig]>(CONTROLLER_WORKFLOW_TYPE, {
    workflowId: controllerWorkflowId(opts.cluster.key),
    taskQueue: opts.taskQueue,
    args: [{ clusterKey: opts.cluster.key } satisfies ClusterControllerInput],
    signal: configureSignal,
    signalArgs: [{ cluster: opts.cluster, calendar: opts.calendar }],
  });
}

/** The controller's control state (pause, overrides), starting and configuring it first if needed. */
export async function readControlState(
  client: Client,
  opts: { taskQueue: string; cluster: ClusterSpec; calendar: BusinessCalendar },
): Promise<ControlState> {
  return (await ensureController(client, opts)).query(controlStateQuery);
}

/** Where a cluster's controller runs and what it needs to know: built once per caller from config. */
export interface ControllerTarget {
  taskQueue: string;
  cluster: ClusterSpec;
  calendar: BusinessCalendar;
}

/** Finds a configured cluster by name or `<account>/<region>/<name>`; NotFoundError/ValidationError otherwise. */
export function findCluster(config: EksflowConfig, wanted: string): ClusterSpec {
  const matches = config.clusters.filter((c) => c.name === wanted || clusterKeyOf(c) === wanted);
  if (matches.length === 0)
    throw new NotFoundError(
      `unknown cluster "${wanted}" (configured: ${config.clusters.map((c) => c.name).join(', ')})`,
    );
  if (matches.length > 1)
    throw new ValidationError(`"${wanted}" names several clusters; use one of ${matches.map(clusterKeyOf).join(', ')}`);
  return clusterSpecOf(matches[0]!);
}

export function controllerTarget(config: EksflowConfig, taskQueue: string, cluster: ClusterSpec): ControllerTarget {
  return {
    taskQueue,
    cluster,
    calendar: { businessDays: config.timetable.businessDays, holidays: config.timetable.holidays },
  };
}

/**
 * A rejected update (the controller's validator) is the caller's input being wrong: a
 * ValidationError with the validator's message, or a ConflictError when the request does not fit
 * the controller's current state (clearing an override that is not there).
 */
async function controlUpdate(p: Promise<EffectivePlan>): Promise<EffectivePlan> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const message = ((err.cause as Error | undefined)?.message ?? err.message).replace(/^Error: /, '');
      throw /has no override/.test(message) ? new ConflictError(message) : new ValidationError(message);
    }
    throw err;
  }
}

export async function pauseCluster(client: Client, t: ControllerTarget, req: PauseRequest): Promise<EffectivePlan> {
  return controlUpdate((await ensureController(client, t)).executeUpdate(pauseUpdate, { args: [req] }));
}

export async function resumeCluster(client: Client, t: ControllerTarget, req: ResumeRequest): Promise<EffectivePlan> {
  return controlUpdate((await ensureController(client, t)).executeUpdate(resumeUpdate, { args: [req] }));
}

export async function overrideNodegroup(
  client: Client,
  t: ControllerTarget,
  req: OverrideRequest,
): Promise<EffectivePlan> {
  // Checked here against this caller's config (CLI, API) and again by the controller's validator.
  try {
    validateOverride(req, t.cluster.nodegroups, Date.now());
  } catch (err) {
    throw new ValidationError((err as Error).message);
  }
  return controlUpdate((await ensureController(client, t)).executeUpdate(overrideUpdate, { args: [req] }));
}

export async function clearNodegroupOverride(
  client: Client,
  t: ControllerTarget,
  req: ClearOverrideRequest,
): Promise<EffectivePlan> {
  return controlUpdate((await ensureController(client, t)).executeUpdate(clearOverrideUpdate, { args: [req] }));
}

/** The controller's status and its effective plan (the sizes in force now). */
export async function clusterStatus(
  client: Client,
  t: ControllerTarget,
): Promise<{ status: ControllerStatus; plan: EffectivePlan }> {
  const handle = await ensureController(client, t);
  const [status, plan] = await Promise.all([handle.query(statusQuery), handle.query(effectivePlanQuery)]);
  return { status, plan };
}

/** The workflow type and id of a manual fleet run (`scale up|down`, with or without dry run). */
export function manualScaleRun(
  direction: 'up' | 'down',
  clusterKey: string,
  dryRun: boolean,
  nowMs: number,
): { workflowType: 'scaleUpFleet' | 'scaleDownFleet'; workflowId: string } {
  return {
    workflowType: direction === 'up' ? 'scaleUpFleet' : 'scaleDownFleet',
    workflowId: `${dryRun ? 'plan' : 'scale'}-${direction}/${clusterKey}/${istDate(nowMs)}/manual-${nowMs}`,
  };
}

/** Starts a manual scale-up/down of one cluster (the CLI waits for its result, the API answers 202). */
export async function startManualScale(
  client: Client,
  opts: { taskQueue: string; clusterKey: string; direction: 'up' | 'down'; dryRun: boolean; by?: string },
): Promise<WorkflowHandleWithFirstExecutionRunId<(i: unknown) => Promise<FleetRunResult>>> {
  const run = manualScaleRun(opts.direction, opts.clusterKey, opts.dryRun, Date.now());
  return client.workflow.start<(i: unknown) => Promise<FleetRunResult>>(run.workflowType, {
    taskQueue: opts.taskQueue,
    workflowId: run.workflowId,
    args: [{ clusters: [opts.clusterKey], dryRun: opts.dryRun }],
    ...(opts.by ? { memo: { requestedBy: opts.by } } : {}),
  });
}
