import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { existsSync } from 'node:fs';
import {
  clusterController,
  preWorkAnalysis,
  scaleDownFleet,
  scaleUpFleet,
  trafficAnalysis,
  verifyFleetHealth,
} from '../../workflows';
import {
  effectivePlanQuery,
  statusQuery,
  recordActionSignal,
  overrideSignal,
  pauseSignal,
  resumeSignal,
} from '../../workflows/scaling/messages';
import { seedCluster } from '../../src/sandbox/seed';
import { controllerTarget, ensureController } from '../../src/client/scaling';
import { reconcileNodegroupAsgs, startReconcilerLoop } from '../../src/sandbox/nodegroup-asg-reconciler';
import { clusterKeyOf, clusterSpecOf, controllerWorkflowId } from '../../src/domain/scaling/types';
import { istDate, istToUtcMs, istParts } from '../../src/domain/timetable/ist';
import { eventually as poll } from '../support/eventually';
import {
  createTimeSkippingEnv,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';
import { scalingCluster } from '../support/scaling-fixtures';

const MIN = 60_000;

/**
 * The scheduled workflow bodies on the time-skipping server (it has no Schedules API: the test
 * starts each run at its IST time, as the schedule would), against moto with real activities.
 */
describe('a day on the IST timetable (time-skipping)', () => {
  const aws = testAwsFactory();
  const a = scalingCluster('ts-day-a', { accountId: '111111111111', region: 'ap-south-1' });
  const b = scalingCluster('ts-day-b', { accountId: '222222222222', region: 'us-east-1', role: true });
  const c = scalingCluster('ts-day-c', { accountId: '111111111111', region: 'ap-south-1' });
  const d = scalingCluster('ts-day-d', { accountId: '111111111111', region: 'ap-south-1' });
  const config = testConfig({ clusters: [a, b, c, d] });
  const [A, B, C, D] = config.clusters as [
    (typeof config.clusters)[0],
    (typeof config.clusters)[0],
    (typeof config.clusters)[0],
    (typeof config.clusters)[0],
  ];
  const taskQueue = uniqueName('ts-scaling');
  const settings = {
    pollIntervalMs: 15_000,
    verifyTimeoutMs: 15 * MIN,
    scaleDownSteps: 3,
    scaleDownWindowMs: 30 * MIN,
  };
  let env: TestWorkflowEnvironment;
  let worker: TestWorker;
  let reconciler: { stop(): void };

  const desiredOf = async (cl: typeof A, ng: string) =>
    (await aws.eks(cl).send(new DescribeNodegroupCommand({ clusterName: cl.name, nodegroupName: ng }))).nodegroup!
      .scalingConfig!;
  /** Real-time wait for something an activity does (the clock of the test server is not involved). */
  const eventually = (check: () => Promise<boolean>, what: string) =>
    poll(check, (ok) => ok, what, { timeoutMs: 10_000 });
  /**
   * Operators' requests go to the controller as signals here (same validation and state changes
   * as the updates); the update path — validators, rejections, the returned effective plan — is
   * tested on the dev server in test/integration/scaling.test.ts.
   */
  const controller = (cl: typeof A) => env.client.workflow.getHandle(controllerWorkflowId(clusterKeyOf(cl)));
  /** Sleeps the server clock to the next IST time on the same IST day as `day`. */
  const sleepUntil = async (day: string, time: string) => {
    const now = await env.currentTimeMs();
    const target = istToUtcMs(day, time);
    if (target > now) await env.sleep(target - now);
  };
  /**
   * Runs a workflow to its end, advancing the server clock ourselves in small steps. The
   * time-skipping client's own result() unlocks time skipping while it waits, and between the
   * workflow completing and the client locking again the server may jump to the next timer of any
   * workflow — for the idle controllers, their 10-year run timeout. Driving the clock with
   * env.sleep() (advances exactly that much) and waiting through a plain client avoids the race.
   */
  let plain: Client;
  const finish = async <T>(result: Promise<T>, stepMs = 30_000): Promise<T> => {
    let done = false;
    result.then(
      () => (done = true),
      () => (done = true),
    );
    await Promise.race([result, new Promise((r) => setTimeout(r, 300))]).catch(() => undefined);
    while (!done) await env.sleep(stepMs);
    return result;
  };
  const start = <T>(wf: (i: { clusters: string[]; settings: typeof settings }) => Promise<T>, clusters: string[]) =>
    plain.workflow.start(wf, { taskQueue, workflowId: uniqueName('ts-run'), args: [{ clusters, settings }] });
  const run = async <T>(
    wf: (i: { clusters: string[]; settings: typeof settings }) => Promise<T>,
    clusters: string[],
  ): Promise<T> => finish((await start(wf, clusters)).result());

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    plain = new Client({ connection: env.connection });
    for (const cl of [A, B, C, D]) await seedCluster(aws, cl);
    await reconcileNodegroupAsgs(aws, [A, B, C, D]);
    reconciler = startReconcilerLoop(aws, [A, B, C, D], 100);
    worker = await startTestWorker({ connection: env.nativeConnection, client: env.client, taskQueue, config, aws });
  }, 300_000);

  afterAll(async () => {
    reconciler?.stop();
    await worker?.stop();
    await env?.teardown();
  });

  it('07:30 → 18:30 for two clusters: plan, pause window, override that expires, scale-up, health, gradual scale-down', async () => {
    // Move the server clock to the next Monday 07:30 IST.
    let day = istDate(await env.currentTimeMs());
    do {
      day = istDate(istToUtcMs(day, '12:00') + 24 * 60 * MIN);
    } while (istParts(istToUtcMs(day, '12:00')).dayOfWeek !== 1);
    await sleepUntil(day, '07:30');
    const clusters = [A.name, B.name];

    const plan = await run(preWorkAnalysis, clusters);
    expect(plan.dryRun).toBe(true);
    expect(existsSync(plan.publishedTo!)).toBe(true);
    expect(
      plan.clusters.find((x) => x.cluster === A.name)!.groups.find((g) => g.nodegroup === 'general'),
    ).toMatchObject({ status: 'planned', before: { desired: 1 }, target: { desired: 3 } });
    expect((await desiredOf(A, 'general')).desiredSize).toBe(1); // a plan changes nothing

    await sleepUntil(day, '07:40');
    const now = await env.currentTimeMs();
    await controller(A).signal(pauseSignal, {
      reason: 'deploy freeze',
      by: 'alice',
      untilMs: istToUtcMs(day, '08:15'),
    });
    // An invalid request changes nothing (a signal cannot answer: it is dropped and logged).
    await controller(B).signal(overrideSignal, {
      nodegroup: 'general',
      min: 5,
      max: 3,
      untilMs: now + 60 * MIN,
      reason: 'x',
    });
    expect((await controller(B).query(statusQuery)).overrides).toEqual([]);

    // "Wake up now": an override applies at once and wins until it expires at 12:00.
    await controller(B).signal(overrideSignal, {
      nodegroup: 'general',
      desired: 5,
      untilMs: istToUtcMs(day, '12:00'),
      reason: 'launch day',
      by: 'bob',
    });
    const effective = await controller(B).query(effectivePlanQuery);
    expect(effective.nodegroups.find((g) => g.nodegroup === 'general')).toMatchObject({
      source: 'override',
      effective: { desired: 5 },
    });
    await eventually(async () => (await desiredOf(B, 'general')).desiredSize === 5, 'override applied in moto');

    await sleepUntil(day, '08:00');
    const up = await run(scaleUpFleet, clusters);
    const upA = up.clusters.find((x) => x.cluster === A.name)!;
    const upB = up.clusters.find((x) => x.cluster === B.name)!;
    expect(upA).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^skipped: paused by alice because deploy freeze/),
    });
    expect((await desiredOf(A, 'general')).desiredSize).toBe(1);
    // The override wins over the business size (3); only min moves to the business-hours min.
    expect(upB.groups.find((g) => g.nodegroup === 'general')).toMatchObject({
      status: 'scaled',
      before: { min: 1, desired: 5 },
      after: { min: 2, desired: 5, max: 6 },
    });
    expect(upB.groups.find((g) => g.nodegroup === 'batch')).toMatchObject({ status: 'scaled', after: { desired: 2 } });

    // The pause expires at 08:15 (durable timer): the controller applies the size the timetable
    // wants now (business hours), without waiting for the next scheduled run.
    await sleepUntil(day, '08:20');
    expect((await controller(A).query(statusQuery)).paused).toBeUndefined();
    await eventually(
      async () => (await desiredOf(A, 'general')).desiredSize === 3,
      'pause expiry applied the business size',
    );
    expect((await controller(A).query(statusQuery)).lastActions.map((x) => x.action)).toContain('pause-expired');
    const upA2 = await run(scaleUpFleet, [A.name]);
    expect(upA2.clusters[0]!.groups.find((g) => g.nodegroup === 'general')).toMatchObject({
      status: 'no_change',
      after: { desired: 3 },
      inService: 3,
    });

    await reconcileNodegroupAsgs(aws, [A, B]); // the sandbox's stand-in for EKS, synced before the check
    await sleepUntil(day, '08:30');
    const health = await run(verifyFleetHealth, clusters);
    for (const cl of health.clusters)
      expect(
        cl.groups.map((g) => [g.nodegroup, g.status === 'healthy' ? g.status : `${cl.cluster}: ${g.reason}`]),
      ).toEqual([
        ['general', 'healthy'],
        ['workers', 'healthy'],
        ['batch', 'healthy'],
      ]);

    // 12:00: the override expires and the controller returns B/general to the timetable size.
    await sleepUntil(day, '12:05');
    await eventually(
      async () => (await desiredOf(B, 'general')).desiredSize === 3,
      'override expiry restored the business size',
    );
    expect((await controller(B).query(statusQuery)).lastActions.map((x) => x.action)).toContain('override-expired');

    await sleepUntil(day, '17:30');
    const evening = await run(trafficAnalysis, clusters);
    expect(
      evening.clusters
        .find((x) => x.cluster === B.name)!
        .groups.find((g) => g.nodegroup === 'general')!
        .steps!.map((s) => s.desired),
    ).toEqual([3, 2, 1]);

    await sleepUntil(day, '18:00');
    const down = await run(scaleDownFleet, clusters);
    for (const cl of down.clusters) {
      expect(cl.status).toBe('done');
      // Gradual: 3 steps at 18:00, 18:15 and 18:30 IST on the workflow clock.
      const due = ['18:00', '18:15', '18:30'].map((t) => istToUtcMs(day, t));
      cl.steps!.forEach((s, i) => {
        expect(s.atMs).toBeGreaterThanOrEqual(due[i]!);
        expect(s.atMs).toBeLessThan(due[i]! + 2 * MIN);
      });
      expect(cl.steps!.map((s) => s.groups.find((g) => g.nodegroup === 'general')!.after!.desired)).toEqual([3, 2, 1]);
    }
    for (const cl of [A, B]) expect(await desiredOf(cl, 'general')).toEqual({ minSize: 1, desiredSize: 1, maxSize: 6 });
  }, 300_000);

  it('a pause in the middle of a scale-down stops it before its next step; after resume it completes', async () => {
    await run(scaleUpFleet, [C.name]);
    expect((await desiredOf(C, 'general')).desiredSize).toBe(3);
    const handle = await start(scaleDownFleet, [C.name]);
    await env.sleep(5 * MIN);
    await controller(C).signal(pauseSignal, { reason: 'incident INC-42', by: 'carol' });
    const stopped = (await finish(handle.result())).clusters[0]!;
    expect(stopped.status).toBe('stopped');
    expect(stopped.reason).toMatch(/^stopped before step 2 of 3: paused by carol because incident INC-42/);
    expect(stopped.steps).toHaveLength(1);
    expect((await desiredOf(C, 'general')).desiredSize).toBe(3); // step 1 of 3 → 1 keeps 3 (rounded towards the start)

    const skipped = await run(scaleDownFleet, [C.name]);
    expect(skipped.clusters[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/paused by carol because incident INC-42/),
    });

    await controller(C).signal(resumeSignal, { by: 'carol' });
    const done = (await run(scaleDownFleet, [C.name])).clusters[0]!;
    expect(done.status).toBe('done');
    expect(await desiredOf(C, 'general')).toEqual({ minSize: 1, desiredSize: 1, maxSize: 6 });
  });

  it('the controller keeps its state across continue-as-new, and its timers still fire', async () => {
    const spec = clusterSpecOf(C);
    const id = uniqueName('ts-controller');
    const handle = await plain.workflow.start(clusterController, {
      taskQueue,
      workflowId: id,
      args: [
        {
          clusterKey: spec.key,
          config: { cluster: spec, calendar: { businessDays: [1, 2, 3, 4, 5], holidays: [] } },
          maxHistoryEvents: 30,
        },
      ],
    });
    const firstRun = handle.firstExecutionRunId;
    const now = await env.currentTimeMs();
    await handle.signal(pauseSignal, { reason: 'maintenance', by: 'dave' });
    await handle.signal(overrideSignal, {
      nodegroup: 'workers',
      min: 1,
      max: 5,
      untilMs: now + 60 * MIN,
      reason: 'batch backlog',
      by: 'dave',
    });
    await handle.signal(overrideSignal, {
      nodegroup: 'general',
      min: 9,
      max: 2,
      untilMs: now + 60 * MIN,
      reason: 'bad',
      by: 'dave',
    }); // invalid: dropped
    for (let i = 0; i < 25; i++) await handle.signal(recordActionSignal, { action: 'note', summary: `note ${i}` });
    await eventually(async () => (await handle.describe()).runId !== firstRun, 'continue-as-new');
    // The run may continue as new before the last signals are handled: wait for the newest note.
    await eventually(
      async () => (await handle.query(statusQuery)).lastActions.some((x) => x.summary === 'note 24'),
      'all notes handled after continue-as-new',
    );
    const status = await handle.query(statusQuery);
    expect(status.paused).toMatchObject({ reason: 'maintenance', by: 'dave' });
    expect(status.overrides.map((o) => [o.nodegroup, o.min, o.max])).toEqual([['workers', 1, 5]]);
    expect(status.lastActions.map((x) => x.summary)).toContain('note 24');
    await env.sleep(61 * MIN);
    await eventually(
      async () => (await handle.query(statusQuery)).overrides.length === 0,
      'override expiry after continue-as-new',
    );
    await handle.terminate('test done');
  });

  it('a cluster paused through 08:00 goes to the business-hours size on resume, not at 18:00', async () => {
    const asgDesired = async (name: string) =>
      (await aws.autoScaling(D).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))
        .AutoScalingGroups![0]!.DesiredCapacity;
    // The next business day, 07:00 IST.
    let day = istDate((await env.currentTimeMs()) + 24 * 60 * MIN);
    while (![1, 2, 3, 4, 5].includes(istParts(istToUtcMs(day, '12:00')).dayOfWeek))
      day = istDate(istToUtcMs(day, '12:00') + 24 * 60 * MIN);
    await sleepUntil(day, '07:00');
    expect((await desiredOf(D, 'general')).desiredSize).toBe(1); // off-hours size
    // Its controller starts the way scheduled runs and the CLI start it (signal-with-start).
    await ensureController(plain, controllerTarget(config, taskQueue, clusterSpecOf(D)));
    await controller(D).signal(pauseSignal, { reason: 'migration', by: 'erin' });
    await sleepUntil(day, '08:00');
    const up = await run(scaleUpFleet, [D.name]);
    expect(up.clusters[0]).toMatchObject({ status: 'skipped' });
    expect((await desiredOf(D, 'general')).desiredSize).toBe(1);

    await sleepUntil(day, '09:30');
    await controller(D).signal(resumeSignal, { by: 'erin' });
    await eventually(async () => (await desiredOf(D, 'general')).desiredSize === 3, 'resume applied business size');
    expect(await desiredOf(D, 'general')).toEqual({ minSize: 2, desiredSize: 3, maxSize: 6 });
    // The groups are applied one after another: bounds mode moves to the business min.
    await eventually(async () => (await desiredOf(D, 'workers')).minSize === 2, 'bounds group at business min');
    await eventually(async () => (await asgDesired(`${D.name}-batch`)) === 2, 'self-managed group at business size');
    const actions = (await controller(D).query(statusQuery)).lastActions.filter((x) => x.action === 'resume');
    expect(actions.map((x) => x.summary)).toEqual(
      expect.arrayContaining(['resumed by erin', expect.stringMatching(/^general: 1\/1\/6 → 2\/3\/6 \(timetable\)$/)]),
    );
  }, 300_000);
});
