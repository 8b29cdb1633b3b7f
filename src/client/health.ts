import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { EksflowConfig } from '../config/schema';
import { healthWorkflowId } from '../domain/health/checks';
import { clusterKeyOf } from '../domain/scaling/types';
import type { CloudWatchAlarmStateChange } from '../domain/events/eventbridge';
import { alarmWorkflowId } from '../domain/health/checks';
import {
  ALARM_WORKFLOW_TYPE,
  alarmStateSignal,
  checkNowUpdate,
  healthStatusQuery,
  pauseHealthUpdate,
  resumeHealthUpdate,
  type HealthStatus,
} from '../../workflows/health/messages';

/** The clusters that have a `health.clusters` entry, with their monitor's workflow id. */
export function healthMonitorTargets(config: EksflowConfig): { clusterKey: string; workflowId: string }[] {
  if (!config.health.enabled) return [];
  return config.clusters
    .filter((c) =>
      config.health.clusters.some(
        (h) =>
          h.cluster === c.name && (!h.accountId || h.accountId === c.accountId) && (!h.region || h.region === c.region),
      ),
    )
    .map((c) => ({ clusterKey: clusterKeyOf(c), workflowId: healthWorkflowId(c) }));
}

/** Starts every configured cluster's monitor that is not running (a running one is left alone). */
export async function ensureHealthMonitors(
  client: Client,
  config: EksflowConfig,
  taskQueue: string,
): Promise<{ workflowId: string; started: boolean }[]> {
  const out: { workflowId: string; started: boolean }[] = [];
  for (const t of healthMonitorTargets(config)) {
    try {
      await client.workflow.start('healthMonitor', {
        workflowId: t.workflowId,
        taskQueue,
        args: [{ clusterKey: t.clusterKey }],
      });
      out.push({ workflowId: t.workflowId, started: true });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      out.push({ workflowId: t.workflowId, started: false });
    }
  }
  return [...out, ...(await ensureAnomalyMonitors(client, config, taskQueue))];
}

/** Starts one `anomaly/<id>` monitor per `health.anomalies` entry that is not running. */
export async function ensureAnomalyMonitors(
  client: Client,
  config: EksflowConfig,
  taskQueue: string,
): Promise<{ workflowId: string; started: boolean }[]> {
  const out: { workflowId: string; started: boolean }[] = [];
  for (const metric of config.health.enabled ? config.health.anomalies : []) {
    const workflowId = `anomaly/${metric.id}`;
    try {
      await client.workflow.start('anomalyMonitor', { workflowId, taskQueue, args: [{ metric }] });
      out.push({ workflowId, started: true });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      out.push({ workflowId, started: false });
    }
  }
  return out;
}

/** Finds a cluster by name or key (`<account>/<region>/<name>`). */
export function resolveHealthCluster(
  config: EksflowConfig,
  nameOrKey: string,
): { clusterKey: string; workflowId: string } {
  const matches = config.clusters.filter((c) => c.name === nameOrKey || clusterKeyOf(c) === nameOrKey);
  if (matches.length === 0)
    throw new Error(`unknown cluster "${nameOrKey}" (known: ${config.clusters.map((c) => c.name).join(', ')})`);
  if (matches.length > 1) throw new Error(`"${nameOrKey}" names several clusters: use <account>/<region>/<name>`);
  return { clusterKey: clusterKeyOf(matches[0]), workflowId: healthWorkflowId(matches[0]) };
}

export const healthStatus = (client: Client, workflowId: string): Promise<HealthStatus> =>
  client.workflow.getHandle(workflowId).query(healthStatusQuery);
export const pauseHealth = (
  client: Client,
  workflowId: string,
  req: { by?: string; reason: string },
): Promise<HealthStatus> => client.workflow.getHandle(workflowId).executeUpdate(pauseHealthUpdate, { args: [req] });
export const resumeHealth = (client: Client, workflowId: string, req: { by?: string }): Promise<HealthStatus> =>
  client.workflow.getHandle(workflowId).executeUpdate(resumeHealthUpdate, { args: [req] });
export const checkHealthNow = (client: Client, workflowId: string): Promise<HealthStatus> =>
  client.workflow.getHandle(workflowId).executeUpdate(checkNowUpdate, { args: [] });

/** Hands a CloudWatch alarm state change to the alarm's workflow (ordered per alarm, deduplicated by event id). */
export async function signalAlarmWorkflow(
  client: Client,
  taskQueue: string,
  alarm: CloudWatchAlarmStateChange,
): Promise<string> {
  const workflowId = alarmWorkflowId(alarm.alarmArn);
  await client.workflow.signalWithStart(ALARM_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    args: [{ alarmArn: alarm.alarmArn }],
    signal: alarmStateSignal,
    signalArgs: [alarm],
  });
  return workflowId;
}
