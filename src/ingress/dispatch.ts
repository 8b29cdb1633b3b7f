import { WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { spotInterruption, SpotInterruptionTiming } from '../../workflows/spot-interruption';
import { actionsFor, type IngressAction } from '../domain/events/actions';
import type { FleetEvent, FleetEventKind } from '../domain/events/eventbridge';
import {
  SIGNAL_INSTANCE_STATE, SIGNAL_INTERRUPTION_EVENT, spotInterruptionWorkflowId, type InterruptionTrigger,
} from '../domain/interruption/types';
import { SA_ACTION, SA_INSTANCE, serverHasSearchAttributes } from '../search-attributes';
import { signalAlarmWorkflow } from '../client/health';

export interface DispatchDeps {
  client: Client;
  taskQueue: string;
  /** Passed to every interruption workflow (tests and the benchmark shorten the waits). */
  workflowTiming?: SpotInterruptionTiming;
  /** false where the server has no eksflow search attributes registered (the time-skipping test server). */
  workflowSearchAttributes?: boolean;
  metrics?: IngressMetrics;
}

export interface DispatchOutcome {
  kind: FleetEventKind;
  actions: { type: IngressAction['type']; workflowId?: string; detail?: string }[];
}

/**
 * Counters per event kind and action, and event time → accepted latency: the number that matters
 * against a two-minute notice. Shared by the HTTP server and the SQS poller.
 */
export class IngressMetrics {
  readonly events: Record<string, number> = {};
  readonly actions: Record<string, number> = {};
  readonly rejected: Record<string, number> = {};
  private readonly latencies: number[] = [];

  countEvent(kind: string): void { this.events[kind] = (this.events[kind] ?? 0) + 1; }
  countAction(type: string): void { this.actions[type] = (this.actions[type] ?? 0) + 1; }
  countRejected(reason: string): void { this.rejected[reason] = (this.rejected[reason] ?? 0) + 1; }
  observeAcceptLatency(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > 10_000) this.latencies.splice(0, this.latencies.length - 10_000);
  }
  snapshot() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : undefined);
    return { events: { ...this.events }, actions: { ...this.actions }, rejected: { ...this.rejected }, eventToAcceptedMs: { count: sorted.length, p50: q(0.5), p99: q(0.99) } };
  }
}

/**
 * Starts `spot-interruption/<instance-id>` with signal-with-start: a running workflow for the
 * instance receives the event as a signal (and ignores an event id it has seen), otherwise one
 * is started. Returns only once Temporal has accepted it, so callers may acknowledge after.
 */
export async function startInterruptionWorkflow(deps: DispatchDeps, trigger: InterruptionTrigger): Promise<string> {
  const workflowId = spotInterruptionWorkflowId(trigger.instanceId);
  const searchAttributes = deps.workflowSearchAttributes ?? (await serverHasSearchAttributes(deps.client));
  await deps.client.workflow.signalWithStart<typeof spotInterruption, [InterruptionTrigger]>('spotInterruption', {
    workflowId,
    taskQueue: deps.taskQueue,
    args: [{ trigger, timing: deps.workflowTiming, searchAttributes }],
    // Findable in the UI from the first moment; the workflow adds cluster, action and severity.
    typedSearchAttributes: searchAttributes ? [{ key: SA_INSTANCE, value: trigger.instanceId }, { key: SA_ACTION, value: trigger.kind }] : undefined,
    signal: SIGNAL_INTERRUPTION_EVENT,
    signalArgs: [trigger],
    // A later event for an instance whose run has finished starts a new run, which finds the
    // instance gone (or its raise recorded on the ASG) and does not act twice.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  return workflowId;
}

/** Carries out what `actionsFor` decided for one parsed event. Throws when Temporal did not accept a start. */
export async function dispatchEvent(deps: DispatchDeps, event: FleetEvent): Promise<DispatchOutcome> {
  deps.metrics?.countEvent(event.kind);
  const outcome: DispatchOutcome = { kind: event.kind, actions: [] };
  for (const action of actionsFor(event)) {
    deps.metrics?.countAction(action.type);
    if (action.type === 'start-interruption') {
      const workflowId = await startInterruptionWorkflow(deps, action.trigger);
      deps.metrics?.observeAcceptLatency(Date.now() - Date.parse(action.trigger.time));
      outcome.actions.push({ type: action.type, workflowId });
    } else if (action.type === 'signal-instance-state') {
      const workflowId = spotInterruptionWorkflowId(action.instanceId);
      try {
        await deps.client.workflow.getHandle(workflowId).signal(SIGNAL_INSTANCE_STATE, { state: action.state });
        outcome.actions.push({ type: action.type, workflowId });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        outcome.actions.push({ type: 'none', detail: `no running ${workflowId}` });
      }
    } else if (action.type === 'alarm-state') {
      const workflowId = await signalAlarmWorkflow(deps.client, deps.taskQueue, action.alarm);
      outcome.actions.push({ type: action.type, workflowId });
    } else {
      outcome.actions.push({ type: 'none', detail: action.reason });
    }
  }
  return outcome;
}
