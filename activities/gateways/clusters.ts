import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import type { AwsClientFactory } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { AwsTarget } from '../../src/config/clusters';

/** EKS clusters: the only code that calls DescribeCluster (the API endpoint and CA of a cluster). */
export interface ClusterAccess {
  endpoint?: string;
  /** Base64 PEM of the cluster's certificate authority. */
  caData?: string;
}

export async function describeClusterAccess(
  aws: AwsClientFactory,
  target: AwsTarget,
  clusterName: string,
): Promise<ClusterAccess> {
  const out = await awsCall(`DescribeCluster ${target.accountId}/${target.region}/${clusterName}`, () =>
    aws.eks(target).send(new DescribeClusterCommand({ name: clusterName })),
  );
  return { endpoint: out.cluster?.endpoint, caData: out.cluster?.certificateAuthority?.data };
}
