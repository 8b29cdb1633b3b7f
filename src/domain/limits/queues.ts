/**
 * Rate limits that hold for all workers together: work that must stay under an outside API's
 * request rate runs on its own task queue, and every worker polls that queue with the same
 * `maxTaskQueueActivitiesPerSecond` — a dispatch rate the Temporal server enforces for the queue,
 * whatever the number of workers. These pure functions name the queues (workflows and workers must
 * agree on them) and turn an API's documented limit into a dispatch rate. No I/O, no clock.
 */

/** What a limit is about: deliveries to one PagerDuty routing key, or AWS mutations in one account/region. */
export type LimitedQueueKind = 'pagerduty' | 'aws-mutations';

/**
 * The AWS services whose mutating calls have a throttle bucket of their own per account and region
 * (EC2's mutating actions, Amazon EKS, Amazon EC2 Auto Scaling): one service's calls never wait
 * behind another's. `legacy` is the single queue of every AWS mutation before per-service limits;
 * workers keep polling it so activities scheduled there by older workflow runs still complete.
 */
export type AwsService = 'ec2' | 'eks' | 'autoscaling';
export const AWS_SERVICES: readonly AwsService[] = ['ec2', 'eks', 'autoscaling'];

export interface LimitedQueue {
  kind: LimitedQueueKind;
  taskQueue: string;
  /** The `maxTaskQueueActivitiesPerSecond` every worker polls this queue with. */
  ratePerSecond: number;
  /** For AWS mutation queues: the service whose limit it keeps (`legacy`: the one queue of older runs). */
  service?: AwsService | 'legacy';
  /** For the operator: which key, account/region, and what limit it keeps. */
  describe: string;
}

/** A limit as an API documents it: at most `events` in any `windowSeconds`. */
export interface RequestLimit {
  events: number;
  windowSeconds: number;
}

/**
 * The dispatch rate that keeps any window of `windowSeconds` under `events`. The server splits a
 * queue's rate evenly over its read partitions, each a token bucket whose burst is
 * ceil(rate / partitions) (at least 1), so a window can see `rate × window` plus one full burst per
 * partition: the rate leaves room for those bursts. Returns 0 when the limit is too small to keep
 * with that many partitions (the caller rejects the configuration).
 */
export function dispatchRateFor(limit: RequestLimit, partitions: number): number {
  const p = Math.max(1, Math.floor(partitions));
  // With burst b per partition (rate in ((b-1)p, bp]) a window sees rate × window + p × b: take the
  // highest rate over the bursts that can hold.
  let best = 0;
  for (let b = 1; ; b++) {
    const rate = Math.min(b * p, (limit.events - p * b) / limit.windowSeconds);
    if (rate <= (b - 1) * p || rate <= 0) break;
    best = Math.max(best, rate);
  }
  return Math.floor(best * 1000) / 1000;
}

/** The most dispatches any window of `windowSeconds` can see at `rate` over `partitions` (the bound above). */
export function worstCaseInWindow(rate: number, windowSeconds: number, partitions: number): number {
  const p = Math.max(1, Math.floor(partitions));
  return rate * windowSeconds + p * Math.max(1, Math.ceil(rate / p));
}

/** FNV-1a, 32 bits: a short stable suffix for queue names (workflow code has no crypto module). */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);

/** How a PagerDuty target names its routing key (the env var or secret holding it, never the key). */
export function pagerdutyKeyRef(t: { routingKeyEnv?: string; secretId?: string }): string {
  if (t.routingKeyEnv) return `env:${t.routingKeyEnv}`;
  if (t.secretId) return `secret:${t.secretId}`;
  return 'none';
}

/** The delivery queue of one PagerDuty routing key: `<base>-pagerduty-<ref>-<hash>`. */
export function pagerdutyQueue(base: string, t: { routingKeyEnv?: string; secretId?: string }): string {
  const ref = pagerdutyKeyRef(t);
  return `${base}-pagerduty-${slug(ref)}-${shortHash(ref)}`;
}

/**
 * The single mutation queue of one AWS account and region, `<base>-aws-<account>-<region>`, that
 * every AWS mutation used before per-service limits. Workflows started since schedule on the
 * service queues (`awsServiceMutationQueue`); workers keep polling this one for older runs.
 */
export function awsMutationQueue(base: string, t: { accountId: string; region: string }): string {
  return `${base}-aws-${t.accountId}-${t.region}`;
}

/**
 * The mutation queue of one AWS service in one account and region:
 * `<base>-aws-<service>-<account>-<region>` (an account id is 12 digits, so no service queue can
 * be mistaken for the legacy queue of another account).
 */
export function awsServiceMutationQueue(
  base: string,
  t: { accountId: string; region: string },
  service: AwsService,
): string {
  return `${base}-aws-${service}-${t.accountId}-${t.region}`;
}

/**
 * The service each mutating activity calls (what its gateway sends), for the activities workflows
 * run through `awsFor(target).mutate`. A function reads the activity's input where the service
 * depends on it.
 */
const MUTATION_SERVICE: Record<string, AwsService | ((input: unknown) => AwsService)> = {
  // EKS UpdateNodegroupConfig (activities/gateways/nodegroups.ts).
  applyNodegroupSize: 'eks',
  // EKS managed → UpdateNodegroupConfig; self-managed → Auto Scaling UpdateAutoScalingGroup (activities/fleet.ts).
  applyGroupSize: (input) => (groupKindOf(input) === 'self-managed' ? 'autoscaling' : 'eks'),
  // Auto Scaling TerminateInstanceInAutoScalingGroup.
  terminateAsgInstance: 'autoscaling',
  // Auto Scaling SetDesiredCapacity / UpdateAutoScalingGroup (activities/gateways/asg.ts).
  raiseGroupCapacity: 'autoscaling',
  undoCapacityRaise: 'autoscaling',
  // EC2 CreateFleet / TerminateInstances / CreateVolume / DeleteVolume.
  launchFleet: 'ec2',
  terminateLaunched: 'ec2',
  createDrillVolume: 'ec2',
  deleteDrillVolume: 'ec2',
};

function groupKindOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const ref = (input as { ref?: unknown }).ref;
  if (typeof ref !== 'object' || ref === null) return undefined;
  const kind = (ref as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : undefined;
}

/**
 * Which service's queue a mutating activity goes to, decided in workflow code from the activity's
 * name and input. An activity not in the table goes to EC2's, the smallest documented bucket: a
 * new activity is never faster than a limit we know, and the worker polls that queue anyway.
 */
export function mutationServiceOf(activity: string, input?: unknown): AwsService {
  const s = Object.prototype.hasOwnProperty.call(MUTATION_SERVICE, activity) ? MUTATION_SERVICE[activity] : undefined;
  if (s === undefined) return 'ec2';
  return typeof s === 'function' ? s(input) : s;
}

/** The activities `mutationServiceOf` knows (for tests and docs). */
export function knownMutations(): string[] {
  return Object.keys(MUTATION_SERVICE).sort();
}
