import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Named timeout/retry presets for activities; no activity runs with implicit defaults.
 * Non-retryable failures (validation, not found, access denied) are raised by the activities
 * themselves as non-retryable ApplicationFailures, so they are not listed here.
 *
 * AWS and controller calls are retried for a bounded *time* (schedule-to-close), not a bounded
 * number of attempts: an attempt lost with a killed worker costs a whole start-to-close, and a
 * storm of worker restarts used up five attempts of a scale-up in minutes while AWS was healthy
 * (the full-size chaos run). The bound includes time queued behind other work (a burst, a
 * restarted worker's backlog), so it is long: minutes of queueing must not fail a scale-up.
 */
export const awsRead: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

/**
 * A read by a watcher that must never end (the config watcher's poll): retried until the store
 * answers, with no schedule-to-close (a bounded retry would fail the watcher itself). This also
 * keeps its polls free of schedule-to-close timers, which the time-skipping test server mishandled
 * when a test skipped hours over them ("invalid history builder state for action").
 */
export const watcherRead: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Mutations read current state first and write only the difference, so a retry is safe. */
export const awsMutate: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  scheduleToCloseTimeout: '20 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
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
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
  },
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

/** Talking to a cluster's controller (signal-with-start + query): quick, a few retries. */
export const controllerCall: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
};

/**
 * Forecasts and spot outlooks before a scale-up: a couple of quick tries, then the scale-up goes on
 * without one ("forecast unavailable"). Two minutes an attempt, not compute's five: an attempt lost
 * with a killed worker held a group's 08:00 scale-up for the whole start-to-close (chaos run).
 */
export const forecast: ActivityOptions = {
  ...compute,
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 2 },
};

/**
 * For an activity that must finish before `deadlineMs` (a spot interruption's 120 s notice):
 * quick attempts, quick retries, and a schedule-to-close that ends them at the deadline (at least
 * 10 s, so a late event still gets a real attempt). `nowMs` is the workflow clock.
 */
export function beforeDeadline(deadlineMs: number | undefined, nowMs: number): ActivityOptions {
  const left = deadlineMs === undefined ? 60_000 : Math.max(10_000, deadlineMs - nowMs);
  return {
    startToCloseTimeout: '15 seconds',
    scheduleToCloseTimeout: left,
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '4 seconds' },
  };
}

/**
 * A batch of capacity changes applied by an Auto Scaling group's one writer (asgCapacity):
 * short attempts so a worker killed mid-batch is replaced in seconds (the batch marker on the
 * group makes the retry set the same absolute size), retried for as long as callers wait.
 */
export const groupCapacity: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
};

/**
 * Batches of AWS reads/mutations over a whole account/region (cleanup, backup pruning). Each item
 * is re-read before it is changed, so a retry after a crash finishes the batch without repeating it.
 */
export const awsBatch: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // Heartbeats per item: a worker that dies mid-batch is noticed in seconds, not at the timeout.
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
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

/**
 * A preset on a rate-limited task queue (src/domain/limits/queues.ts): the queue's dispatch rate
 * holds for all workers together, so a task may wait there behind others. The schedule-to-close
 * bound ends a task no worker polls (a queue dropped from config) instead of leaving it forever.
 */
export function onLimitedQueue(preset: ActivityOptions, taskQueue: string): ActivityOptions {
  return { ...preset, taskQueue, scheduleToCloseTimeout: '15 minutes' };
}
