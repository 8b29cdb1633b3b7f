import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { AnomalyMetricConfig } from '../../src/config/health';
import type { AnomalyDetectorState } from '../../src/ml/anomaly';
import { raiseAlert } from '../lib/alerts';
import { awsMutate, compute } from '../lib/presets';

const ml = proxyActivities<Activities>(compute);
const act = proxyActivities<Activities>(awsMutate);

export interface AnomalyMonitorInput {
  metric: AnomalyMetricConfig;
  /** The detector's JSON state, carried across continue-as-new. */
  state?: AnomalyDetectorState;
  anomaliesSeen?: number;
  maxHistoryEvents?: number;
}

/**
 * Live anomaly detection on one CloudWatch metric (`anomaly/<id>`): every period, the new points
 * (GetMetricData) go through the streaming detector (src/ml/anomaly.ts), whose state is plain JSON
 * and survives continue-as-new. A flagged point raises a warning alert linking a report with the
 * chart of the last hours (inline SVG); the detector's cooldown keeps one spell from paging twice.
 */
export async function anomalyMonitor(input: AnomalyMonitorInput): Promise<void> {
  const m = input.metric;
  let state = input.state;
  let seen = input.anomaliesSeen ?? 0;
  for (;;) {
    const r = await ml.scoreMetricAnomalies({
      target: { accountId: m.accountId, region: m.region, ...(m.roleArn ? { roleArn: m.roleArn } : {}) },
      metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.stat },
      periodSeconds: m.periodSeconds,
      warmupDays: m.warmupDays,
      ...(state ? { state } : m.threshold !== undefined ? { params: { threshold: m.threshold } } : {}),
    });
    state = r.state;
    if (r.anomalies.length > 0) {
      seen += r.anomalies.length;
      const last = r.anomalies[r.anomalies.length - 1];
      const report = await act.writeAnomalyReport({ id: m.id, anomalies: r.anomalies });
      await raiseAlert({
        severity: 'warning',
        type: 'metric_anomaly',
        dedupKey: `anomaly/${m.id}`,
        summary: `Anomaly on ${m.namespace}/${m.metricName} (${m.id}): ${last.value} at ${last.timestamp}, score ${last.score.toFixed(2)}`,
        details: {
          metric: `${m.namespace}/${m.metricName}`,
          value: last.value,
          score: last.score,
          points: r.evaluatedPoints,
        },
        links: [{ label: 'Anomaly chart', url: report.url }],
      });
    }
    await sleep(m.periodSeconds * 1000);
    const info = workflowInfo();
    if (
      info.continueAsNewSuggested ||
      (input.maxHistoryEvents !== undefined && info.historyLength >= input.maxHistoryEvents)
    ) {
      return continueAsNew<typeof anomalyMonitor>({
        metric: m,
        state,
        anomaliesSeen: seen,
        maxHistoryEvents: input.maxHistoryEvents,
      });
    }
  }
}
