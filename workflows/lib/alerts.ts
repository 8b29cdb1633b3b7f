import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { AlertInput } from '../../src/domain/alerts/types';
import { notify } from './presets';

const raising = proxyActivities<Activities>(notify);

/**
 * The one way any workflow raises an alert. Routing, dedup and escalation happen in the
 * `alertEscalation` workflow (`alert/<dedup-key>`); this only records who raised it and hands it
 * over through an activity (signal-with-start), so raising never blocks the caller for long.
 */
export async function raiseAlert(alert: AlertInput): Promise<void> {
  const info = workflowInfo();
  await raising.raiseAlert({
    ...alert,
    source: alert.source ?? { workflowId: info.workflowId, runId: info.runId, workflowType: info.workflowType },
  });
}
