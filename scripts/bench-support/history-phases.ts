/**
 * Where a benchmark's time went, read from the workflows' own histories at the server: for every
 * activity type, how long its tasks waited in the task queue (scheduled → started) and ran
 * (started → completed); the same for workflow tasks; and how long a child took to start
 * (initiated → started). Benchmarks print the medians and 95th percentiles beside their result.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface PhaseStats {
  n: number;
  p50_ms: number;
  p95_ms: number;
}

export interface HistoryPhases {
  /** `<activity type>:wait` (queue) and `<activity type>:run`; `workflow_task:wait|run`; `child_start`. */
  [phase: string]: PhaseStats;
}

const ms = (e: Event | undefined): number | undefined => {
  const t = e?.eventTime;
  if (!t) return undefined;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
};

function stats(values: number[]): PhaseStats {
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))] ?? 0;
  return { n: v.length, p50_ms: q(0.5), p95_ms: q(0.95) };
}

/** Durations per phase over the histories of `workflowIds` (a missing history is skipped). */
export async function historyPhases(client: Client, workflowIds: string[], concurrency = 20): Promise<HistoryPhases> {
  const samples = new Map<string, number[]>();
  const add = (k: string, from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined) return;
    const list = samples.get(k) ?? [];
    list.push(to - from);
    samples.set(k, list);
  };
  const ids = [...workflowIds];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
        const history = await client.workflow
          .getHandle(id)
          .fetchHistory()
          .catch(() => undefined);
        const events = history?.events ?? [];
        const byId = new Map<string, Event>();
        for (const e of events) byId.set(String(e.eventId), e);
        for (const e of events) {
          switch (e.eventType) {
            case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
              add(
                'workflow_task:wait',
                ms(byId.get(String(e.workflowTaskStartedEventAttributes?.scheduledEventId ?? ''))),
                ms(e),
              );
              break;
            case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
              add(
                'workflow_task:run',
                ms(byId.get(String(e.workflowTaskCompletedEventAttributes?.startedEventId ?? ''))),
                ms(e),
              );
              break;
            case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
              const a = e.activityTaskCompletedEventAttributes;
              const scheduled = byId.get(String(a?.scheduledEventId ?? ''));
              const started = byId.get(String(a?.startedEventId ?? ''));
              const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
              // A retried activity's started event is written at completion: its wait includes the retries.
              add(`${type}:wait`, ms(scheduled), ms(started));
              add(`${type}:run`, ms(started), ms(e));
              break;
            }
            case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
              add(
                'child_start',
                ms(byId.get(String(e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId ?? ''))),
                ms(e),
              );
              break;
            default:
          }
        }
      }
    }),
  );
  return Object.fromEntries(
    [...samples.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, stats(v)]),
  );
}
