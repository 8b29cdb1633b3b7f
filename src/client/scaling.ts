import type { Client, WorkflowHandle } from '@temporalio/client';
import { controllerWorkflowId, type ClusterSpec, type ControlState } from '../domain/scaling/types';
import type { BusinessCalendar } from '../domain/timetable/phase';
import type { clusterController } from '../../workflows/scaling/controller';
import {
  configureSignal,
  controlStateQuery,
  CONTROLLER_WORKFLOW_TYPE,
  type ClusterControllerInput,
  type ControllerConfig,
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
