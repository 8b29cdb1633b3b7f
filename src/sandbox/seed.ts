/**
 * SANDBOX ONLY. Creates, in moto, the AWS resources a config describes — VPC and subnets, EKS
 * clusters, managed node groups, self-managed Auto Scaling groups — so eksflow has a fleet to
 * act on. Idempotent: resources that exist are left alone.
 */
import {
  CreateClusterCommand, CreateNodegroupCommand, DescribeClusterCommand, DescribeNodegroupCommand,
} from '@aws-sdk/client-eks';
import {
  AllocateAddressCommand, CreateLaunchTemplateCommand, CreateNetworkInterfaceCommand, CreateSnapshotCommand, CreateSubnetCommand,
  CreateVolumeCommand, CreateVpcCommand, DescribeImagesCommand, DescribeLaunchTemplatesCommand, DescribeSubnetsCommand,
  DescribeVolumesCommand, DescribeVpcsCommand, type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { AwsClientFactory } from '../aws/clients';
import type { ClusterConfig, NodegroupConfig } from '../config/clusters';

const SANDBOX_TAG = 'eksflow:sandbox';

export interface SeededCluster {
  name: string;
  subnets: string[];
}

async function ensureNetwork(ec2: EC2Client, region: string): Promise<string[]> {
  const existing = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${SANDBOX_TAG}`, Values: ['true'] }] }));
  let vpcId = existing.Vpcs?.[0]?.VpcId;
  if (!vpcId) {
    const vpc = await ec2.send(new CreateVpcCommand({
      CidrBlock: '10.42.0.0/16',
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: SANDBOX_TAG, Value: 'true' }, { Key: 'Name', Value: 'eksflow-sandbox' }] }],
    }));
    vpcId = vpc.Vpc!.VpcId!;
  }
  const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  if ((subnets.Subnets ?? []).length >= 2) return subnets.Subnets!.map((s) => s.SubnetId!).sort();
  const ids: string[] = [];
  for (const [i, az] of ['a', 'b'].entries()) {
    const s = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.42.${i}.0/24`, AvailabilityZone: `${region}${az}` }));
    ids.push(s.Subnet!.SubnetId!);
  }
  return ids;
}

/** A launch template per node group, as EKS makes one; spot groups request spot capacity. */
export async function ensureLaunchTemplate(ec2: EC2Client, name: string, ng: Pick<NodegroupConfig, 'instanceTypes' | 'capacityType'>): Promise<string> {
  const found = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [name] }] }));
  if (found.LaunchTemplates?.[0]?.LaunchTemplateId) return found.LaunchTemplates[0].LaunchTemplateId;
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.[0]?.ImageId ?? 'ami-12c6146b';
  const lt = await ec2.send(new CreateLaunchTemplateCommand({
    LaunchTemplateName: name,
    LaunchTemplateData: {
      ImageId: imageId,
      InstanceType: ng.instanceTypes[0] as never,
      ...(ng.capacityType === 'SPOT' ? { InstanceMarketOptions: { MarketType: 'spot' } } : {}),
    },
  }));
  return lt.LaunchTemplate!.LaunchTemplateId!;
}

/** An Auto Scaling group whose instances carry the tags EKS puts on node group instances. */
export async function ensureAsg(
  aws: AwsClientFactory,
  cluster: ClusterConfig,
  ng: NodegroupConfig,
  asgName: string,
  subnets: string[],
  size: { min: number; desired: number; max: number },
): Promise<void> {
  const asg = aws.autoScaling(cluster);
  const found = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
  if ((found.AutoScalingGroups ?? []).length > 0) return;
  const ltId = await ensureLaunchTemplate(aws.ec2(cluster), `eksflow-sandbox-${cluster.name}-${ng.name}`, ng);
  const tag = (Key: string, Value: string) => ({ Key, Value, PropagateAtLaunch: true, ResourceId: asgName, ResourceType: 'auto-scaling-group' });
  await asg.send(new CreateAutoScalingGroupCommand({
    AutoScalingGroupName: asgName,
    LaunchTemplate: { LaunchTemplateId: ltId, Version: '$Latest' },
    MinSize: size.min,
    MaxSize: size.max,
    DesiredCapacity: size.desired,
    VPCZoneIdentifier: subnets.join(','),
    Tags: [
      tag('eks:cluster-name', cluster.name),
      tag('eks:nodegroup-name', ng.name),
      tag(`kubernetes.io/cluster/${cluster.name}`, 'owned'),
      tag(SANDBOX_TAG, 'true'),
    ],
  }));
}

