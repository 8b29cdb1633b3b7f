import { commandActions } from './actions';
import type { CommandUse } from './scan';

/**
 * The two IAM policies eksflow needs, built from the actions the code calls (src/iam/scan.ts):
 *   worker   the role of the worker/ingress pods (IRSA or Pod Identity): assumes the per-cluster
 *            roles, reads the events queue, prices, secrets, notifications, report objects;
 *   cluster  the role assumed per cluster (`roleArn` in the config), in the cluster's account:
 *            EKS node groups, Auto Scaling groups, EC2 instances, CloudWatch metrics.
 * Resources are scoped where the action supports it, and mutations of Auto Scaling groups and
 * instances carry a condition on the `eks:cluster-name` tag that EKS puts on every managed node
 * group's ASG and instances, so the role cannot touch capacity outside an EKS node group.
 * eksflow-owned resources follow one naming rule: `eksflow-*` (queue, bucket, roles) and
 * `eksflow/*` (secrets).
 */

export type PolicyName = 'worker' | 'cluster';

export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

interface Rule {
  sid: string;
  policy: PolicyName;
  match: RegExp;
  resource: string | string[];
  condition?: Statement['Condition'];
}

const EKS_CAPACITY = { Null: { 'autoscaling:ResourceTag/eks:cluster-name': 'false' } };
const EKS_INSTANCE = { Null: { 'ec2:ResourceTag/eks:cluster-name': 'false' } };

/** First match wins. Actions no rule names fall back to UNSCOPED_POLICY by service, on `*`. */
export const RULES: Rule[] = [
  {
    sid: 'AssumeClusterRoles',
    policy: 'worker',
    match: /^sts:(AssumeRole|TagSession)$/,
    resource: 'arn:aws:iam::*:role/eksflow-*',
  },
  { sid: 'Pricing', policy: 'worker', match: /^pricing:/, resource: '*' },
  { sid: 'EventsQueue', policy: 'worker', match: /^sqs:/, resource: 'arn:aws:sqs:*:*:eksflow-*' },
  { sid: 'Notifications', policy: 'worker', match: /^sns:Publish$/, resource: '*' },
  {
    sid: 'Secrets',
    policy: 'worker',
    match: /^secretsmanager:(GetSecretValue|DescribeSecret)$/,
    resource: 'arn:aws:secretsmanager:*:*:secret:eksflow/*',
  },
  { sid: 'ReportBucket', policy: 'worker', match: /^s3:ListBucket$/, resource: 'arn:aws:s3:::eksflow-*' },
  {
    sid: 'ReportObjects',
    policy: 'worker',
    match: /^s3:(Get|Put|Delete|AbortMultipartUpload)/,
    resource: 'arn:aws:s3:::eksflow-*/*',
  },
  { sid: 'PublishMetrics', policy: 'worker', match: /^cloudwatch:PutMetricData$/, resource: '*' },
  {
    sid: 'ReadNodegroups',
    policy: 'cluster',
    match: /^eks:(Describe|List)/,
    resource: ['arn:aws:eks:*:*:cluster/*', 'arn:aws:eks:*:*:nodegroup/*/*/*'],
  },
  {
    sid: 'SizeNodegroups',
    policy: 'cluster',
    match: /^eks:UpdateNodegroupConfig$/,
    resource: 'arn:aws:eks:*:*:nodegroup/*/*/*',
  },
  { sid: 'ReadAutoScaling', policy: 'cluster', match: /^autoscaling:Describe/, resource: '*' },
  {
    sid: 'ChangeNodegroupAutoScalingGroups',
    policy: 'cluster',
    match: /^autoscaling:/,
    resource: 'arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*',
    condition: EKS_CAPACITY,
  },
  { sid: 'ReadEc2', policy: 'cluster', match: /^ec2:(Describe|Get)/, resource: '*' },
  // An instant fleet touches subnets, security groups, launch templates, images, volumes and
  // interfaces; tagging at launch is allowed only as part of that launch.
  { sid: 'LaunchReplacementCapacity', policy: 'cluster', match: /^ec2:(CreateFleet|RunInstances)$/, resource: '*' },
  {
    sid: 'TagLaunchedCapacity',
    policy: 'cluster',
    match: /^ec2:CreateTags$/,
    resource: [
      'arn:aws:ec2:*:*:instance/*',
      'arn:aws:ec2:*:*:fleet/*',
      'arn:aws:ec2:*:*:volume/*',
      'arn:aws:ec2:*:*:network-interface/*',
    ],
  },
  {
    sid: 'StopNodegroupInstances',
    policy: 'cluster',
    match: /^ec2:(TerminateInstances|StopInstances|RebootInstances)$/,
    resource: 'arn:aws:ec2:*:*:instance/*',
    condition: EKS_INSTANCE,
  },
  {
    // Backup pruning and cleanup delete only snapshots eksflow made (tagged by the backup job).
    sid: 'DeleteEksflowSnapshots',
    policy: 'cluster',
    match: /^ec2:DeleteSnapshot$/,
    resource: '*',
    condition: { Null: { 'ec2:ResourceTag/eksflow:backup-of': 'false' } },
  },
  {
    // Cleanup deletes in two phases: only what it tagged as a candidate earlier may be deleted.
    sid: 'DeleteCleanupCandidates',
    policy: 'cluster',
    match: /^ec2:Delete/,
    resource: '*',
    condition: { Null: { 'ec2:ResourceTag/eksflow:cleanup-after': 'false' } },
  },
  {
    sid: 'PassNodeRole',
    policy: 'cluster',
    match: /^iam:PassRole$/,
    resource: 'arn:aws:iam::*:role/*',
    condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  },
  { sid: 'ReadMetrics', policy: 'cluster', match: /^cloudwatch:(Get|List|Describe)/, resource: '*' },
];

