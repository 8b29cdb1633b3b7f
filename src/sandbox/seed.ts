/**
 * SANDBOX ONLY. Creates, in moto, the AWS resources a config describes — VPC and subnets, EKS
 * clusters, managed node groups, self-managed Auto Scaling groups — so eksflow has a fleet to
 * act on. Idempotent: resources that exist are left alone.
 */
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
} from '@aws-sdk/client-eks';
import {
  AllocateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  ModifyInstanceAttributeCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { AwsClientFactory } from '../aws/clients';
import type { ClusterConfig, NodegroupConfig } from '../config/clusters';

const SANDBOX_TAG = 'eksflow:sandbox';
/**
 * What the sandbox's clusters look like to the security scan: a Kubernetes version in extended
 * support, the public endpoint open to the world, only the api log on, node groups one AMI release
 * behind the (mirrored) latest. moto returns only what was set at creation, so it is set here.
 */
export const SANDBOX_K8S_VERSION = '1.32';
export const SANDBOX_NODE_RELEASE = '1.32.9-20251001';
export const SANDBOX_LATEST_RELEASE = '1.32.9-20251112';

export interface SeededCluster {
  name: string;
  subnets: string[];
}

async function ensureNetwork(ec2: EC2Client, region: string): Promise<string[]> {
  const existing = await ec2.send(
    new DescribeVpcsCommand({ Filters: [{ Name: `tag:${SANDBOX_TAG}`, Values: ['true'] }] }),
  );
  let vpcId = existing.Vpcs?.[0]?.VpcId;
  if (!vpcId) {
    const vpc = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.42.0.0/16',
        TagSpecifications: [
          {
            ResourceType: 'vpc',
            Tags: [
              { Key: SANDBOX_TAG, Value: 'true' },
              { Key: 'Name', Value: 'eksflow-sandbox' },
            ],
          },
        ],
      }),
    );
    vpcId = vpc.Vpc!.VpcId!;
  }
  const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  if ((subnets.Subnets ?? []).length >= 2) return subnets.Subnets!.map((s) => s.SubnetId!).sort();
  const ids: string[] = [];
  // /20s (4,091 addresses each): moto gives an instance's address back only when the terminated
  // instance is garbage-collected, i.e. never while the server runs, so a long sandbox (the chaos
  // run's raises, replacements and fallbacks) used to exhaust /24s and moto then answered every
  // launch into the group — and the Auto Scaling calls that launch — with HTTP 500.
  for (const [i, az] of ['a', 'b'].entries()) {
    const s = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.42.${i * 16}.0/20`, AvailabilityZone: `${region}${az}` }),
    );
    ids.push(s.Subnet!.SubnetId!);
  }
  return ids;
}

/** A launch template per node group, as EKS makes one; spot groups request spot capacity. */
export async function ensureLaunchTemplate(
  ec2: EC2Client,
  name: string,
  ng: Pick<NodegroupConfig, 'instanceTypes' | 'capacityType'>,
): Promise<string> {
  const found = await ec2.send(
    new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [name] }] }),
  );
  if (found.LaunchTemplates?.[0]?.LaunchTemplateId) return found.LaunchTemplates[0].LaunchTemplateId;
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.[0]?.ImageId ?? 'ami-12c6146b';
  const lt = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: {
        ImageId: imageId,
        InstanceType: ng.instanceTypes[0] as never,
        ...(ng.capacityType === 'SPOT' ? { InstanceMarketOptions: { MarketType: 'spot' } } : {}),
      },
    }),
  );
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
  const tag = (Key: string, Value: string) => ({
    Key,
    Value,
    PropagateAtLaunch: true,
    ResourceId: asgName,
    ResourceType: 'auto-scaling-group',
  });
  await asg.send(
    new CreateAutoScalingGroupCommand({
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
    }),
  );
}

/** Creates one cluster of the config in moto (at its off-hours sizes). */
export async function seedCluster(aws: AwsClientFactory, cluster: ClusterConfig): Promise<SeededCluster> {
  const subnets = await ensureNetwork(aws.ec2(cluster), cluster.region);
  const eks = aws.eks(cluster);
  const exists = await eks.send(new DescribeClusterCommand({ name: cluster.name })).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await eks.send(
      new CreateClusterCommand({
        name: cluster.name,
        roleArn: `arn:aws:iam::${cluster.accountId}:role/eksflow-sandbox-cluster`,
        version: SANDBOX_K8S_VERSION,
        resourcesVpcConfig: {
          subnetIds: subnets,
          endpointPublicAccess: true,
          endpointPrivateAccess: false,
          publicAccessCidrs: ['0.0.0.0/0'],
        },
        logging: {
          clusterLogging: [
            { types: ['api'], enabled: true },
            { types: ['audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false },
          ],
        },
        tags: { [SANDBOX_TAG]: 'true' },
      }),
    );
  }
  for (const ng of cluster.nodegroups) {
    const size = ng.offHours;
    if (ng.kind === 'self-managed') {
      await ensureAsg(aws, cluster, ng, ng.asgName!, subnets, size);
      continue;
    }
    const has = await eks
      .send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: ng.name }))
      .then(
        () => true,
        () => false,
      );
    if (!has) {
      await eks.send(
        new CreateNodegroupCommand({
          clusterName: cluster.name,
          nodegroupName: ng.name,
          nodeRole: `arn:aws:iam::${cluster.accountId}:role/eksflow-sandbox-node`,
          subnets,
          capacityType: ng.capacityType,
          instanceTypes: ng.instanceTypes,
          scalingConfig: { minSize: size.min, desiredSize: size.desired, maxSize: size.max },
          version: SANDBOX_K8S_VERSION,
          releaseVersion: SANDBOX_NODE_RELEASE,
          amiType: 'AL2023_x86_64_STANDARD',
          tags: { [SANDBOX_TAG]: 'true' },
        }),
      );
    }
  }
  return { name: cluster.name, subnets };
}

/** The SNS topic the alert e-mails are published to (CreateTopic is idempotent by name). */
export async function seedAlertTopic(
  aws: AwsClientFactory,
  target: { accountId: string; region: string; roleArn?: string },
  topicArn: string,
): Promise<void> {
  const name = topicArn.split(':').pop()!;
  await aws.sns(target).send(new CreateTopicCommand({ Name: name }));
}

/**
 * moto refuses PutParameter under `/aws/` ("No access to reserved parameter name"), so the
 * sandbox mirrors the EKS AMI public parameters under this prefix and points the scan there.
 */
export const SANDBOX_SSM_MIRROR = '/eksflow-sandbox';

export function sandboxAmiParameterTemplate(template: string): string {
  return template.startsWith('/aws/') ? `${SANDBOX_SSM_MIRROR}${template}` : template;
}

/**
 * Security findings for the first 03:00 scan to find: an open security group (tcp/22 and tcp/443
 * from anywhere) on the cluster's running nodes, the node role with a `*:*` policy, and the mirrored
 * AMI release parameter one release ahead of the node groups. Idempotent.
 */
export async function seedSecurityFindings(
  aws: AwsClientFactory,
  cluster: ClusterConfig,
  amiParameterTemplate: string,
): Promise<{ securityGroupId: string; nodes: number }> {
  const ec2 = aws.ec2(cluster);
  const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${SANDBOX_TAG}`, Values: ['true'] }] }));
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;
  const groupName = `eksflow-sandbox-${cluster.name}-nodes`;
  const found = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [groupName] }] }),
  );
  let sgId = found.SecurityGroups?.[0]?.GroupId;
  if (!sgId) {
    sgId = (
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: groupName,
          Description: 'sandbox node group SG (open SSH on purpose)',
          VpcId: vpcId,
        }),
      )
    ).GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sgId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
  }
  const nodes = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:eks:cluster-name', Values: [cluster.name] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    }),
  );
  let count = 0;
  for (const i of (nodes.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
    const groups = (i.SecurityGroups ?? []).map((g) => g.GroupId!);
    count++;
    if (!groups.includes(sgId))
      await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: i.InstanceId, Groups: [...groups, sgId] }));
  }
  const iam = aws.iam(cluster);
  const roleName = 'eksflow-sandbox-node';
  const hasRole = await iam.send(new GetRoleCommand({ RoleName: roleName })).then(
    () => true,
    () => false,
  );
  if (!hasRole) {
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'sandbox-everything',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
  }
  const parameter = sandboxAmiParameterTemplate(amiParameterTemplate)
    .replace('{version}', SANDBOX_K8S_VERSION)
    .replace('{amiFamily}', 'amazon-linux-2023/x86_64/standard');
  await aws
    .ssm(cluster)
    .send(new PutParameterCommand({ Name: parameter, Value: SANDBOX_LATEST_RELEASE, Type: 'String', Overwrite: true }));
  return { securityGroupId: sgId, nodes: count };
}

