import { DescribeInstancesCommand, TerminateInstancesCommand, type Filter, type Instance } from '@aws-sdk/client-ec2';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import { absentIfNotFound, tagsOf } from './ebs';
import type { Tags } from '../../src/domain/backups/tags';

export interface InstanceInfo {
  instanceId: string;
  state: string;
  instanceType: string;
  launchTime: string;
  privateDnsName: string;
  tags: Tags;
}

const info = (i: Instance): InstanceInfo => ({
  instanceId: i.InstanceId ?? '',
  state: i.State?.Name ?? 'unknown',
  instanceType: i.InstanceType ?? '',
  launchTime: (i.LaunchTime ?? new Date(0)).toISOString(),
  privateDnsName: i.PrivateDnsName ?? '',
  tags: tagsOf(i.Tags),
});

/** EC2 instances of one account/region (reads by filter or id, terminate): the only code calling those APIs for cleanup. */
export function instancesGateway(aws: AwsClientFactory, target: AwsTarget) {
  const ec2 = aws.ec2(target);
  const where = `${target.accountId}/${target.region}`;
  async function describe(filters: Filter[]): Promise<InstanceInfo[]> {
    const out: InstanceInfo[] = [];
    let NextToken: string | undefined;
    do {
      const page = await awsCall(`DescribeInstances ${where}`, () =>
        ec2.send(new DescribeInstancesCommand({ Filters: filters, NextToken })),
      );
      out.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map(info));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }
  return {
    describe,
    /** By id; ids EC2 no longer knows are simply absent from the result. */
    async byIds(ids: string[]): Promise<InstanceInfo[]> {
      return ids.length ? describe([{ Name: 'instance-id', Values: ids }]) : [];
    },
    async terminate(instanceId: string): Promise<'deleted' | 'absent'> {
      return awsCall(`TerminateInstances ${where}/${instanceId}`, () =>
        absentIfNotFound(ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))),
      );
    },
  };
}
