import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { awsMutationQueue, pagerdutyQueue } from '../../src/domain/limits/queues';
import { awsMutate, onLimitedQueue, pagerdutyDelivery } from './presets';

/**
 * Activity proxies for one outside target, on the task queue whose dispatch rate keeps that
 * target's API limit for all workers together (the workers poll every such queue of their config,
 * src/worker-queues.ts). The queue names derive from the workflow's own task queue, so a test on
 * its own queue gets its own limited queues.
 */
export function awsFor(target: { accountId: string; region: string }) {
  return {
    /** Mutating AWS calls (EC2, Auto Scaling, EKS) in the target's account and region. */
    mutate: proxyActivities<Activities>(onLimitedQueue(awsMutate, awsMutationQueue(workflowInfo().taskQueue, target))),
  };
}

/** Deliveries to one PagerDuty routing key (named by its env var or secret id, never its value). */
export function pagerdutyFor(target: { routingKeyEnv?: string; secretId?: string }) {
  return proxyActivities<Activities>(
    onLimitedQueue(pagerdutyDelivery, pagerdutyQueue(workflowInfo().taskQueue, target)),
  );
}
