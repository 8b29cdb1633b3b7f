import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { awsCallsSince, snapshotAwsCalls } from '../../src/aws/call-counter';
import { batchedInstance, batchedInstances, batchedInstancesTagged } from '../../activities/gateways/batched-reads';
import { testAwsFactory, uniqueName } from '../support/stack';

describe('batched instance reads against moto', () => {
  // A factory of its own: its readers (and so its batches) are this test's alone.
  const aws = testAwsFactory();
  const target = { accountId: '123456789012', region: 'eu-north-1' };

  it('answers 250 concurrent callers from two DescribeInstances calls, unknown ids included', async () => {
    const tag = uniqueName('batch');
    const out = await aws.ec2(target).send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        MinCount: 240,
        MaxCount: 240,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'eksflow:bench-batch', Value: tag }] }],
      }),
    );
    const ids = (out.Instances ?? []).map((i) => i.InstanceId!).sort();
    const unknown = Array.from({ length: 10 }, (_, i) => `i-0000000000000${String(i).padStart(4, '0')}`);
    const before = snapshotAwsCalls();
    const answers = await Promise.all([...ids, ...unknown].map((id) => batchedInstance(aws, target, id)));
    expect(answers.slice(0, ids.length).map((i) => i?.InstanceId)).toEqual(ids);
    expect(answers.slice(ids.length)).toEqual(unknown.map(() => undefined));
    // 250 distinct ids, 200 per call.
    expect(awsCallsSince(before)).toEqual({ 'EC2:DescribeInstances': 2 });

    const before2 = snapshotAwsCalls();
    const [some, tagged] = await Promise.all([
      batchedInstances(aws, target, ids.slice(0, 5)),
      batchedInstancesTagged(aws, target, 'eksflow:bench-batch', tag),
      batchedInstancesTagged(aws, target, 'eksflow:bench-batch', `${tag}-none`),
    ]);
    expect(some.map((i) => i.InstanceId)).toEqual(ids.slice(0, 5));
    expect(tagged.map((i) => i.InstanceId).sort()).toEqual(ids);
    // One call by id, one by tag (both tag values in it).
    expect(awsCallsSince(before2)).toEqual({ 'EC2:DescribeInstances': 2 });
  });
});
