import {
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import { SANDBOX_CREDENTIALS } from '../../src/aws/clients';
import { startMoto, type MotoServer } from '../../src/sandbox/processes';

/**
 * The sandbox's moto (src/sandbox/moto-server.py: an EC2 resource's tags read from moto's
 * per-resource table instead of a scan of every tag) answers exactly as moto's own server: the
 * same operations against both, every tag-reading answer compared, resource ids mapped by
 * creation order (each server makes up its own).
 */
describe('the sandbox moto reads tags as moto does', () => {
  let patched: MotoServer;
  let plain: MotoServer;

  beforeAll(async () => {
    [patched, plain] = await Promise.all([startMoto(), startMoto({ unpatched: true })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([patched?.stop(), plain?.stop()]);
  });

  /** Runs one script of EC2 calls against a server; returns its answers with ids replaced by their creation index. */
  async function play(server: MotoServer): Promise<unknown[]> {
    const ec2 = new EC2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    const ids: string[] = [];
    const image = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId ?? 'ami-12c6146b';
    const run = async (tags: Record<string, string>, count = 1) => {
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: image,
          MinCount: count,
          MaxCount: count,
          InstanceType: 't3.micro',
          ...(Object.keys(tags).length
            ? {
                TagSpecifications: [
                  { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
                ],
              }
            : {}),
        }),
      );
      const made = (out.Instances ?? []).map((i) => i.InstanceId!);
      ids.push(...made);
      return made;
    };
    const [a] = await run({ team: 'web', 'eksflow:purpose': 'spot-replacement' });
    const batch = await run({ 'eksflow:launch-batch': 'b1', 'eksflow:for:i-1': 'pending w1' }, 3);
    await run({});
    const [d] = await run({ team: 'web-api', Name: 'd' });
    await ec2.send(
      new CreateTagsCommand({
        Resources: batch,
        Tags: [
          { Key: 'eksflow:for:i-1', Value: `${batch[0]} w1` },
          { Key: 'eksflow:for:i-2', Value: `${batch[1]} w2` },
        ],
      }),
    );
    await ec2.send(new DeleteTagsCommand({ Resources: [d!], Tags: [{ Key: 'Name' }] }));
    await ec2.send(new CreateTagsCommand({ Resources: [a!], Tags: [{ Key: 'owner', Value: '' }] }));
    const volume = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: 'us-east-1a',
        Size: 8,
        TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'team', Value: 'web' }] }],
      }),
    );
    ids.push(volume.VolumeId!);

    const mask = (value: unknown): unknown =>
      JSON.parse(ids.reduce((text, id, n) => text.split(id).join(`#${n}`), JSON.stringify(value)));
    const instances = async (Filters: Filter[]) => {
      const out = await ec2.send(new DescribeInstancesCommand({ Filters }));
      return (out.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => ({ id: i.InstanceId, tags: i.Tags ?? [] }))
        .sort((x, y) => ids.indexOf(x.id!) - ids.indexOf(y.id!));
    };
    const answers: unknown[] = [
      await instances([]),
      await instances([{ Name: 'tag-key', Values: ['eksflow:for:i-2'] }]),
      await instances([{ Name: 'tag-key', Values: ['eksflow:for:*'] }]),
      await instances([{ Name: 'tag:team', Values: ['web'] }]),
      await instances([{ Name: 'tag:team', Values: ['web*'] }]),
      await instances([{ Name: 'tag-value', Values: ['w2', `${batch[1]} w2`] }]),
      await instances([{ Name: 'tag:owner', Values: [''] }]),
      await instances([
        { Name: 'tag-key', Values: ['eksflow:launch-batch'] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ]),
      (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [batch[2]!] }] }))).Tags,
      (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['team'] }] }))).Tags,
      (await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:team', Values: ['web'] }] }))).Volumes?.map(
        (v) => ({ id: v.VolumeId, tags: v.Tags }),
      ),
    ];
    ec2.destroy();
    return answers.map(mask);
  }

  it('gives the same answers to every tag filter, tag read and tag change', async () => {
    const [mine, theirs] = await Promise.all([play(patched), play(plain)]);
    expect(mine).toEqual(theirs);
    // The script did exercise the tags: the for-tag filter finds the three batch instances.
    expect((mine[1] as { id: string }[]).map((i) => i.id)).toEqual(['#1', '#2', '#3']);
    expect((mine[4] as { id: string }[]).map((i) => i.id)).toEqual(['#0', '#5']);
  }, 60_000);
});
