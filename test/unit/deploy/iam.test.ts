import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commandActions, UnknownServiceError } from '../../../src/iam/actions';
import { actionUses, buildPolicy, policyAllows, type PolicyDocument } from '../../../src/iam/policies';
import { commandsInSource, scanCommands } from '../../../src/iam/scan';

const root = resolve(__dirname, '../../..');
const shipped = (name: string): PolicyDocument =>
  JSON.parse(readFileSync(join(root, 'deploy/iam', name), 'utf8')) as PolicyDocument;

describe('IAM policy generated from the code', () => {
  const uses = scanCommands(root);

  it('finds the commands the gateways send', () => {
    const names = uses.map((u) => u.command);
    expect(names).toEqual(
      expect.arrayContaining(['UpdateNodegroupConfigCommand', 'GetProductsCommand', 'AssumeRoleCommand']),
    );
    // The sandbox is development-only and never runs with production credentials.
    expect(uses.some((u) => u.file.startsWith('src/sandbox/'))).toBe(false);
  });

  it('the shipped policies allow every action any production file calls', () => {
    const worker = shipped('worker-policy.json');
    const cluster = shipped('cluster-role-policy.json');
    const missing = actionUses(uses)
      .filter((u) => !policyAllows(u.policy === 'worker' ? worker : cluster, u.action))
      .map((u) => `${u.action} (${u.files.join(', ')}): run npm run gen:iam`);
    expect(missing).toEqual([]);
  });

  it('the shipped policies grant nothing the code does not call', () => {
    const needed = new Set(actionUses(uses).map((u) => u.action));
    const granted = [
      ...shipped('worker-policy.json').Statement,
      ...shipped('cluster-role-policy.json').Statement,
    ].flatMap((s) => s.Action);
    expect(granted.filter((a) => !needed.has(a))).toEqual([]);
  });

  it('scopes capacity mutations to EKS node group resources', () => {
    const cluster = buildPolicy(actionUses(uses), 'cluster');
    const asg = cluster.Statement.find((s) => s.Action.includes('autoscaling:UpdateAutoScalingGroup'));
    expect(asg?.Condition).toEqual({ Null: { 'autoscaling:ResourceTag/eks:cluster-name': 'false' } });
    expect(asg?.Resource).not.toBe('*');
    const worker = buildPolicy(actionUses(uses), 'worker');
    expect(worker.Statement.find((s) => s.Action.includes('sts:AssumeRole'))?.Resource).toBe(
      'arn:aws:iam::*:role/eksflow-*',
    );
  });
});

describe('command → IAM action', () => {
  it('maps one-to-one by default and knows the exceptions', () => {
    expect(commandActions('@aws-sdk/client-eks', 'UpdateNodegroupConfigCommand')).toEqual([
      'eks:UpdateNodegroupConfig',
    ]);
    expect(commandActions('@aws-sdk/client-pricing', 'GetProductsCommand')).toEqual(['pricing:GetProducts']);
    expect(commandActions('@aws-sdk/client-sts', 'AssumeRoleCommand')).toEqual(['sts:AssumeRole']);
    expect(commandActions('@aws-sdk/client-cloudwatch', 'PutMetricDataCommand')).toEqual(['cloudwatch:PutMetricData']);
    expect(commandActions('@aws-sdk/client-cloudwatch-logs', 'PutLogEventsCommand')).toEqual(['logs:PutLogEvents']);
    expect(commandActions('@aws-sdk/client-sqs', 'DeleteMessageBatchCommand')).toEqual(['sqs:DeleteMessage']);
    expect(commandActions('@aws-sdk/client-s3', 'ListObjectsV2Command')).toEqual(['s3:ListBucket']);
    expect(commandActions('@aws-sdk/client-ec2', 'CreateFleetCommand')).toContain('iam:PassRole');
    expect(commandActions('@aws-sdk/client-ec2', 'paginateDescribeSnapshots')).toEqual(['ec2:DescribeSnapshots']);
  });

  it('fails naming a package it has no prefix for, instead of guessing', () => {
    expect(() => commandActions('@aws-sdk/client-kafka', 'ListClustersCommand')).toThrow(UnknownServiceError);
    expect(() => commandActions('@aws-sdk/client-kafka', 'ListClustersCommand')).toThrow(/client-kafka/);
  });

  it('reads multi-line value imports and skips type-only ones', () => {
    const src = `import {\n  CreateFleetCommand,\n  type CreateFleetCommandInput,\n  DescribeInstancesCommand as Describe,\n  type Instance,\n} from '@aws-sdk/client-ec2';\nimport type { GetObjectCommand } from '@aws-sdk/client-s3';\nimport { paginateListObjectsV2, S3Client } from "@aws-sdk/client-s3";`;
    expect(commandsInSource(src, 'x.ts').map((u) => `${u.pkg}#${u.command}`)).toEqual([
      '@aws-sdk/client-ec2#CreateFleetCommand',
      '@aws-sdk/client-ec2#DescribeInstancesCommand',
      '@aws-sdk/client-s3#paginateListObjectsV2',
    ]);
  });
});
