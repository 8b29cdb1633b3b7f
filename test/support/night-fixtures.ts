import {
  AllocateAddressCommand,
  CreateLaunchTemplateCommand,
  CreateNetworkInterfaceCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import type { AwsClientFactory } from '../../src/aws/clients';
import type { AwsTarget } from '../../src/config/clusters';
import { uniqueName } from './stack';

/** A config cluster for night-job tests (backups and cleanup do not need EKS in moto). */
/**
 * Each gets its own account (a role in it, which moto's STS turns into that account), so
 * account-wide scans (cleanup) see only what the test made.
 */
export function nightCluster(prefix: string, over: { region?: string } = {}) {
  const accountId = String(Math.floor(1e11 + Math.random() * 8.9e11));
  return {
    name: uniqueName(prefix),
    accountId,
    region: over.region ?? 'ap-south-1',
    roleArn: `arn:aws:iam::${accountId}:role/eksflow-test`,
    nodegroups: [
      {
        name: 'general',
        instanceTypes: ['m5.large'],
        businessHours: { min: 1, desired: 2, max: 4 },
        offHours: { min: 1, desired: 1, max: 4 },
      },
    ],
  };
}

/** A volume as the EBS CSI driver creates one for a PVC of `cluster`. */
export async function csiVolume(
  aws: AwsClientFactory,
  t: AwsTarget,
  cluster: string,
  pvc: string,
  extra: Record<string, string> = {},
): Promise<string> {
  const v = await aws.ec2(t).send(
    new CreateVolumeCommand({
      AvailabilityZone: `${t.region}a`,
      Size: 8,
      VolumeType: 'gp3',
      TagSpecifications: [
        {
          ResourceType: 'volume',
          Tags: Object.entries({
            [`kubernetes.io/cluster/${cluster}`]: 'owned',
            'ebs.csi.aws.com/cluster': 'true',
            'kubernetes.io/created-for/pvc/name': pvc,
            ...extra,
          }).map(([Key, Value]) => ({ Key, Value })),
        },
      ],
    }),
  );
  return v.VolumeId!;
}

export async function snapshotOf(
  aws: AwsClientFactory,
  t: AwsTarget,
  volumeId: string,
  tags: Record<string, string>,
): Promise<string> {
  const s = await aws.ec2(t).send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      TagSpecifications: [
        { ResourceType: 'snapshot', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  return s.SnapshotId!;
}

/** Snapshots of a volume in moto (by a tag or by volume-id: moto's pre-seeded public snapshots are filtered out). */
export async function snapshotsOfVolume(aws: AwsClientFactory, t: AwsTarget, volumeId: string): Promise<Snapshot[]> {
  const out = await aws
    .ec2(t)
    .send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'volume-id', Values: [volumeId] }] }));
  return out.Snapshots ?? [];
}