/**
 * Log groups for the 04:00 archival to export: the control-plane group and a Container Insights
 * group per cluster with events spread over the last two days, and the destination bucket.
 */
export async function seedLogGroups(
  aws: AwsClientFactory,
  cluster: ClusterConfig,
  opts: { bucket: string; nowMs: number; eventsPerHour?: number; skipBucket?: boolean },
): Promise<string[]> {
  const logs = aws.logs(cluster);
  const groups = [`/aws/eks/${cluster.name}/cluster`, `/aws/containerinsights/${cluster.name}/performance`];
  const streams: Record<string, string[]> = {
    [groups[0]!]: ['kube-apiserver-audit-0', 'authenticator-0'],
    [groups[1]!]: ['node-metrics'],
  };
  for (const g of groups) {
    const exists = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: g }))).logGroups?.some(
      (x) => x.logGroupName === g,
    );
    if (exists) continue;
    await logs.send(new CreateLogGroupCommand({ logGroupName: g }));
    for (const s of streams[g]!) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: s }));
      const perHour = opts.eventsPerHour ?? 2;
      const events = [];
      for (let h = 48; h >= 1; h--)
        for (let k = 0; k < perHour; k++)
          events.push({
            timestamp: opts.nowMs - h * 3_600_000 + k * 1000,
            message: JSON.stringify({ stream: s, hourAgo: h, k, verb: 'get', user: 'system:node' }),
          });
      await logs.send(new PutLogEventsCommand({ logGroupName: g, logStreamName: s, logEvents: events }));
    }
  }
  if (opts.skipBucket) return groups;
  const s3 = aws.s3(cluster);
  const hasBucket = await s3.send(new HeadBucketCommand({ Bucket: opts.bucket })).then(
    () => true,
    () => false,
  );
  if (!hasBucket) {
    await s3.send(
      new CreateBucketCommand({
        Bucket: opts.bucket,
        ...(cluster.region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: cluster.region as never } }),
      }),
    );
  }
  return groups;
}