/** Services whose calls are made with the worker's own identity; the rest go through the cluster role. */
const WORKER_SERVICES = new Set(['sts', 'pricing', 'sqs', 'sns', 'secretsmanager', 's3', 'events']);

export interface ActionUse {
  action: string;
  policy: PolicyName;
  sid: string;
  files: string[];
}

/** Every action the code needs, with the statement that grants it and the files that call it. */
export function actionUses(uses: CommandUse[]): ActionUse[] {
  const byAction = new Map<string, ActionUse>();
  for (const use of uses) {
    for (const action of commandActions(use.pkg, use.command)) {
      let entry = byAction.get(action);
      if (!entry) {
        const rule = RULES.find((r) => r.match.test(action));
        const prefix = action.split(':')[0];
        entry = rule
          ? { action, policy: rule.policy, sid: rule.sid, files: [] }
          : {
              action,
              policy: WORKER_SERVICES.has(prefix) ? 'worker' : 'cluster',
              sid: `Unscoped${capitalise(prefix)}`,
              files: [],
            };
        byAction.set(action, entry);
      }
      if (!entry.files.includes(use.file)) entry.files.push(use.file);
    }
  }
  return [...byAction.values()].sort((a, b) => a.action.localeCompare(b.action));
}

export function buildPolicy(uses: ActionUse[], policy: PolicyName): PolicyDocument {
  const statements: Statement[] = [];
  const sids = [...new Set(uses.filter((u) => u.policy === policy).map((u) => u.sid))];
  // Statement order follows RULES, unscoped fallbacks last, so a regenerated file diffs cleanly.
  const order = (sid: string): number => {
    const i = RULES.findIndex((r) => r.sid === sid);
    return i < 0 ? RULES.length : i;
  };
  sids.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  for (const sid of sids) {
    const rule = RULES.find((r) => r.sid === sid);
    const actions = uses.filter((u) => u.sid === sid).map((u) => u.action);
    const statement: Statement = { Sid: sid, Effect: 'Allow', Action: actions, Resource: rule?.resource ?? '*' };
    if (rule?.condition) statement.Condition = rule.condition;
    statements.push(statement);
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Trust policy of the per-cluster role: only the worker role may assume it. */
export function clusterTrustPolicy(workerRoleArn: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'EksflowWorker', Effect: 'Allow', Principal: { AWS: workerRoleArn }, Action: 'sts:AssumeRole' }],
  };
}

/** Whether a policy allows an action (by exact name or a trailing `*` wildcard). */
export function policyAllows(doc: PolicyDocument, action: string): boolean {
  return doc.Statement.some((s) =>
    s.Action.some((a) => a === action || (a.endsWith('*') && action.startsWith(a.slice(0, -1)))),
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
