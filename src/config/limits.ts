import { z } from 'zod';

/**
 * Request-rate limits of outside APIs, kept by all workers together: each limited kind of work has
 * its own task queue(s), polled by every worker with a server-enforced dispatch rate derived from
 * these numbers (src/domain/limits/queues.ts).
 */
export const limitsSchema = z
  .object({
    /**
     * The read partitions of a task queue on the Temporal server (its dynamic config
     * `matching.numTaskqueueReadPartitions`, 4 by default). The server splits a queue's rate over
     * them, each with a burst of its own, so the dispatch rate leaves room for one burst per partition.
     */
    taskQueuePartitions: z.number().int().min(1).max(64).default(4),
    /** PagerDuty Events API v2: 120 events per minute per routing key. */
    pagerduty: z
      .object({
        events: z.number().int().min(1).default(120),
        windowSeconds: z.number().int().min(1).max(3600).default(60),
      })
      .strict()
      .default({ events: 120, windowSeconds: 60 }),
    /**
     * EC2 mutating calls (CreateFleet, TerminateInstances, CreateVolume, …) per account and region,
     * as activities started: default 50 in any 10 s, the token bucket EC2 documents for mutating
     * actions (bucket 50, refill 5 per second; "Request throttling for the Amazon EC2 API",
     * docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), which a rate of 4.2/s with
     * the partitions' bursts (4 × 2) stays under. Also the rate of the legacy single AWS queue.
     */
    awsMutations: z
      .object({
        events: z.number().int().min(1).default(50),
        windowSeconds: z.number().int().min(1).max(3600).default(10),
      })
      .strict()
      .default({ events: 50, windowSeconds: 10 }),
    /**
     * Amazon EKS mutating calls (UpdateNodegroupConfig) per account and region. AWS publishes no
     * request rate for the EKS API (the API reference only names ThrottlingException, and
     * "Request limit exceeded" comes back as InvalidRequestException); EKS throttles apart from EC2.
     * Default 300 in any 10 s (27.2/s dispatched): 200 node groups of one account/region are sized
     * within 10 s. A throttle still only costs a retry (ThrottledError, backoff); lower this if the
     * account's AWS/Usage CallCount shows throttling.
     */
    eksMutations: z
      .object({
        events: z.number().int().min(1).default(300),
        windowSeconds: z.number().int().min(1).max(3600).default(10),
      })
      .strict()
      .default({ events: 300, windowSeconds: 10 }),
    /**
     * Amazon EC2 Auto Scaling mutating calls (UpdateAutoScalingGroup, SetDesiredCapacity,
     * TerminateInstanceInAutoScalingGroup) per account and region. Auto Scaling has its own throttle
     * bucket, shared by all its API calls and apart from EC2's (AWS Knowledge Center, "My Auto
     * Scaling API calls are throttled", repost.aws/knowledge-center/autoscaling-api-calls-throttled);
     * its size is not published, so the default assumes EC2's documented mutating bucket: 50 in any 10 s.
     */
    autoscalingMutations: z
      .object({
        events: z.number().int().min(1).default(50),
        windowSeconds: z.number().int().min(1).max(3600).default(10),
      })
      .strict()
      .default({ events: 50, windowSeconds: 10 }),
  })
  .strict()
  .superRefine((l, ctx) => {
    // Each partition may dispatch one task at once: a smaller limit cannot be kept.
    for (const k of ['pagerduty', 'awsMutations', 'eksMutations', 'autoscalingMutations'] as const)
      if (l[k].events <= l.taskQueuePartitions)
        ctx.addIssue({
          code: 'custom',
          message: `${k}.events must exceed taskQueuePartitions (${l.taskQueuePartitions}): each partition can dispatch one task at once`,
          path: [k, 'events'],
        });
  });
export type LimitsConfig = z.infer<typeof limitsSchema>;
