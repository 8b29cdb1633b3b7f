/**
 * AWS SDK v3 command → IAM action(s). Most commands map one-to-one onto `<prefix>:<Name>`; the
 * exceptions are the APIs whose authorisation differs from the operation name (S3's object and
 * bucket actions, SQS/SNS batch calls) and the calls that need more than one action (EC2 Fleet
 * launches instances, tags them and passes the node role). A package missing from
 * SERVICE_PREFIX makes the policy generator fail, naming it, instead of guessing a prefix.
 */

export const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-auto-scaling': 'autoscaling',
  '@aws-sdk/client-cloudformation': 'cloudformation',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-ebs': 'ebs',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-eks': 'eks',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-health': 'health',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-inspector2': 'inspector2',
  '@aws-sdk/client-kms': 'kms',
  '@aws-sdk/client-pricing': 'pricing',
  '@aws-sdk/client-resource-groups-tagging-api': 'tag',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-securityhub': 'securityhub',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sts': 'sts',
};

/** `<package>#<Command>` → the IAM actions it needs, where that is not `<prefix>:<Command minus suffix>`. */
const OVERRIDES: Record<string, string[]> = {
  // EC2 Fleet (type instant) launches through RunInstances, tags at launch and passes the node role.
  '@aws-sdk/client-ec2#CreateFleetCommand': ['ec2:CreateFleet', 'ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'],
  '@aws-sdk/client-s3#ListObjectsV2Command': ['s3:ListBucket'],
  '@aws-sdk/client-s3#ListObjectsCommand': ['s3:ListBucket'],
  '@aws-sdk/client-s3#HeadBucketCommand': ['s3:ListBucket'],
  '@aws-sdk/client-s3#HeadObjectCommand': ['s3:GetObject'],
  '@aws-sdk/client-s3#DeleteObjectsCommand': ['s3:DeleteObject'],
  '@aws-sdk/client-s3#CreateMultipartUploadCommand': ['s3:PutObject'],
  '@aws-sdk/client-s3#UploadPartCommand': ['s3:PutObject'],
  '@aws-sdk/client-s3#CompleteMultipartUploadCommand': ['s3:PutObject'],
  '@aws-sdk/client-s3#AbortMultipartUploadCommand': ['s3:AbortMultipartUpload'],
  '@aws-sdk/client-s3#CopyObjectCommand': ['s3:GetObject', 's3:PutObject'],
  '@aws-sdk/client-s3#GetBucketLifecycleConfigurationCommand': ['s3:GetLifecycleConfiguration'],
  '@aws-sdk/client-s3#PutBucketLifecycleConfigurationCommand': ['s3:PutLifecycleConfiguration'],
  '@aws-sdk/client-sqs#DeleteMessageBatchCommand': ['sqs:DeleteMessage'],
  '@aws-sdk/client-sqs#SendMessageBatchCommand': ['sqs:SendMessage'],
  '@aws-sdk/client-sqs#ChangeMessageVisibilityBatchCommand': ['sqs:ChangeMessageVisibility'],
  '@aws-sdk/client-sns#PublishBatchCommand': ['sns:Publish'],
  '@aws-sdk/client-cloudwatch-logs#GetQueryResultsCommand': ['logs:GetQueryResults'],
  '@aws-sdk/client-eventbridge#PutEventsCommand': ['events:PutEvents'],
};

export class UnknownServiceError extends Error {}

/** The IAM actions a command needs. `paginateX` helpers count as `XCommand`. */
export function commandActions(pkg: string, command: string): string[] {
  const name = command.startsWith('paginate') ? `${command.slice('paginate'.length)}Command` : command;
  const override = OVERRIDES[`${pkg}#${name}`];
  if (override) return override;
  const prefix = SERVICE_PREFIX[pkg];
  if (!prefix) {
    throw new UnknownServiceError(
      `${pkg}: no IAM service prefix known; add it to SERVICE_PREFIX in src/iam/actions.ts`,
    );
  }
  if (!name.endsWith('Command')) throw new UnknownServiceError(`${pkg}: ${command} is not an SDK command`);
  return [`${prefix}:${name.slice(0, -'Command'.length)}`];
}
