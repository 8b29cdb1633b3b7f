import type { Client } from '@temporalio/client';
import type { SpotInterruptionTiming } from '../../workflows/interruption/messages';
import { signalInstanceState, startInterruption } from '../client/interruption';
import { actionsFor, type IngressAction } from '../domain/events/actions';
import type { FleetEvent, FleetEventKind } from '../domain/events/eventbridge';
import type { InterruptionTrigger } from '../domain/interruption/types';
import { clampEventTime, SPOT_NOTICE_MS } from '../domain/interruption/plan';
import { signalAlarmWorkflow } from '../client/health';
import { NO_METRICS, type EksflowMetrics } from '../metrics/registry';
import { startBackupObjectVerification } from '../client/backups';

export interface DispatchDeps {
  client: Client;
  taskQueue: string;
  /** Passed to every interruption workflow (tests and the benchmark shorten the waits). */
  workflowTiming?: SpotInterruptionTiming;
  /** false where the server has no eksflow search attributes registered (the time-skipping test server). */
  workflowSearchAttributes?: boolean;
  /** Interruption activities go to this queue (the workers' own interruption worker); default the workflow's. */
  interruptionTaskQueue?: string;
  metrics?: IngressMetrics;
}

export interface DispatchOutcome {
  kind: FleetEventKind;
  actions: { type: IngressAction['type']; workflowId?: string; detail?: string; deadline?: string }[];
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

  /** `sink`: the process's Prometheus registry (events by kind and outcome). */
  constructor(private readonly sink: EksflowMetrics = NO_METRICS) {}

  /** What became of one event: `accepted` (workflows started or signalled), `ignored`, `failed`, `rejected`. */
  outcome(kind: string, outcome: string): void {
    this.sink.event(kind, outcome);
  }
  countEvent(kind: string): void {
    this.events[kind] = (this.events[kind] ?? 0) + 1;
  }
  countAction(type: string): void {
    this.actions[type] = (this.actions[type] ?? 0) + 1;
  }
  countRejected(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }
  observeAcceptLatency(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > 10_000) this.latencies.splice(0, this.latencies.length - 10_000);
  }
  snapshot() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : undefined;
    return {
      events: { ...this.events },
      actions: { ...this.actions },
      rejected: { ...this.rejected },
      eventToAcceptedMs: { count: sorted.length, p50: q(0.5), p99: q(0.99) },
    };
  }
}

/** Starts (or signals) `spot-interruption/<instance-id>` for one trigger; see src/client/interruption.ts. */
export function startInterruptionWorkflow(deps: DispatchDeps, trigger: InterruptionTrigger): Promise<string> {
  return startInterruption(
    deps.client,
    {
      taskQueue: deps.taskQueue,
      timing: deps.workflowTiming,
      searchAttributes: deps.workflowSearchAttributes,
      activityTaskQueue: deps.interruptionTaskQueue,
    },
    trigger,
  );
}

/** Carries out what `actionsFor` decided for one parsed event. Throws when Temporal did not accept a start. */
export async function dispatchEvent(deps: DispatchDeps, event: FleetEvent): Promise<DispatchOutcome> {
  deps.metrics?.countEvent(event.kind);
  try {
    const outcome = await dispatchActions(deps, event);
    deps.metrics?.outcome(event.kind, outcome.actions.some((a) => a.workflowId) ? 'accepted' : 'ignored');
    return outcome;
  } catch (err) {
    deps.metrics?.outcome(event.kind, 'failed');
    throw err;
  }
}

async function dispatchActions(deps: DispatchDeps, event: FleetEvent): Promise<DispatchOutcome> {
  const outcome: DispatchOutcome = { kind: event.kind, actions: [] };
  for (const action of actionsFor(event)) {
    deps.metrics?.countAction(action.type);
    if (action.type === 'start-interruption') {
      const receivedAtMs = Date.now();
      const trigger = { ...action.trigger, receivedAt: new Date(receivedAtMs).toISOString() };
      const workflowId = await startInterruptionWorkflow(deps, trigger);
      // Counted from the receipt when the stamp is in the future (clock skew): never negative.
      const eventMs = clampEventTime(trigger.time, receivedAtMs);
      deps.metrics?.observeAcceptLatency(Date.now() - eventMs);
      outcome.actions.push({
        type: action.type,
        workflowId,
        ...(trigger.kind === 'spot-interruption-warning'
          ? { deadline: new Date(eventMs + SPOT_NOTICE_MS).toISOString() }
          : {}),
      });
    } else if (action.type === 'signal-instance-state') {
      const sent = await signalInstanceState(deps.client, action.instanceId, action.state);
      if (sent.outcome === 'ok') outcome.actions.push({ type: action.type, workflowId: sent.workflowId });
      else outcome.actions.push({ type: 'none', detail: `no running ${sent.workflowId}` });
    } else if (action.type === 'alarm-state') {
      const workflowId = await signalAlarmWorkflow(deps.client, deps.taskQueue, action.alarm);
      outcome.actions.push({ type: action.type, workflowId });
    } else if (action.type === 'verify-backup-object') {
      const o = action.object;
      const workflowId = await startBackupObjectVerification(
        { client: deps.client, taskQueue: deps.taskQueue },
        {
          bucket: o.bucket,
          key: o.key,
          accountId: o.account,
          region: o.region,
          ...(o.etag ? { etag: o.etag } : {}),
          ...(o.size !== undefined ? { size: o.size } : {}),
          write: o.sequencer ?? o.etag ?? o.eventId,
        },
      );
      outcome.actions.push({ type: action.type, workflowId });
    } else {
      outcome.actions.push({ type: 'none', detail: action.reason });
    }
  }
  return outcome;
}
