import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { ApplicationFailure } from '@temporalio/common';
import { scaleNodegroupTo } from '../../workflows';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { startReconcilerLoop } from '../../src/sandbox/nodegroup-asg-reconciler';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

describe('EKS activities against moto, driven by a workflow on the dev server', () => {
  const aws = testAwsFactory();
  const clusterName = uniqueName('it-eks');
  const config = testConfig({
    clusters: [
      {
        name: clusterName,
        accountId: '333333333333',
        region: 'ap-south-1',
        roleArn: 'arn:aws:iam::333333333333:role/eksflow-automation',
        nodegroups: [
          {
            name: 'general',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 3, max: 5 },
            offHours: { min: 1, desired: 1, max: 5 },
          },
        ],
      },
    ],
  });
  const cluster = config.clusters[0]!;
  const ref = {
    target: { accountId: cluster.accountId, region: cluster.region, roleArn: cluster.roleArn },
    cluster: clusterName,
    nodegroup: 'general',
  };
  const taskQueue = uniqueName('it-eks');
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let reconciler: { stop(): void };

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    reconciler = startReconcilerLoop(aws, [cluster], 500);
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
    });
  });

  afterAll(async () => {
    reconciler?.stop();
    await worker?.stop();
    await stack?.close();
  });

  /** What one workflow run recorded in the audit log (tests never count entries across the file). */
  const auditOf = (workflowId: string) => worker.deps.audit.read().filter((r) => r.workflowId === workflowId);
  const desiredInMoto = async () =>
    (await aws.eks(ref.target).send(new DescribeNodegroupCommand({ clusterName, nodegroupName: 'general' }))).nodegroup
      ?.scalingConfig?.desiredSize;

  it('scales a node group in moto with UpdateNodegroupConfig and waits until its instances are InService', async () => {
    const workflowId = uniqueName('scale');
    const result = await stack.client.workflow.execute(scaleNodegroupTo, {
      taskQueue,
      workflowId,
      args: [{ ref, size: { desired: 3 }, pollIntervalMs: 500, verifyTimeoutMs: 30_000 }],
    });
    expect(result.status).toBe('scaled');
    expect(result.before.desired).toBe(1);
    expect(result.after.desired).toBe(3);
    expect(result.inService).toBe(3);

    // Read the new size back from moto with the real SDK, through the assumed role's account.
    const ng = await aws.eks(ref.target).send(new DescribeNodegroupCommand({ clusterName, nodegroupName: 'general' }));
    expect(ng.nodegroup?.scalingConfig?.desiredSize).toBe(3);
    expect(auditOf(workflowId).filter((r) => r.action === 'eks:UpdateNodegroupConfig')).toHaveLength(1);
  });

  it('issues no update when the node group is already at the target', async () => {
    const input = { ref, size: { desired: 3 }, pollIntervalMs: 500, verifyTimeoutMs: 30_000 };
    await stack.client.workflow.execute(scaleNodegroupTo, {
      taskQueue,
      workflowId: uniqueName('scale-setup'),
      args: [input],
    });
    const workflowId = uniqueName('scale-noop');
    const result = await stack.client.workflow.execute(scaleNodegroupTo, { taskQueue, workflowId, args: [input] });
    expect(result.status).toBe('no_change');
    expect(auditOf(workflowId)).toEqual([]);
  });

  it('rejects an impossible size without retrying and without touching moto', async () => {
    const desiredBefore = await desiredInMoto();
    const failure = await stack.client.workflow
      .execute(scaleNodegroupTo, {
        taskQueue,
        workflowId: uniqueName('scale-bad'),
        args: [{ ref, size: { desired: 9 }, pollIntervalMs: 500, verifyTimeoutMs: 5_000 }],
      })
      .then(
        () => undefined,
        (err: unknown) => err as { cause?: { cause?: ApplicationFailure; attempt?: number } },
      );
    const activityFailure = failure?.cause;
    expect(activityFailure?.cause).toBeInstanceOf(ApplicationFailure);
    expect(activityFailure?.cause?.type).toBe('ValidationError');
    expect(activityFailure?.cause?.nonRetryable).toBe(true);
    expect(activityFailure?.cause?.message).toMatch(/violates min <= desired <= max/);
    expect(await desiredInMoto()).toBe(desiredBefore);
  });
});