const NIGHT_MARK = 'eksflow:sandbox-night';

/**
 * What the night jobs find on a sandbox's first run, per cluster: two PVC volumes to back up
 * (one with earlier eksflow snapshots, one over a year old), a snapshot of a volume that no longer
 * exists, two unassociated Elastic IPs, an unattached plain volume and an available network
 * interface. Idempotent: a marker tag on the first volume says it was done.
 */
export async function seedNightResources(
  aws: AwsClientFactory,
  cluster: ClusterConfig,
  now = new Date(),
): Promise<{ volumes: string[]; created: boolean }> {
  const ec2 = aws.ec2(cluster);
  const mark = await ec2.send(
    new DescribeVolumesCommand({ Filters: [{ Name: `tag:${NIGHT_MARK}`, Values: [cluster.name] }] }),
  );
  if ((mark.Volumes ?? []).length > 0) return { volumes: mark.Volumes!.map((v) => v.VolumeId!), created: false };
  const tags = (type: string, kv: Record<string, string>) => [
    { ResourceType: type as never, Tags: Object.entries(kv).map(([Key, Value]) => ({ Key, Value })) },
  ];
  const csi = (pvc: string) => ({
    [`kubernetes.io/cluster/${cluster.name}`]: 'owned',
    'ebs.csi.aws.com/cluster': 'true',
    'kubernetes.io/created-for/pvc/name': pvc,
    'kubernetes.io/created-for/pvc/namespace': 'default',
    [SANDBOX_TAG]: 'true',
  });
  const volume = async (kv: Record<string, string>, size: number) =>
    (
      await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: `${cluster.region}a`,
          Size: size,
          VolumeType: 'gp3',
          TagSpecifications: tags('volume', kv),
        }),
      )
    ).VolumeId!;
  const pg = await volume({ ...csi('data-postgres-0'), [NIGHT_MARK]: cluster.name }, 20);
  const redis = await volume(csi('data-redis-0'), 8);
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
  const snap = (volumeId: string, backupOf: string, takenAt: string) =>
    ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: 'sandbox: an earlier eksflow backup',
        TagSpecifications: tags('snapshot', {
          'eksflow:backup-of': backupOf,
          'eksflow:backup-policy': 'daily',
          'eksflow:taken-at': takenAt,
          'eksflow:cluster': cluster.name,
          [SANDBOX_TAG]: 'true',
        }),
      }),
    );
  for (const d of [1, 2, 9, 40, 400]) await snap(pg, pg, daysAgo(d));
  await snap(redis, 'vol-0deadbeef0000001', daysAgo(500)); // its volume is long gone
  await volume({ Name: 'orphaned by a deleted test stack', [SANDBOX_TAG]: 'true' }, 100);
  for (let i = 0; i < 2; i++)
    await ec2.send(
      new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tags('elastic-ip', { [SANDBOX_TAG]: 'true' }) }),
    );
  const subnets = await ensureNetwork(ec2, cluster.region);
  await ec2.send(
    new CreateNetworkInterfaceCommand({
      SubnetId: subnets[0],
      Description: 'aws-K8S-i-0leaked0000000001',
      TagSpecifications: tags('network-interface', { [SANDBOX_TAG]: 'true' }),
    }),
  );
  // The launch template of a node group that was deleted (EKS leaves its templates tagged like this).
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `eks-retired-${cluster.name}`.slice(0, 120),
      LaunchTemplateData: { InstanceType: 'm5.large' },
      TagSpecifications: tags('launch-template', {
        'eks:cluster-name': cluster.name,
        'eks:nodegroup-name': 'retired-group',
        [SANDBOX_TAG]: 'true',
      }),
    }),
  );
  return { volumes: [pg, redis], created: true };
}

