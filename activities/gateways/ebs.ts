import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type Filter,
  type Snapshot,
  type Volume,
} from '@aws-sdk/client-ec2';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { Tags } from '../../src/domain/backups/tags';
import type { VolumeFacts } from '../../src/domain/backups/select';

/** A snapshot as eksflow reads it. Plain JSON. */
export interface SnapshotInfo {
  snapshotId: string;
  volumeId: string;
  /** pending | completed | error | recoverable | recovering */
  state: string;
  progress: string;
  startTime: string;
  sizeGiB: number;
  tags: Tags;
}

export const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined): Tags =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const isNotFound = (err: unknown) => /\.NotFound$/.test((err as { name?: string }).name ?? '');

/** A delete of something already gone (a retry after a delete that succeeded) is `absent`, not a failure. */
export async function absentIfNotFound(p: Promise<unknown>): Promise<'deleted' | 'absent'> {
  try {
    await p;
    return 'deleted';
  } catch (err) {
    if (isNotFound(err)) return 'absent';
    throw err;
  }
}

function volumeFacts(v: Volume): VolumeFacts {
  return {
    volumeId: v.VolumeId ?? '',
    availabilityZone: v.AvailabilityZone ?? '',
    sizeGiB: v.Size ?? 0,
    volumeType: v.VolumeType ?? 'gp2',
    state: v.State ?? 'unknown',
    createTime: (v.CreateTime ?? new Date(0)).toISOString(),
    attachedTo: (v.Attachments ?? []).map((a) => a.InstanceId ?? '').filter(Boolean),
    tags: tagsOf(v.Tags),
  };
}

function snapshotInfo(s: Snapshot): SnapshotInfo {
  return {
    snapshotId: s.SnapshotId ?? '',
    volumeId: s.VolumeId ?? '',
    state: s.State ?? 'unknown',
    progress: s.Progress ?? '',
    startTime: (s.StartTime ?? new Date(0)).toISOString(),
    sizeGiB: s.VolumeSize ?? 0,
    tags: tagsOf(s.Tags),
  };
}

/**
 * EBS volumes and snapshots of one account/region: the only code that calls those EC2 APIs.
 * CreateSnapshot and CopySnapshot take no client token (the EC2 API has none for them), so callers
 * make them idempotent with a run tag they look for first; CreateVolume does take one.
 */
export function ebsGateway(aws: AwsClientFactory, target: AwsTarget) {
  const ec2 = aws.ec2(target);
  const where = `${target.accountId}/${target.region}`;

  async function volumes(filters: Filter[]): Promise<VolumeFacts[]> {
    const out: VolumeFacts[] = [];
    let NextToken: string | undefined;
    do {
      const page = await awsCall(`DescribeVolumes ${where}`, () =>
        ec2.send(new DescribeVolumesCommand({ Filters: filters, NextToken, MaxResults: 500 })),
      );
      out.push(...(page.Volumes ?? []).map(volumeFacts));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  /**
   * Only snapshots owned by this account, and always narrowed by a filter: eksflow's snapshots are
   * found by their tags (moto ignores OwnerIds and returns its ~1,300 public snapshots too).
   */
  async function snapshots(filters: Filter[]): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    let NextToken: string | undefined;
    do {
      const page = await awsCall(`DescribeSnapshots ${where}`, () =>
        ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filters, NextToken, MaxResults: 1000 })),
      );
      out.push(...(page.Snapshots ?? []).map(snapshotInfo));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  return {
    volumes,
    async volume(volumeId: string): Promise<VolumeFacts | undefined> {
      return (await volumes([{ Name: 'volume-id', Values: [volumeId] }]))[0];
    },
    snapshots,
    async snapshotsById(ids: string[]): Promise<SnapshotInfo[]> {
      if (ids.length === 0) return [];
      // A filter, not SnapshotIds: an id that is gone is simply absent instead of failing the call.
      return snapshots([{ Name: 'snapshot-id', Values: ids }]);
    },
    async createSnapshot(input: { volumeId: string; description: string; tags: Tags }): Promise<SnapshotInfo> {
      const s = await awsCall(`CreateSnapshot ${where}/${input.volumeId}`, () =>
        ec2.send(
          new CreateSnapshotCommand({
            VolumeId: input.volumeId,
            Description: input.description,
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList(input.tags) }],
          }),
        ),
      );
      return snapshotInfo({ ...s, Tags: s.Tags ?? tagList(input.tags) });
    },
    /** Runs in the destination region (this gateway's target). */
    async copySnapshot(input: {
      sourceRegion: string;
      sourceSnapshotId: string;
      description: string;
      tags: Tags;
      kmsKeyId?: string;
    }): Promise<string> {
      const out = await awsCall(`CopySnapshot ${input.sourceRegion}/${input.sourceSnapshotId} → ${where}`, () =>
        ec2.send(
          new CopySnapshotCommand({
            SourceRegion: input.sourceRegion,
            SourceSnapshotId: input.sourceSnapshotId,
            Description: input.description,
            ...(input.kmsKeyId ? { Encrypted: true, KmsKeyId: input.kmsKeyId } : {}),
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList(input.tags) }],
          }),
        ),
      );
      return out.SnapshotId ?? '';
    },
    /** `absent` when it was already gone (a retry after a delete that succeeded). */
    async deleteSnapshot(snapshotId: string): Promise<'deleted' | 'absent'> {
      return awsCall(`DeleteSnapshot ${where}/${snapshotId}`, () =>
        absentIfNotFound(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))),
      );
    },
    async createVolume(input: {
      availabilityZone: string;
      snapshotId: string;
      clientToken: string;
      tags: Tags;
    }): Promise<VolumeFacts> {
      const v = await awsCall(`CreateVolume ${where} from ${input.snapshotId}`, () =>
        ec2.send(
          new CreateVolumeCommand({
            AvailabilityZone: input.availabilityZone,
            SnapshotId: input.snapshotId,
            VolumeType: 'gp3',
            ClientToken: input.clientToken,
            TagSpecifications: [{ ResourceType: 'volume', Tags: tagList(input.tags) }],
          }),
        ),
      );
      return volumeFacts({ ...v, Tags: v.Tags ?? tagList(input.tags) });
    },
    async deleteVolume(volumeId: string): Promise<'deleted' | 'absent'> {
      return awsCall(`DeleteVolume ${where}/${volumeId}`, () =>
        absentIfNotFound(ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }))),
      );
    },
  };
}

export type EbsGateway = ReturnType<typeof ebsGateway>;
