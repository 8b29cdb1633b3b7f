import { DeleteNodegroupCommand } from '@aws-sdk/client-eks';
import { temporal } from '@temporalio/proto';
import { scaleUpFleet } from '../../workflows';
import { requestTokenFor } from '../../workflows/scaling/scale-group';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs, startReconcilerLoop } from '../../src/sandbox/nodegroup-asg-reconciler';
import { awsServiceMutationQueue } from '../../src/domain/limits/queues';
import { clusterKeyOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';
import { scalingCluster } from '../support/scaling-fixtures';
import { eventually } from '../support/eventually';

const EventType = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

/**
 * The 08:00 scale-up applies and verifies a cluster's groups in the cluster's own workflow: no
 * child workflow per group, the updates on the account/region's rate-limited queue, one
 * `readGroups` per poll for the groups still settling, each group's own timeout.
 */
describe('scale-up: a cluster workflow applies and verifies its groups itself (dev server, moto)', () => {
  const aws = testAwsFactory();
  // `steady` has the sandbox's stand-in for EKS running (its instances come); `stuck` does not, so
  // its EKS group in desired mode never gets its instances InService and times out.
  const steady = scalingCluster('it-upc-steady', { accountId: '111111111111', region: 'ap-south-1' });
  const stuck = scalingCluster('it-upc-stuck', { accountId: '222222222222', region: 'us-east-1' });
  // Its EKS group in desired mode never settles either, and is deleted while it is being verified.
  const gone = scalingCluster('it-upc-gone', { accountId: '111111111111', region: 'ap-south-1' });
  const config = testConfig({ clusters: [steady, stuck, gone] });
  const taskQueue = uniqueName('it-upc');
  const settings = { pollIntervalMs: 250, verifyTimeoutMs: 3_000 };
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let reconciler: { stop(): void };

  beforeAll(async () => {
    for (const c of config.clusters) await seedCluster(aws, c);
    await reconcileNodegroupAsgs(aws, config.clusters);
    reconciler = startReconcilerLoop(aws, [config.clusters[0]!], 200);
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
    for (const c of config.clusters)
      await stack?.client.workflow
        .getHandle(controllerWorkflowId(clusterKeyOf(c)))
        .terminate('test done')
        .catch(() => undefined);
    await worker?.stop();
    await stack?.close();
  });

  const events = async (workflowId: string): Promise<Event[]> =>
    (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = (history: Event[], type: string) =>
    history
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === type)
      .map((a) => ({
        taskQueue: a!.taskQueue!.name!,
        input: JSON.parse(Buffer.from(a!.input!.payloads![0]!.data!).toString()) as unknown,
        task: Number(a!.workflowTaskCompletedEventId),
      }));

  it('scales each group, times one out on its own, and starts no child workflow per group', async () => {
    const fleetId = uniqueName('scale-up');
    const result = await stack.client.workflow.execute(scaleUpFleet, {
      taskQueue,
      workflowId: fleetId,
      args: [{ settings, clusters: [steady.name, stuck.name] }],
    });
    const byCluster = Object.fromEntries(result.clusters.map((c) => [c.cluster, c]));
    const groupsOf = (name: string) => Object.fromEntries(byCluster[name]!.groups.map((g) => [g.nodegroup, g]));

    expect(groupsOf(steady.name)).toMatchObject({
      general: {
        status: 'scaled',
        before: { min: 1, desired: 1, max: 6 },
        after: { min: 2, desired: 3, max: 6 },
        inService: 3,
      },
      workers: { status: 'scaled', mode: 'bounds', after: { min: 2, desired: 2, max: 6 } },
      batch: { status: 'scaled', kind: 'self-managed', after: { min: 1, desired: 2, max: 4 }, inService: 2 },
    });
    const s = groupsOf(stuck.name);
    expect(s.general).toMatchObject({ status: 'timeout', after: { desired: 3 }, inService: 1 });
    expect(s.general!.reason).toMatch(/^not ACTIVE with 3 instances InService after [34] s \(1 InService\)$/);
    // Its neighbours settle and are reported as scaled, not held back by the group that timed out.
    expect(s.workers).toMatchObject({ status: 'scaled', after: { min: 2, desired: 2, max: 6 } });
    expect(s.batch).toMatchObject({ status: 'scaled', inService: 2 });

    for (const c of [config.clusters[0]!, config.clusters[1]!]) {
      const clusterId = `${fleetId}/${clusterKeyOf(c)}`;
      const history = await events(clusterId);
      expect(
        history.filter((e) => e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
      ).toEqual([]);
      // The updates: one activity per group, each on its service's rate-limited queue, with the
      // client token its child workflow used to have.
      const eks = scheduled(history, 'applyNodegroupSize');
      const asg = scheduled(history, 'applyGroupSize');
      expect(eks.map((a) => a.taskQueue)).toEqual(Array(2).fill(awsServiceMutationQueue(taskQueue, c, 'eks')));
      expect(asg.map((a) => a.taskQueue)).toEqual([awsServiceMutationQueue(taskQueue, c, 'autoscaling')]);
      const tokens = [...eks, ...asg].map((a) => (a.input as { requestToken: string }).requestToken).sort();
      expect(tokens).toEqual(
        ['batch', 'general', 'workers'].map((ng) => requestTokenFor(`${clusterId}/${ng}`, ng)).sort(),
      );
      const updates = worker.deps.audit
        .read()
        .filter((r) => r.workflowId === clusterId && r.action === 'eks:UpdateNodegroupConfig');
      expect(updates.map((r) => r.target).sort()).toEqual(
        ['general', 'workers'].map((ng) => `${c.accountId}/${c.region}/${c.name}/${ng}`),
      );
      // A spot group's outlook is scheduled with its update (it only adds a note to the result).
      const outlooks = scheduled(history, 'checkSpotGroupOutlook');
      expect(outlooks).toHaveLength(2);
      const applyTasks = new Set([...eks, ...asg].map((a) => a.task));
      for (const o of outlooks) expect(applyTasks).toContain(o.task);
      // Reads: the one before the updates, then one per poll for the groups still settling; no per-group reads.
      const reads = scheduled(history, 'readGroups').map((a) =>
        (a.input as { nodegroup: string }[]).map((r) => r.nodegroup),
      );
      expect(scheduled(history, 'readGroup')).toEqual([]);
      expect(scheduled(history, 'nodegroupCapacity')).toEqual([]);
      expect(reads[0]).toEqual(['general', 'workers', 'batch']);
      if (c.name === stuck.name) {
        // After the others settled, only the stuck group is read, until its timeout.
        expect(reads.length).toBeGreaterThan(3);
        expect(reads.at(-1)).toEqual(['general']);
      }
    }
  });

  it('a group whose read fails for good while it is verified fails alone; the loop goes on for the others', async () => {
    const c = config.clusters[2]!;
    const fleetId = uniqueName('scale-up-gone');
    const clusterId = `${fleetId}/${clusterKeyOf(c)}`;
    const run = stack.client.workflow.start(scaleUpFleet, {
      taskQueue,
      workflowId: fleetId,
      args: [{ settings: { pollIntervalMs: 250, verifyTimeoutMs: 60_000 }, clusters: [gone.name] }],
    });
    await run;
    // Once the verify loop reads (the read before the updates, then the loop's), the group goes away.
    await eventually(
      async () => scheduled(await events(clusterId).catch(() => []), 'readGroups').length,
      (n) => n >= 2,
      'the verify loop reading',
      { timeoutMs: 30_000 },
    );
    await aws.eks(c).send(new DeleteNodegroupCommand({ clusterName: c.name, nodegroupName: 'general' }));
    const result = await (await run).result();
    const groups = Object.fromEntries(result.clusters[0]!.groups.map((g) => [g.nodegroup, g]));
    expect(groups.general).toMatchObject({ status: 'failed' });
    expect(groups.general!.reason).toMatch(/^readGroup: .*(not ?found|does not exist)/i);
    expect(groups.workers).toMatchObject({ status: 'scaled' });
    expect(groups.batch).toMatchObject({ status: 'scaled' });
  });
});
