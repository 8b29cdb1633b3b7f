import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  type Instance,
  type LaunchTemplateVersion,
  type SecurityGroup,
  type Volume,
} from '@aws-sdk/client-ec2';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

const chunks = <T>(xs: T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** EC2 reads of a cluster's nodes: instances, their security groups, volumes and launch templates. */
export function ec2SecurityGateway(aws: AwsClientFactory, target: AwsTarget) {
  const ec2 = aws.ec2(target);
  return {
    /** Running/pending instances tagged as nodes of the cluster (EKS and Karpenter tag `eks:cluster-name` or `kubernetes.io/cluster/<name>`). */
    async clusterNodes(cluster: string): Promise<Instance[]> {
      const seen = new Map<string, Instance>();
      const filters = [
        [{ Name: 'tag:eks:cluster-name', Values: [cluster] }],
        [{ Name: `tag:kubernetes.io/cluster/${cluster}`, Values: ['owned', 'shared'] }],
      ];
      for (const f of filters) {
        let NextToken: string | undefined;
        do {
          const page = await ec2.send(
            new DescribeInstancesCommand({
              Filters: [...f, { Name: 'instance-state-name', Values: ['pending', 'running'] }],
              NextToken,
            }),
          );
          for (const r of page.Reservations ?? [])
            for (const i of r.Instances ?? []) if (i.InstanceId) seen.set(i.InstanceId, i);
          NextToken = page.NextToken;
        } while (NextToken);
      }
      return [...seen.values()];
    },
    async securityGroups(ids: string[]): Promise<SecurityGroup[]> {
      const out: SecurityGroup[] = [];
      for (const part of chunks([...new Set(ids)], 100)) {
        if (part.length === 0) continue;
        out.push(...((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: part }))).SecurityGroups ?? []));
      }
      return out;
    },
    async volumesAttachedTo(instanceIds: string[]): Promise<Volume[]> {
      const out: Volume[] = [];
      for (const part of chunks([...new Set(instanceIds)], 100)) {
        if (part.length === 0) continue;
        let NextToken: string | undefined;
        do {
          const page = await ec2.send(
            new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: part }], NextToken }),
          );
          out.push(...(page.Volumes ?? []));
          NextToken = page.NextToken;
        } while (NextToken);
      }
      return out;
    },
    /** The given version of a launch template (`$Default` when none is named). */
    async launchTemplateVersion(id: string, version?: string): Promise<LaunchTemplateVersion | undefined> {
      const out = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: id,
          Versions: [version && version !== '$Latest' ? version : (version ?? '$Default')],
        }),
      );
      return out.LaunchTemplateVersions?.[0];
    },
  };
}
