import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { EksflowConfig } from '../config/schema';
import { istLabel } from '../domain/alerts/business-hours';
import { alertWorkflowId, DIGEST_WORKFLOW_PREFIX, normalizeDedupKey } from '../domain/alerts/dedup';
import { buildAlertPlan } from '../domain/alerts/routing';
import { alertInputSchema, type AckInput, type ResolveInput } from '../domain/alerts/schema';
import type { AlertInput, AlertPlan, AlertState } from '../domain/alerts/types';
import { ValidationError } from '../errors';
import { SA_ACTION, SA_CLUSTER, SA_SEVERITY, serverHasSearchAttributes } from '../search-attributes';
import type { alertDigest } from '../../workflows/alerts/digest';
import type { alertEscalation } from '../../workflows/alerts/escalation';
import {
  acknowledgeSignal,
  ALERT_WORKFLOW_TYPE,
  alertRaisedSignal,
  alertStatusQuery,
  DIGEST_WORKFLOW_TYPE,
  digestItemSignal,
  resolveSignal,
  type AlertWorkflowInput,
  type DigestItem,
} from '../../workflows/alerts/messages';

/**
 * Client-side helpers of the alert workflows, shared by the `raiseAlert`/`addToDigest`
 * activities, the CLI (`eksflow alerts`), the ingress (ack links, PagerDuty webhooks), the
 * benchmark and the tests: one way to open, merge, acknowledge, resolve and read an alert.
 */

function parseAlert(input: unknown): AlertInput {
  const res = alertInputSchema.safeParse(input);
  if (!res.success) throw new ValidationError(`alert is invalid: ${z.prettifyError(res.error)}`);
  return { ...res.data, dedupKey: normalizeDedupKey(res.data.dedupKey) };
}

/** The secret-free routing plan for one alert, from config (validated once at start-up). */
export function planFor(
  config: EksflowConfig,
  alert: AlertInput,
  ui: { baseUrl: string; namespace: string },
): AlertPlan {
  const firstCluster = config.clusters[0];
  return buildAlertPlan({
    notifications: config.notifications,
    timetableHolidays: config.timetable.holidays,
    type: alert.type,
    uiBaseUrl: ui.baseUrl,
    namespace: ui.namespace,
    fallbackAws: { accountId: firstCluster.accountId, region: firstCluster.region },
  });
}

/**
 * Opens an alert or merges it into the open one with the same dedup key: signal-with-start on
 * `alert/<dedup-key>`. The signal carries the occurrence; the start arguments carry the plan.
 * Used by the `raiseAlert` activity and the CLI, so there is one way in.
 */
export async function openOrMergeAlert(
  client: Client,
  opts: { taskQueue: string; config: EksflowConfig; uiBaseUrl: string },
  input: unknown,
): Promise<{ workflowId: string; runId: string }> {
  const alert = parseAlert(input);
  const workflowId = alertWorkflowId(alert.dedupKey);
  const plan = planFor(opts.config, alert, { baseUrl: opts.uiBaseUrl, namespace: client.options.namespace });
  const withSearchAttributes = await serverHasSearchAttributes(client);
  const handle = await client.workflow.signalWithStart<typeof alertEscalation, [AlertInput]>(ALERT_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: opts.taskQueue,
    args: [{ alert, plan } satisfies AlertWorkflowInput],
    signal: alertRaisedSignal,
    signalArgs: [alert],
    typedSearchAttributes: withSearchAttributes
      ? [
          { key: SA_SEVERITY, value: alert.severity },
          { key: SA_ACTION, value: `alert:${alert.type}` },
          ...(alert.cluster ? [{ key: SA_CLUSTER, value: alert.cluster }] : []),
        ]
      : undefined,
  });
  return { workflowId, runId: handle.signaledRunId };
}

