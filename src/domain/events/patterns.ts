import { GONE_STATES } from './actions';
import { INSTANCE_STATES } from './eventbridge';

/**
 * The EventBridge rules that feed eksflow's queue, as data: the CloudFormation template
 * (deploy/cloudformation/eksflow-events.yaml) is generated from these, and
 * test/unit/deploy/event-patterns.test.ts checks every pattern matches the events the parser
 * acts on, so the rules and the parser cannot drift apart.
 */

/** A field's allowed values, or a nested pattern for an object field. */
export interface PatternFields {
  [field: string]: string[] | PatternFields;
}

export interface EventPattern extends PatternFields {
  source: string[];
  'detail-type': string[];
}

export interface EventRuleSpec {
  /** CloudFormation logical id of the rule. */
  id: string;
  description: string;
  pattern: EventPattern;
}

export const EVENT_RULES: EventRuleSpec[] = [
  {
    id: 'SpotInterruptionWarningRule',
    description: 'EC2 Spot two-minute interruption warnings: eksflow replaces the capacity',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
  },
  {
    id: 'RebalanceRecommendationRule',
    description: 'EC2 rebalance recommendations: eksflow replaces at-risk Spot capacity early',
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
  },
  {
    id: 'InstanceStateChangeRule',
    description: 'EC2 instances going away: eksflow releases capacity it raised for them',
    // Only the states eksflow acts on, so a busy fleet's pending/running churn stays off the queue.
    pattern: {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: INSTANCE_STATES.filter((s) => GONE_STATES.has(s)) },
    },
  },
  {
    id: 'HealthScheduledChangeRule',
    description: 'AWS Health EC2 scheduled changes (retirement, maintenance): eksflow drains ahead of time',
    pattern: {
      source: ['aws.health'],
      'detail-type': ['AWS Health Event'],
      detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
    },
  },
  {
    id: 'AlarmStateChangeRule',
    description: 'CloudWatch alarms entering ALARM or back to OK: eksflow raises and resolves alerts',
    pattern: {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { state: { value: ['ALARM', 'OK'] } },
    },
  },
  {
    id: 'BackupObjectCreatedRule',
    description:
      'Objects written to a bucket with EventBridge notifications on (the backup bucket): eksflow reads each back and checks its checksum',
    // S3 sends these only for buckets with EventBridge notifications enabled; the verification
    // ignores keys outside backups.clusterState.prefix.
    pattern: { source: ['aws.s3'], 'detail-type': ['Object Created'] },
  },
];

/**
 * EventBridge's matching for the subset of patterns above (exact string values, nested objects):
 * used by tests to prove each rule catches the events it is for and nothing else.
 */
export function patternMatches(pattern: PatternFields, event: unknown): boolean {
  if (!event || typeof event !== 'object') return false;
  const obj = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, allowed]) =>
    Array.isArray(allowed)
      ? typeof obj[key] === 'string' && allowed.includes(obj[key])
      : patternMatches(allowed, obj[key]),
  );
}
