import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  ListNodegroupsCommand,
  type Cluster,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

/** EKS cluster and node group reads (the security scan's view of the control plane). */
export function eksClusterGateway(aws: AwsClientFactory, target: AwsTarget) {
  const eks = aws.eks(target);
  return {
    async describeCluster(name: string): Promise<Cluster> {
      const out = await eks.send(new DescribeClusterCommand({ name }));
      return out.cluster ?? { name };
    },
    async listNodegroups(clusterName: string): Promise<Nodegroup[]> {
      const names: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await eks.send(new ListNodegroupsCommand({ clusterName, nextToken }));
        names.push(...(page.nodegroups ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      const out: Nodegroup[] = [];
      for (const nodegroupName of names) {
        const ng = (await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName }))).nodegroup;
        if (ng) out.push(ng);
      }
      return out;
    },
  };
}
