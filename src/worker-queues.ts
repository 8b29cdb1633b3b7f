import { Worker, type NativeConnection } from '@temporalio/worker';
import type { EksflowConfig } from './config/schema';
import { resolveLevels } from './domain/alerts/routing';
import {
  AWS_SERVICES,
  awsMutationQueue,
  awsServiceMutationQueue,
  dispatchRateFor,
  pagerdutyQueue,
  type AwsService,
  type LimitedQueue,
} from './domain/limits/queues';

/**
 * The rate-limited task queues of a config: one per PagerDuty routing key of the escalation
 * ladder; per AWS account/region of the configured clusters, one per service (EC2, EKS, Auto
 * Scaling: each throttles on its own) plus the legacy single queue older workflow runs still
 * schedule on (at EC2's rate, the limit it kept). Every worker polls all of them
 * with the same rate (the server keeps it for all workers together; workers with different
 * rates on one queue would overwrite each other's setting, so the rate comes from the shared config).
 */
export function limitedQueuesFor(config: EksflowConfig, baseQueue: string): LimitedQueue[] {
  const { limits } = config;
  const out = new Map<string, LimitedQueue>();
  const pdRate = dispatchRateFor(limits.pagerduty, limits.taskQueuePartitions);
  const fallback = config.clusters[0]!;
  for (const level of resolveLevels(config.notifications, fallback)) {
    for (const t of level.targets) {
      if (t.kind !== 'pagerduty') continue;
      const taskQueue = pagerdutyQueue(baseQueue, t);
      out.set(taskQueue, {
        kind: 'pagerduty',
        taskQueue,
        ratePerSecond: pdRate,
        describe: `PagerDuty ${t.routingKeyEnv ? `routing key from $${t.routingKeyEnv}` : t.secretId ? `routing key in secret ${t.secretId}` : 'without a routing key'}: ${limits.pagerduty.events} events per ${limits.pagerduty.windowSeconds} s`,
      });
    }
  }
  const awsLimits: Record<AwsService, { events: number; windowSeconds: number }> = {
    ec2: limits.awsMutations,
    eks: limits.eksMutations,
    autoscaling: limits.autoscalingMutations,
  };
  const label: Record<AwsService, string> = { ec2: 'EC2', eks: 'EKS', autoscaling: 'Auto Scaling' };
  for (const c of config.clusters) {
    const legacy = awsMutationQueue(baseQueue, c);
    out.set(legacy, {
      kind: 'aws-mutations',
      service: 'legacy',
      taskQueue: legacy,
      ratePerSecond: dispatchRateFor(limits.awsMutations, limits.taskQueuePartitions),
      describe: `AWS mutations of workflow runs older than per-service limits in ${c.accountId}/${c.region}: ${limits.awsMutations.events} per ${limits.awsMutations.windowSeconds} s`,
    });
    for (const service of AWS_SERVICES) {
      const taskQueue = awsServiceMutationQueue(baseQueue, c, service);
      const l = awsLimits[service];
      out.set(taskQueue, {
        kind: 'aws-mutations',
        service,
        taskQueue,
        ratePerSecond: dispatchRateFor(l, limits.taskQueuePartitions),
        describe: `${label[service]} mutations in ${c.accountId}/${c.region}: ${l.events} per ${l.windowSeconds} s`,
      });
    }
  }
  return [...out.values()];
}

/**
 * Activity-only workers on the rate-limited queues, beside the main worker (one Worker per task
 * queue: the SDK polls one queue per Worker). `sync` starts workers for queues a newer config
 * adds (a cluster in a new account/region); a queue a config drops keeps its worker until the
 * process restarts, so its in-flight tasks still finish.
 */
export class LimitedQueueWorkers {
  private readonly running = new Map<string, { worker: Worker; done: Promise<void> }>();

  constructor(
    private readonly opts: {
      connection: NativeConnection;
      namespace: string;
      baseQueue: string;
      activities: object;
      onError?: (queue: string, err: Error) => void;
    },
  ) {}

  /** Starts a worker for every limited queue of `config` not polled yet; returns the queues it started. */
  async sync(config: EksflowConfig): Promise<LimitedQueue[]> {
    const started: LimitedQueue[] = [];
    for (const q of limitedQueuesFor(config, this.opts.baseQueue)) {
      if (this.running.has(q.taskQueue)) continue;
      const worker = await Worker.create({
        connection: this.opts.connection,
        namespace: this.opts.namespace,
        taskQueue: q.taskQueue,
        activities: this.opts.activities,
        maxTaskQueueActivitiesPerSecond: q.ratePerSecond,
      });
      const done = worker.run().catch((err: Error) => this.opts.onError?.(q.taskQueue, err));
      this.running.set(q.taskQueue, { worker, done });
      started.push(q);
    }
    return started;
  }

  get queues(): string[] {
    return [...this.running.keys()];
  }

  /** Shuts every limited worker down and waits for their tasks to finish. */
  async shutdown(): Promise<void> {
    for (const { worker } of this.running.values()) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Resolves when every limited worker has stopped (e.g. after the runtime's SIGTERM handling). */
  async done(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