/** Adds an off-hours alert to the digest going out at `deliverAtMs` (one digest workflow per slot). */
export async function addToDigest(
  client: Client,
  taskQueue: string,
  input: { deliverAtMs: number; item: DigestItem },
): Promise<{ workflowId: string }> {
  const workflowId = `${DIGEST_WORKFLOW_PREFIX}${istLabel(input.deliverAtMs)}`;
  await client.workflow.signalWithStart<typeof alertDigest, [DigestItem]>(DIGEST_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    args: [{ deliverAtMs: input.deliverAtMs }],
    signal: digestItemSignal,
    signalArgs: [input.item],
  });
  return { workflowId };
}

/** The state of one alert (the `alertStatus` query). */
export function alertStatus(client: Client, workflowId: string): Promise<AlertState> {
  return client.workflow.getHandle(workflowId).query(alertStatusQuery);
}

/** Status and count of alert workflows; null for one that cannot be read (gone, or never existed). */
export async function alertStatuses(
  client: Client,
  workflowIds: string[],
): Promise<Record<string, Pick<AlertState, 'status' | 'count'> | null>> {
  // One query per alert, all at once: the digest waits for one round trip, not one per alert.
  const states = await Promise.all(
    workflowIds.map((id) =>
      alertStatus(client, id).then(
        (s) => ({ status: s.status, count: s.count }),
        () => null,
      ),
    ),
  );
  return Object.fromEntries(workflowIds.map((id, i) => [id, states[i]!]));
}

/** Every open alert's state (running alert workflows that answer the query). */
export async function* openAlerts(client: Client, opts: { taskQueue?: string } = {}): AsyncGenerator<AlertState> {
  // Only this deployment's task queue: a query to a workflow no worker polls waits for its timeout.
  const query = `WorkflowType = '${ALERT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'${opts.taskQueue ? ` AND TaskQueue = '${opts.taskQueue}'` : ''}`;
  for await (const wf of client.workflow.list({ query })) {
    const s = await alertStatus(client, wf.workflowId).catch(() => undefined);
    if (s) yield s;
  }
}

export type AlertSignalOutcome = { outcome: 'ok' } | { outcome: 'not_found' } | { outcome: 'closed'; status: string };

/**
 * One round trip for an open alert: the signal goes first, and only when it finds no running
 * workflow does `checkOpen` ask (describe) whether the alert closed or never existed. (Asking first
 * cost a describe on every acknowledgement.)
 */
async function signalAlert(
  client: Client,
  workflowId: string,
  send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<void>,
  opts: { checkOpen?: boolean },
): Promise<AlertSignalOutcome> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    await send(handle);
    return { outcome: 'ok' };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    if (!opts.checkOpen) return { outcome: 'not_found' };
  }
  try {
    const desc = await handle.describe();
    if (desc.status.name !== 'RUNNING') return { outcome: 'closed', status: desc.status.name.toLowerCase() };
    // A new run started between the signal and the describe: it gets the signal.
    await send(handle);
    return { outcome: 'ok' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { outcome: 'not_found' };
    throw err;
  }
}

/**
 * Acknowledges `alert/<key>` (stops its escalation). `checkOpen` first asks whether it still
 * runs, to tell "closed" from "never existed" (the CLI); without it a closed alert is not found.
 */
export function acknowledgeAlert(
  client: Client,
  workflowId: string,
  input: AckInput,
  opts: { checkOpen?: boolean } = {},
): Promise<AlertSignalOutcome> {
  return signalAlert(client, workflowId, (h) => h.signal(acknowledgeSignal, input), opts);
}

/** Resolves `alert/<key>` everywhere (PagerDuty resolve, Slack follow-up); see acknowledgeAlert. */
export function resolveAlert(
  client: Client,
  workflowId: string,
  input: ResolveInput,
  opts: { checkOpen?: boolean } = {},
): Promise<AlertSignalOutcome> {
  return signalAlert(client, workflowId, (h) => h.signal(resolveSignal, input), opts);
}
