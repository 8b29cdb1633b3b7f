import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import type { Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { scaleNodegroupTo } from '../../workflows';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { startReconcilerLoop } from '../../src/sandbox/nodegroup-asg-reconciler';
import type { ActivityDeps } from '../../activities';
import { connectDevServer, createTestWorker, testActivityDeps, testAwsFactory, testConfig, uniqueName } from '../support/stack';

describe('EKS activities against moto, driven by a workflow on the dev server', () => {
  const aws = testAwsFactory();
  const clusterName = uniqueName('it-eks');
  const config = testConfig({
    clusters: [{
      name: clusterName, accountId: '333333333333', region: 'ap-south-1',
      roleArn: 'arn:aws:iam::333333333333:role/eksflow-automation',
      nodegroups: [{ name: 'general', instanceTypes: ['m5.large'], businessHours: { min: 1, desired: 3, max: 5 }, offHours: { min: 1, desired: 1, max: 5 } }],
    }],
  });
  const cluster = config.clusters[0]!;
  const ref = { target: { accountId: cluster.accountId, region: cluster.region, roleArn: cluster.roleArn }, cluster: clusterName, nodegroup: 'general' };
  const taskQueue = uniqueName('it-eks');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: Worker;
  let running: Promise<void>;
  let deps: ActivityDeps;
  let reconciler: { stop(): void };

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    reconciler = startReconcilerLoop(aws, [cluster], 500);
    stack = await connectDevServer();
    deps = testActivityDeps({ config, client: stack.client, taskQueue, aws });
    worker = await createTestWorker({ connection: stack.nativeConnection, taskQueue, deps });
    running = worker.run();
  });

  afterAll(async () => {
    reconciler?.stop();
    worker?.shutdown();
    await running;
    await stack?.close();
  });

  it('scales a node group in moto with UpdateNodegroupConfig and waits until its instances are InService', async () => {
    const result = await stack.client.workflow.execute(scaleNodegroupTo, {
      taskQueue,
      workflowId: uniqueName('scale'),
      args: [{ ref, size: { desired: 3 }, pollIntervalMs: 500, verifyTimeoutMs: 30_000 }],
    });
    expect(result.status).toBe('scaled');
    expect(result.before.desired).toBe(1);
    expect(result.after.desired).toBe(3);
    expect(result.inService).toBe(3);

    // Read the new size back from moto with the real SDK, through the assumed role's account.
    const ng = await aws.eks(ref.target).send(new DescribeNodegroupCommand({ clusterName, nodegroupName: 'general' }));
    expect(ng.nodegroup?.scalingConfig?.desiredSize).toBe(3);
    expect(deps.audit.read().filter((r) => r.action === 'eks:UpdateNodegroupConfig')).toHaveLength(1);
  });

  it('issues no update when the node group is already at the target', async () => {
    const before = deps.audit.read().length;
    const result = await stack.client.workflow.execute(scaleNodegroupTo, {
      taskQueue,
      workflowId: uniqueName('scale-noop'),
      args: [{ ref, size: { desired: 3 }, pollIntervalMs: 500, verifyTimeoutMs: 30_000 }],
    });
    expect(result.status).toBe('no_change');
    expect(deps.audit.read().length).toBe(before);
  });

  it('rejects an impossible size without retrying and without touching moto', async () => {
    const failure = await stack.client.workflow
      .execute(scaleNodegroupTo, {
        taskQueue,
        workflowId: uniqueName('scale-bad'),
        args: [{ ref, size: { desired: 9 }, pollIntervalMs: 500, verifyTimeoutMs: 5_000 }],
      })
      .then(() => undefined, (err: unknown) => err as { cause?: { cause?: ApplicationFailure; attempt?: number } });
    const activityFailure = failure?.cause;
    expect(activityFailure?.cause).toBeInstanceOf(ApplicationFailure);
    expect(activityFailure?.cause?.type).toBe('ValidationError');
    expect(activityFailure?.cause?.nonRetryable).toBe(true);
    expect(activityFailure?.cause?.message).toMatch(/violates min <= desired <= max/);
    const ng = await aws.eks(ref.target).send(new DescribeNodegroupCommand({ clusterName, nodegroupName: 'general' }));
    expect(ng.nodegroup?.scalingConfig?.desiredSize).toBe(3);
  });
});