export async function snapshotsTagged(
  aws: AwsClientFactory,
  t: AwsTarget,
  key: string,
  values: string[],
): Promise<Snapshot[]> {
  const out = await aws
    .ec2(t)
    .send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${key}`, Values: values }] }));
  return out.Snapshots ?? [];
}

export const tagOf = (s: { Tags?: { Key?: string; Value?: string }[] }, key: string) =>
  s.Tags?.find((t) => t.Key === key)?.Value;

/** What a cleanup test seeds in a cluster's account: one of each kind of candidate, and look-alikes that are not. */
export interface CleanupWorld {
  oldVolume: string;
  reusedVolume: string;
  protectedVolume: string;
  pvcVolume: string;
  eip: string;
  eni: string;
  oldSnapshot: string;
  foreignSnapshot: string;
  goneTemplate: string;
  liveTemplate: string;
  replacement: string;
  worker: string;
  imageId: string;
  subnetId: string;
}

/**
 * Seeds the candidates of every kind in a cluster's account/region. The cluster (EKS + node
 * group ASG) must be seeded already (seedCluster + reconcileNodegroupAsgs), so the node group
 * exists and is at capacity.
 */
export async function seedCleanupWorld(aws: AwsClientFactory, t: AwsTarget, cluster: string): Promise<CleanupWorld> {
  const ec2 = aws.ec2(t);
  const tags = (type: string, kv: Record<string, string>) => [
    { ResourceType: type as never, Tags: Object.entries(kv).map(([Key, Value]) => ({ Key, Value })) },
  ];
  const vol = async (kv: Record<string, string>) =>
    (
      await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: `${t.region}a`,
          Size: 50,
          VolumeType: 'gp3',
          ...(Object.keys(kv).length ? { TagSpecifications: tags('volume', kv) } : {}),
        }),
      )
    ).VolumeId!;
  const oldVolume = await vol({ Name: 'orphan' });
  const reusedVolume = await vol({ Name: 'reused' });
  const protectedVolume = await vol({ 'eksflow:protect': 'keep' });
  const pvcVolume = await vol({ 'kubernetes.io/created-for/pvc/name': 'data-0' });
  const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }));
  const subnetId = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.77.1.0/24', AvailabilityZone: `${t.region}a` }),
    )
  ).Subnet!.SubnetId!;
  const eni = (
    await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Description: 'aws-K8S-i-0leaked' }))
  ).NetworkInterface!.NetworkInterfaceId!;
  const oldSnapshot = await snapshotOf(aws, t, oldVolume, {
    'eksflow:backup-of': 'vol-0deleted00000001',
    'eksflow:backup-policy': 'daily',
    'eksflow:taken-at': '2024-01-01T00:00:00Z',
  });
  const foreignSnapshot = await snapshotOf(aws, t, oldVolume, {
    team: 'db',
    'eksflow:taken-at': '2024-01-01T00:00:00Z',
  });
  const lt = async (name: string, ng: string) =>
    (
      await ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: name,
          LaunchTemplateData: { InstanceType: 'm5.large' },
          TagSpecifications: tags('launch-template', { 'eks:cluster-name': cluster, 'eks:nodegroup-name': ng }),
        }),
      )
    ).LaunchTemplate!.LaunchTemplateId!;
  const goneTemplate = await lt(uniqueName('eks-gone'), 'deleted-group');
  const liveTemplate = await lt(uniqueName('eks-live'), 'general');
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.[0]?.ImageId ?? 'ami-12c6146b';
  const run = async (kv: Record<string, string>) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          InstanceType: 'm5.large',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetId,
          TagSpecifications: tags('instance', kv),
        }),
      )
    ).Instances![0]!.InstanceId!;
  const replacement = await run({
    'eksflow:replacement-for': 'i-0123456789abcdef0',
    'eks:cluster-name': cluster,
    'eks:nodegroup-name': 'general',
  });
  const worker = await run({ Name: 'an instance eksflow did not launch' });
  return {
    oldVolume,
    reusedVolume,
    protectedVolume,
    pvcVolume,
    eip,
    eni,
    oldSnapshot,
    foreignSnapshot,
    goneTemplate,
    liveTemplate,
    replacement,
    worker,
    imageId,
    subnetId,
  };
}

/** Which of the seeded resources still exist, and their cleanup-after tags. */
export async function cleanupWorldState(aws: AwsClientFactory, t: AwsTarget, w: CleanupWorld) {
  const ec2 = aws.ec2(t);
  const vols =
    (
      await ec2.send(
        new DescribeVolumesCommand({
          Filters: [{ Name: 'volume-id', Values: [w.oldVolume, w.reusedVolume, w.protectedVolume, w.pvcVolume] }],
        }),
      )
    ).Volumes ?? [];
  const eips = (await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [];
  const enis =
    (
      await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [w.eni] }] }),
      )
    ).NetworkInterfaces ?? [];
  const snaps =
    (
      await ec2.send(
        new DescribeSnapshotsCommand({
          Filters: [{ Name: 'snapshot-id', Values: [w.oldSnapshot, w.foreignSnapshot] }],
        }),
      )
    ).Snapshots ?? [];
  // moto has no launch-template-id filter: all templates with a node group tag, then by id.
  const lts = (
    (
      await ec2.send(
        new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'tag-key', Values: ['eks:nodegroup-name'] }] }),
      )
    ).LaunchTemplates ?? []
  ).filter((l) => [w.goneTemplate, w.liveTemplate].includes(l.LaunchTemplateId!));
  const inst = (
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [w.replacement, w.worker] }))).Reservations ?? []
  ).flatMap((r) => r.Instances ?? []);
  const after = (x: { Tags?: { Key?: string; Value?: string }[]; TagSet?: { Key?: string; Value?: string }[] }) =>
    (x.Tags ?? x.TagSet)?.find((k) => k.Key === 'eksflow:cleanup-after')?.Value ?? null;
  const state: Record<string, string | null> = {};
  const name = Object.fromEntries(Object.entries(w).map(([k, v]) => [v, k]));
  for (const v of vols) state[name[v.VolumeId!]!] = after(v);
  for (const a of eips) if (a.AllocationId === w.eip) state.eip = after(a);
  for (const e of enis) state.eni = after(e);
  for (const s of snaps) state[name[s.SnapshotId!]!] = after(s);
  // moto's DescribeLaunchTemplates shows only creation-time tags; DescribeTags has the rest.
  const ltTags =
    (
      await ec2.send(
        new DescribeTagsCommand({
          Filters: [
            { Name: 'resource-type', Values: ['launch-template'] },
            { Name: 'key', Values: ['eksflow:cleanup-after'] },
          ],
        }),
      )
    ).Tags ?? [];
  for (const l of lts)
    state[name[l.LaunchTemplateId!]!] = ltTags.find((t) => t.ResourceId === l.LaunchTemplateId)?.Value ?? null;
  for (const i of inst) if (i.State?.Name !== 'terminated') state[name[i.InstanceId!]!] = after(i);
  return state;
}
