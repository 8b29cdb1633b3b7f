import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListClustersCommand } from '@aws-sdk/client-eks';
import { awsCallCounts, awsCallsSince, callKey, snapshotAwsCalls, totalAwsCalls } from '../../src/aws/call-counter';
import { describeInstances } from '../../activities/gateways/instances';
import { testAwsFactory } from '../support/stack';

describe('AWS call counter (every client the factory builds)', () => {
  const aws = testAwsFactory();
  const target = { accountId: '123456789012', region: 'eu-west-3' };

  it('counts each call by Service:Operation, failed calls included', async () => {
    const before = snapshotAwsCalls();
    await aws.eks(target).send(new ListClustersCommand({}));
    await aws.eks(target).send(new ListClustersCommand({}));
    await describeInstances(aws, target, []);
    // An unknown id fails in moto (InvalidInstanceID.NotFound): still one call.
    await expect(
      aws.ec2(target).send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    ).rejects.toThrow();
    const since = awsCallsSince(before);
    expect(since).toEqual({ 'EKS:ListClusters': 2, 'EC2:DescribeInstances': 2 });
    expect(totalAwsCalls(since)).toBe(4);
    expect(awsCallCounts()['EKS:ListClusters']).toBeGreaterThanOrEqual(2);
  });

  it('names the key from the client and command names', () => {
    expect(callKey('AutoScalingClient', 'DescribeAutoScalingGroupsCommand')).toBe(
      'AutoScaling:DescribeAutoScalingGroups',
    );
  });
});
