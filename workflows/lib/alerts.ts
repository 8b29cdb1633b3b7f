import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
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

/** Channel presets: each channel retries on its own schedule, so one slow channel delays no other. */
export const slackDelivery: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
};
/** PagerDuty: 429/5xx retried with backoff (the activity makes 400 non-retryable). */
export const pagerdutyDelivery: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
};
export const snsDelivery: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 4 },
};
