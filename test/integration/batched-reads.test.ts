import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { awsCallsSince, snapshotAwsCalls } from '../../src/aws/call-counter';
import { batchedInstance, batchedInstances, batchedInstancesTagged } from '../../activities/gateways/batched-reads';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import { clusterSpecOf, groupRefOf } from '../../src/domain/scaling/types';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { seedCluster } from '../../src/sandbox/seed';
import { scalingCluster } from '../support/scaling-fixtures';
import { testActivityDeps, testAwsFactory, testConfig, uniqueName } from '../support/stack';

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

describe('readGroups: one activity reads every group of a cluster', () => {
  const aws = testAwsFactory();

  it('reads managed and self-managed groups at once; a missing group gets its error, the others their readings', async () => {
    const config = testConfig({ clusters: [scalingCluster('it-readgroups', { region: 'eu-north-1' })] });
    const cluster = clusterSpecOf(config.clusters[0]!);
    await seedCluster(aws, config.clusters[0]!);
    await reconcileNodegroupAsgs(aws, [config.clusters[0]!]);
    const { readGroups, readGroup } = createActivities({
      ...testActivityDeps({ config, client: undefined as unknown as Client, taskQueue: 'unused', aws }),
    });
    const refs = cluster.nodegroups.map((ng) => groupRefOf(cluster, ng));
    const ghost = { ...refs[0]!, nodegroup: 'ghost' };
    const before = snapshotAwsCalls();
    const out = await readGroups([...refs, ghost]);
    // The Auto Scaling groups of the whole cluster in one batched DescribeAutoScalingGroups.
    expect(awsCallsSince(before)['AutoScaling:DescribeAutoScalingGroups']).toBe(1);
    // Each real group as readGroup reads it.
    for (const [i, ref] of refs.entries()) expect(out[i]).toEqual({ reading: await readGroup(ref) });
    expect(out.map((o) => ('reading' in o ? o.reading.status : o.type))).toEqual([
      ...refs.map(() => 'ACTIVE'),
      'NotFoundError',
    ]);
    const missing = out[refs.length]!;
    expect('error' in missing && missing.error).toMatch(/^readGroup: .*ghost/);
    await expect(readGroups([])).rejects.toMatchObject({ type: 'ValidationError', nonRetryable: true });
  });
});