/** Creates one cluster of the config in moto (at its off-hours sizes). */
export async function seedCluster(aws: AwsClientFactory, cluster: ClusterConfig): Promise<SeededCluster> {
  const subnets = await ensureNetwork(aws.ec2(cluster), cluster.region);
  const eks = aws.eks(cluster);
  const exists = await eks.send(new DescribeClusterCommand({ name: cluster.name })).then(() => true, () => false);
  if (!exists) {
    await eks.send(new CreateClusterCommand({
      name: cluster.name,
      roleArn: `arn:aws:iam::${cluster.accountId}:role/eksflow-sandbox-cluster`,
      resourcesVpcConfig: { subnetIds: subnets },
      tags: { [SANDBOX_TAG]: 'true' },
    }));
  }
  for (const ng of cluster.nodegroups) {
    const size = ng.offHours;
    if (ng.kind === 'self-managed') {
      await ensureAsg(aws, cluster, ng, ng.asgName!, subnets, size);
      continue;
    }
    const has = await eks.send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: ng.name })).then(() => true, () => false);
    if (!has) {
      await eks.send(new CreateNodegroupCommand({
        clusterName: cluster.name,
        nodegroupName: ng.name,
        nodeRole: `arn:aws:iam::${cluster.accountId}:role/eksflow-sandbox-node`,
        subnets,
        capacityType: ng.capacityType,
        instanceTypes: ng.instanceTypes,
        scalingConfig: { minSize: size.min, desiredSize: size.desired, maxSize: size.max },
        tags: { [SANDBOX_TAG]: 'true' },
      }));
    }
  }
  return { name: cluster.name, subnets };
}

/** The SNS topic the alert e-mails are published to (CreateTopic is idempotent by name). */
export async function seedAlertTopic(aws: AwsClientFactory, target: { accountId: string; region: string; roleArn?: string }, topicArn: string): Promise<void> {
  const name = topicArn.split(':').pop()!;
  await aws.sns(target).send(new CreateTopicCommand({ Name: name }));
}

const NIGHT_MARK = 'eksflow:sandbox-night';

/**
 * What the night jobs find on a sandbox's first run, per cluster: two PVC volumes to back up
 * (one with earlier eksflow snapshots, one over a year old), a snapshot of a volume that no longer
 * exists, two unassociated Elastic IPs, an unattached plain volume and an available network
 * interface. Idempotent: a marker tag on the first volume says it was done.
 */
export async function seedNightResources(aws: AwsClientFactory, cluster: ClusterConfig, now = new Date()): Promise<{ volumes: string[]; created: boolean }> {
  const ec2 = aws.ec2(cluster);
  const mark = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: `tag:${NIGHT_MARK}`, Values: [cluster.name] }] }));
  if ((mark.Volumes ?? []).length > 0) return { volumes: mark.Volumes!.map((v) => v.VolumeId!), created: false };
  const tags = (type: string, kv: Record<string, string>) => [{ ResourceType: type as never, Tags: Object.entries(kv).map(([Key, Value]) => ({ Key, Value })) }];
  const csi = (pvc: string) => ({
    [`kubernetes.io/cluster/${cluster.name}`]: 'owned', 'ebs.csi.aws.com/cluster': 'true', 'kubernetes.io/created-for/pvc/name': pvc,
    'kubernetes.io/created-for/pvc/namespace': 'default', [SANDBOX_TAG]: 'true',
  });
  const volume = async (kv: Record<string, string>, size: number) =>
    (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${cluster.region}a`, Size: size, VolumeType: 'gp3', TagSpecifications: tags('volume', kv) }))).VolumeId!;
  const pg = await volume({ ...csi('data-postgres-0'), [NIGHT_MARK]: cluster.name }, 20);
  const redis = await volume(csi('data-redis-0'), 8);
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
  const snap = (volumeId: string, backupOf: string, takenAt: string) =>
    ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'sandbox: an earlier eksflow backup', TagSpecifications: tags('snapshot', {
      'eksflow:backup-of': backupOf, 'eksflow:backup-policy': 'daily', 'eksflow:taken-at': takenAt, 'eksflow:cluster': cluster.name, [SANDBOX_TAG]: 'true',
    }) }));
  for (const d of [1, 2, 9, 40, 400]) await snap(pg, pg, daysAgo(d));
  await snap(redis, 'vol-0deadbeef0000001', daysAgo(500)); // its volume is long gone
  await volume({ Name: 'orphaned by a deleted test stack', [SANDBOX_TAG]: 'true' }, 100);
  for (let i = 0; i < 2; i++) await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tags('elastic-ip', { [SANDBOX_TAG]: 'true' }) }));
  const subnets = await ensureNetwork(ec2, cluster.region);
  await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnets[0], Description: 'aws-K8S-i-0leaked0000000001', TagSpecifications: tags('network-interface', { [SANDBOX_TAG]: 'true' }) }));
  // The launch template of a node group that was deleted (EKS leaves its templates tagged like this).
  await ec2.send(new CreateLaunchTemplateCommand({
    LaunchTemplateName: `eks-retired-${cluster.name}`.slice(0, 120),
    LaunchTemplateData: { InstanceType: 'm5.large' },
    TagSpecifications: tags('launch-template', { 'eks:cluster-name': cluster.name, 'eks:nodegroup-name': 'retired-group', [SANDBOX_TAG]: 'true' }),
  }));
  return { volumes: [pg, redis], created: true };
}
