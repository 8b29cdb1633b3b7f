import { CreateSnapshotCommand, CreateVolumeCommand, DescribeSnapshotsCommand, type Snapshot } from '@aws-sdk/client-ec2';
import type { AwsClientFactory } from '../../src/aws/clients';
import type { AwsTarget } from '../../src/config/clusters';
import { uniqueName } from './stack';

/** A config cluster for night-job tests (backups and cleanup do not need EKS in moto). */
export function nightCluster(prefix: string, over: { accountId?: string; region?: string } = {}) {
  return {
    name: uniqueName(prefix),
    accountId: over.accountId ?? '555555555555',
    region: over.region ?? 'ap-south-1',
    nodegroups: [{ name: 'general', instanceTypes: ['m5.large'], businessHours: { min: 1, desired: 2, max: 4 }, offHours: { min: 1, desired: 1, max: 4 } }],
  };
}

/** A volume as the EBS CSI driver creates one for a PVC of `cluster`. */
export async function csiVolume(aws: AwsClientFactory, t: AwsTarget, cluster: string, pvc: string, extra: Record<string, string> = {}): Promise<string> {
  const v = await aws.ec2(t).send(new CreateVolumeCommand({
    AvailabilityZone: `${t.region}a`, Size: 8, VolumeType: 'gp3',
    TagSpecifications: [{ ResourceType: 'volume', Tags: Object.entries({
      [`kubernetes.io/cluster/${cluster}`]: 'owned', 'ebs.csi.aws.com/cluster': 'true', 'kubernetes.io/created-for/pvc/name': pvc, ...extra,
    }).map(([Key, Value]) => ({ Key, Value })) }],
  }));
  return v.VolumeId!;
}

export async function snapshotOf(aws: AwsClientFactory, t: AwsTarget, volumeId: string, tags: Record<string, string>): Promise<string> {
  const s = await aws.ec2(t).send(new CreateSnapshotCommand({
    VolumeId: volumeId, TagSpecifications: [{ ResourceType: 'snapshot', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
  }));
  return s.SnapshotId!;
}

/** Snapshots of a volume in moto (by a tag or by volume-id: moto's pre-seeded public snapshots are filtered out). */
export async function snapshotsOfVolume(aws: AwsClientFactory, t: AwsTarget, volumeId: string): Promise<Snapshot[]> {
  const out = await aws.ec2(t).send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'volume-id', Values: [volumeId] }] }));
  return out.Snapshots ?? [];
}

export async function snapshotsTagged(aws: AwsClientFactory, t: AwsTarget, key: string, values: string[]): Promise<Snapshot[]> {
  const out = await aws.ec2(t).send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${key}`, Values: values }] }));
  return out.Snapshots ?? [];
}

export const tagOf = (s: { Tags?: { Key?: string; Value?: string }[] }, key: string) => s.Tags?.find((t) => t.Key === key)?.Value;
