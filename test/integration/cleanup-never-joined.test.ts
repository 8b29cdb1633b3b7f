import { CreateTagsCommand, DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  assignBatch,
  assignmentTags,
  LAUNCH_BATCH_TAG,
  memberTagKey,
  pendingMemberValue,
} from '../../src/domain/interruption/launch-batch';
import { createCleanupActivities } from '../../activities/cleanup';
import { KubeTestCluster } from '../support/kube-fixtures';
import { testActivityDeps, testAwsFactory, testConfig, uniqueName } from '../support/stack';

/**
 * Cleanup's "never joined the cluster" rule for instances eksflow launched: the node list comes
 * from the real kube-apiserver (as the RBAC-bound eksflow user), the instances from moto's EC2.
 * An eksflow replacement older than `cleanup.instanceJoinGraceMinutes` that no Node names (by
 * providerID or private DNS name) becomes a candidate; the ones that joined do not.
 */
describe('cleanup: eksflow-launched instances that never joined the cluster', () => {
  const aws = testAwsFactory();
  const account = String(500_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
  const region = 'ap-south-1';
  const roleArn = `arn:aws:iam::${account}:role/eksflow-automation`;
  const target = { accountId: account, region, roleArn };
  const name = uniqueName('never-joined').toLowerCase();
  const tokenEnv = `EKSFLOW_TEST_KUBE_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  let kube: KubeTestCluster;
  const createdNodes: string[] = [];
  const ids = { interrupted: '', lost: '', joinedById: '', joinedByName: '', batchA: '', batchB: '' };
  const other = 'i-0fffffffffffffff0';

  const depsFor = (withKube: boolean, minutesLater: number) => {
    const config = testConfig({
      clusters: [
        {
          name,
          accountId: account,
          region,
          roleArn,
          ...(withKube ? { kubernetes: kube.kubernetesConfig(tokenEnv) } : {}),
          nodegroups: [
            {
              name: 'general',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 2 },
              offHours: { min: 1, desired: 1, max: 2 },
            },
          ],
        },
      ],
    });
    const deps = testActivityDeps({ config, client: undefined as never, taskQueue: 'unused' });
    const at = new Date(Date.now() + minutesLater * 60_000);
    return { deps: { ...deps, now: () => at }, at: at.toISOString() };
  };
  const plan = async (withKube: boolean, minutesLater: number) => {
    const { deps, at } = depsFor(withKube, minutesLater);
    const p = await createCleanupActivities(deps).planResourceCleanup({
      spec: { key: `${account}/${region}`, target, clusters: [name], kinds: ['instances'] },
      at,
    });
    return p.plan.actions.filter((a) => Object.values(ids).includes(a.id)).map((a) => [a.id, a.type, a.reason]);
  };

  beforeAll(async () => {
    kube = new KubeTestCluster();
    const ec2 = aws.ec2(target);
    const run = async (tags: Record<string, string>) =>
      (
        await ec2.send(
          new RunInstancesCommand({
            ImageId: 'ami-12c6146b',
            InstanceType: 'm5.large',
            MinCount: 1,
            MaxCount: 1,
            TagSpecifications: [
              { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
            ],
          }),
        )
      ).Instances![0]!;
    const interrupted = await run({ 'eks:cluster-name': name, 'eks:nodegroup-name': 'general' });
    ids.interrupted = interrupted.InstanceId!;
    const launched = (purpose: 'replacement' | 'fallback') =>
      run({
        [`eksflow:${purpose}-for`]: ids.interrupted,
        'eks:cluster-name': name,
        'eks:nodegroup-name': 'general',
      });
    ids.lost = (await launched('replacement')).InstanceId!;
    // A batched launch of two (src/domain/interruption/launch-batch.ts), assigned: neither joined.
    const batch = (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          InstanceType: 'm5.large',
          MinCount: 2,
          MaxCount: 2,
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: Object.entries({
                [LAUNCH_BATCH_TAG]: 'batch-1',
                'eksflow:purpose': 'spot-replacement',
                'eks:cluster-name': name,
                'eks:nodegroup-name': 'general',
                [memberTagKey(ids.interrupted)]: pendingMemberValue('o1'),
                [memberTagKey(other)]: pendingMemberValue('o2'),
              }).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        }),
      )
    ).Instances!.map((i) => i.InstanceId!);
    const assignment = assignBatch([ids.interrupted, other], batch);
    [ids.batchA, ids.batchB] = [assignment.get(ids.interrupted)!, assignment.get(other)!];
    const tags = assignmentTags(
      assignment,
      new Map([
        [ids.interrupted, 'o1'],
        [other, 'o2'],
      ]),
    );
    await ec2.send(
      new CreateTagsCommand({ Resources: batch, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    );
    ids.joinedById = (await launched('replacement')).InstanceId!;
    const byName = await launched('fallback');
    ids.joinedByName = byName.InstanceId!;
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids.joinedByName] }));
    const dns = described.Reservations![0]!.Instances![0]!.PrivateDnsName!;
    expect(dns).toMatch(/^ip-/);
    // One node registered by the AWS cloud provider (providerID), one by the kubelet's default name.
    const byId = `${name}-node-1`;
    await kube.node(byId, { instanceId: ids.joinedById, az: `${region}a` });
    createdNodes.push(byId);
    await kube.node(dns);
    createdNodes.push(dns);
  });

  afterAll(async () => {
    for (const n of createdNodes) await kube?.core.deleteNode(n).catch(() => undefined);
    await kube?.cleanup();
  });

  it('after the grace period, only the instance no Node names is a candidate, with that reason', async () => {
    const actions = await plan(true, 120);
    const never = (of: string) => new RegExp(`^replacement for ${of} never joined the cluster \\(1[12]\\d min\\)$`);
    const byId = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(actions.sort(byId)).toEqual(
      [
        [ids.lost, 'report', expect.stringMatching(never(ids.interrupted))],
        [ids.batchA, 'report', expect.stringMatching(never(ids.interrupted))],
        [ids.batchB, 'report', expect.stringMatching(never(other))],
      ].sort(byId),
    );
  });

  it('within the grace period, or without Kubernetes access, nothing is a candidate (the interrupted instance still runs)', async () => {
    expect(await plan(true, 10)).toEqual([]);
    expect(await plan(false, 120)).toEqual([]);
  });
});