/**
 * Seven days of hourly utilisation per node group's Auto Scaling group (EC2 `CPUUtilization`,
 * CloudWatch agent `mem_used_percent`), so the 14:00 performance tuning has evidence: the first
 * node group of each cluster idles (a smaller size is proposed), the others sit in the band.
 * A business-hours rhythm with a deterministic wobble; points are on the hour (a re-seed lands on
 * the same timestamps).
 */
export async function seedUtilisationMetrics(
  aws: AwsClientFactory,
  cluster: ClusterConfig,
  nowMs: number,
): Promise<void> {
  const HOUR = 3_600_000;
  const end = Math.floor(nowMs / HOUR) * HOUR;
  for (const [index, ng] of cluster.nodegroups.entries()) {
    const asg =
      ng.kind === 'self-managed'
        ? ng.asgName
        : (
            await aws
              .eks(cluster)
              .send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: ng.name }))
          ).nodegroup?.resources?.autoScalingGroups?.[0]?.name;
    if (!asg) continue;
    const base = index === 0 ? 12 : 45;
    const data = Array.from({ length: 168 }, (_, i) => {
      const t = end - (167 - i) * HOUR;
      const istHour = new Date(t + 330 * 60_000).getUTCHours();
      const busy = istHour >= 8 && istHour < 18 ? 6 : 0;
      const wobble = (i * 7919) % 5;
      return { t, cpu: base + busy + wobble, mem: base + 5 + wobble / 2 };
    });
    const dims = [{ Name: 'AutoScalingGroupName', Value: asg }];
    const cw = aws.cloudwatch(cluster);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/EC2',
        MetricData: data.map((d) => ({
          MetricName: 'CPUUtilization',
          Dimensions: dims,
          Timestamp: new Date(d.t),
          Value: d.cpu,
          Unit: 'Percent',
        })),
      }),
    );
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'CWAgent',
        MetricData: data.map((d) => ({
          MetricName: 'mem_used_percent',
          Dimensions: dims,
          Timestamp: new Date(d.t),
          Value: d.mem,
          Unit: 'Percent',
        })),
      }),
    );
  }
}
