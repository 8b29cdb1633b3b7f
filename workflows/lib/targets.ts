import { patched, proxyActivities, workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  awsMutationQueue,
  awsServiceMutationQueue,
  mutationServiceOf,
  pagerdutyQueue,
  type AwsService,
} from '../../src/domain/limits/queues';
import { awsMutate, onLimitedQueue, pagerdutyDelivery } from './presets';

/**
 * Runs that started before per-service AWS limits scheduled every mutation on one queue per
 * account/region; on replay they keep that queue (workers still poll it), new runs use the
 * service's own queue.
 */
export const PER_SERVICE_AWS_LIMITS_PATCH = 'aws-mutations-per-service';

/** The queue a mutation of `service` in `target` goes to (see PER_SERVICE_AWS_LIMITS_PATCH). */
function mutationQueue(target: { accountId: string; region: string }, service: AwsService): string {
  const base = workflowInfo().taskQueue;
  return patched(PER_SERVICE_AWS_LIMITS_PATCH)
    ? awsServiceMutationQueue(base, target, service)
    : awsMutationQueue(base, target);
}

type AnyActivity = (...args: unknown[]) => Promise<unknown>;

/**
 * Activity proxies for one outside target, on the task queue whose dispatch rate keeps that
 * target's API limit for all workers together (the workers poll every such queue of their config,
 * src/worker-queues.ts). The queue names derive from the workflow's own task queue, so a test on
 * its own queue gets its own limited queues.
 */
export function awsFor(target: { accountId: string; region: string }) {
  return {
    /**
     * Mutating AWS calls in the target's account and region, each on the queue of the service it
     * calls (EC2, EKS or Auto Scaling: `mutationServiceOf`, from the activity's name and input),
     * so EKS updates never wait behind EC2's smaller bucket.
     */
    mutate: new Proxy({} as ActivityInterfaceFor<Activities>, {
      get(_, name) {
        if (typeof name !== 'string') return undefined;
        return (...args: unknown[]) => {
          const queue = mutationQueue(target, mutationServiceOf(name, args[0]));
          const acts = proxyActivities<Record<string, AnyActivity>>(onLimitedQueue(awsMutate, queue));
          return acts[name]!(...args);
        };
      },
    }),
  };
}

/** Deliveries to one PagerDuty routing key (named by its env var or secret id, never its value). */
export function pagerdutyFor(target: { routingKeyEnv?: string; secretId?: string }) {
  return proxyActivities<Activities>(
    onLimitedQueue(pagerdutyDelivery, pagerdutyQueue(workflowInfo().taskQueue, target)),
  );
}
