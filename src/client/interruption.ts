import { WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { spotInterruptionWorkflowId, type InterruptionTrigger } from '../domain/interruption/types';
import { SA_ACTION, SA_INSTANCE, serverHasSearchAttributes } from '../search-attributes';
import type { EksflowEnv } from '../config/env';
import type { spotInterruption } from '../../workflows/interruption/spot-interruption';
import {
  instanceStateSignal,
  interruptionEventSignal,
  progressQuery,
  SPOT_INTERRUPTION_WORKFLOW_TYPE,
  interruptionTaskQueue,
  type SpotInterruptionProgress,
  type SpotInterruptionTiming,
} from '../../workflows/interruption/messages';

/**
 * Client-side helpers of `spot-interruption/<instance-id>`, shared by the ingress (HTTP and SQS),
 * the benchmark and the tests.
 */

/** The interruption activities' task queue for this deployment (undefined: the one task queue). */
export function interruptionQueueFor(
  env: Pick<EksflowEnv, 'TEMPORAL_TASK_QUEUE' | 'EKSFLOW_INTERRUPTION_QUEUE'>,
): string | undefined {
  return env.EKSFLOW_INTERRUPTION_QUEUE === 'own' ? interruptionTaskQueue(env.TEMPORAL_TASK_QUEUE) : undefined;
}

/**
 * Starts `spot-interruption/<instance-id>` with signal-with-start: a running workflow for the
 * instance receives the event as a signal (and ignores an event id it has seen), otherwise one
 * is started. Returns only once Temporal has accepted it, so callers may acknowledge after.
 */
export async function startInterruption(
  client: Client,
  opts: {
    taskQueue: string;
    timing?: SpotInterruptionTiming;
    searchAttributes?: boolean;
    /** The interruption activities' own task queue (see SpotInterruptionInput.activityTaskQueue). */
    activityTaskQueue?: string;
  },
  trigger: InterruptionTrigger,
): Promise<string> {
  const workflowId = spotInterruptionWorkflowId(trigger.instanceId);
  const searchAttributes = opts.searchAttributes ?? (await serverHasSearchAttributes(client));
  await client.workflow.signalWithStart<typeof spotInterruption, [InterruptionTrigger]>(
    SPOT_INTERRUPTION_WORKFLOW_TYPE,
    {
      workflowId,
      taskQueue: opts.taskQueue,
      args: [{ trigger, timing: opts.timing, searchAttributes, activityTaskQueue: opts.activityTaskQueue }],
      // Findable in the UI from the first moment; the workflow adds cluster, action and severity.
      typedSearchAttributes: searchAttributes
        ? [
            { key: SA_INSTANCE, value: trigger.instanceId },
            { key: SA_ACTION, value: trigger.kind },
          ]
        : undefined,
      signal: interruptionEventSignal,
      signalArgs: [trigger],
      // A later event for an instance whose run has finished starts a new run, which finds the
      // instance gone (or its raise recorded on the ASG) and does not act twice.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    },
  );
  return workflowId;
}

/** Tells a running interruption workflow the instance's EC2 state; 'not_found' when none runs. */
export async function signalInstanceState(
  client: Client,
  instanceId: string,
  state: string,
): Promise<{ workflowId: string; outcome: 'ok' | 'not_found' }> {
  const workflowId = spotInterruptionWorkflowId(instanceId);
  try {
    await client.workflow.getHandle(workflowId).signal(instanceStateSignal, { state });
    return { workflowId, outcome: 'ok' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { workflowId, outcome: 'not_found' };
    throw err;
  }
}

/** Every running interruption workflow with its progress (phase, seconds left); unreadable ones are skipped. */
export async function interruptionsInFlight(
  client: Client,
  opts: { taskQueue?: string } = {},
): Promise<(SpotInterruptionProgress & { workflowId: string })[]> {
  const out: (SpotInterruptionProgress & { workflowId: string })[] = [];
  // Only this deployment's task queue: a query to a workflow no worker polls waits for its timeout.
  const query = `WorkflowType = '${SPOT_INTERRUPTION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'${opts.taskQueue ? ` AND TaskQueue = '${opts.taskQueue}'` : ''}`;
  for await (const wf of client.workflow.list({ query })) {
    const p = await client.workflow
      .getHandle(wf.workflowId)
      .query(progressQuery)
      .catch(() => undefined);
    if (p) out.push({ ...p, workflowId: wf.workflowId });
  }
  return out;
}
