import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Named timeout/retry presets for activities; no activity runs with implicit defaults.
 * Non-retryable failures (validation, not found, access denied) are raised by the activities
 * themselves as non-retryable ApplicationFailures, so they are not listed here.
 */
export const awsRead: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
};

/** Mutations read current state first and write only the difference, so a retry is safe. */
export const awsMutate: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
};

/** Deliveries to Slack/PagerDuty/SNS: a few quick retries, then the channel reports failure. */
export const notify: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 4 },
};

/** Computations over larger data (cost reports, model fits). */
export const compute: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
};

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

/**
 * Kubernetes API calls of a drain: short attempts, quick retries (an unreachable API or a 5xx is
 * retried; 401/403/404 are not), heartbeats while a pass evicts many pods, and never past the
 * drain's deadline (at least 5 s, so a late step still gets one real attempt).
 */
export function kubernetesBefore(deadlineMs: number, nowMs: number): ActivityOptions {
  return {
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    scheduleToCloseTimeout: Math.max(5_000, deadlineMs - nowMs),
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
  };
}
