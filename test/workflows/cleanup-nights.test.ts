import { shippedPriceTable } from '../../src/data/pricing';
import { AttachVolumeCommand } from '@aws-sdk/client-ec2';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { existsSync, readFileSync } from 'node:fs';
import { resourceCleanup } from '../../workflows';
import { seedCluster } from '../../src/sandbox/seed';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { type testActivityDeps, testAwsFactory, testConfig, uniqueName } from '../support/stack';
import { startNightHarness, type NightHarness } from '../support/night-harness';
import { cleanupWorldState, nightCluster, seedCleanupWorld, type CleanupWorld } from '../support/night-fixtures';

const DAY = 86_400_000;

/**
 * Three evenings of the 19:00 cleanup on the time-skipping server against moto: a plan changes
 * nothing; the first run tags each candidate `eksflow:cleanup-after`; a day later the expired,
 * still-unused ones are deleted — except a volume that was attached again in between (untagged),
 * launch templates (mode `tag`: never deleted) and everything protected or not eksflow's.
 */
describe('resource cleanup: tag, then delete a day later (time-skipping)', () => {
  const aws = testAwsFactory();
  const cl = nightCluster('ts-cleanup');
  const raw = {
    clusters: [cl],
    cleanup: {
      mode: {
        volumes: 'delete',
        snapshots: 'delete',
        elasticIps: 'delete',
        networkInterfaces: 'delete',
        launchTemplates: 'tag',
        instances: 'delete',
      },
      graceHours: 24,
      volumeMinAgeDays: 1,
      networkInterfaceMinAgeHours: 6,
    },
  };
  const config = testConfig(raw);
  const cluster = config.clusters[0]!;
  const target = { accountId: cl.accountId, region: cl.region, roleArn: cl.roleArn };
  const taskQueue = uniqueName('ts-cleanup');
  let env: TestWorkflowEnvironment;
  let plain: Client;
  let h: NightHarness;
  let deps: ReturnType<typeof testActivityDeps>;
  let w: CleanupWorld;

  beforeAll(async () => {
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    w = await seedCleanupWorld(aws, target, cluster.name);
    h = await startNightHarness({ config, taskQueue, aws });
    ({ env, plain, deps } = h);
  });

  afterAll(async () => {
    await h?.stop();
  });

  const run = async (dryRun = false) =>
    (
      await plain.workflow.start(resourceCleanup, { taskQueue, workflowId: uniqueName('cleanup'), args: [{ dryRun }] })
    ).result();
  const ids = (r: Awaited<ReturnType<typeof run>>, type: string) =>
    r.plans.flatMap((p) => p.plan.actions.filter((a) => a.type === type).map((a) => a.id)).sort();

  it('plans, tags, and deletes only expired candidates that are still unused', async () => {
    await env.sleep(2 * DAY); // the seeded volumes are now older than volumeMinAgeDays
    const before = await cleanupWorldState(aws, target, w);

    const plan = await run(true);
    expect(plan.dryRun).toBe(true);
    expect(plan.applied).toEqual({});
    expect(ids(plan, 'tag')).toEqual(
      [w.oldVolume, w.reusedVolume, w.eip, w.eni, w.oldSnapshot, w.goneTemplate, w.replacement].sort(),
    );
    expect(await cleanupWorldState(aws, target, w)).toEqual(before); // a plan changes nothing

    const first = await run();
    const applied = first.applied[`${cl.accountId}/${cl.region}`]!;
    expect(applied.tagged.map((x) => x.split('/')[1]).sort()).toEqual(
      [w.oldVolume, w.reusedVolume, w.eip, w.eni, w.oldSnapshot, w.goneTemplate, w.replacement].sort(),
    );
    expect(applied.deleted).toEqual([]);
    expect(first.plans[0]!.plan.protectedCandidates).toEqual([`volumes/${w.protectedVolume}`]);
    const tagged = await cleanupWorldState(aws, target, w);
    const expectedAfter = new Date(Date.parse(first.at) + DAY).toISOString();
    expect(tagged).toMatchObject({
      oldVolume: expectedAfter,
      eip: expectedAfter,
      oldSnapshot: expectedAfter,
      goneTemplate: expectedAfter,
      replacement: expectedAfter,
      protectedVolume: null,
      pvcVolume: null,
      foreignSnapshot: null,
      liveTemplate: null,
      worker: null,
    });
    expect(tagged.eni).toBe(expectedAfter); // max(grace 24 h, ENI minimum 6 h)
    // $/month found: 2 × 50 GiB gp3 ($4 each), the EIP ($3.65), the 50 GiB snapshot ($2.50), an m5.large
    // at the shipped table's On-Demand price in this cluster's region.
    expect(first.report.totals).toMatchObject({ candidates: 7, tagged: 7, deleted: 0, reclaimedUsdMonth: 0 });
    const m5 = shippedPriceTable().price(cluster.region, 'm5.large')!.usdPerHour;
    expect(first.report.totals.candidateUsdMonth).toBeCloseTo(4 + 4 + 3.65 + 2.5 + m5 * 730, 2);
    expect(existsSync(first.report.htmlPath)).toBe(true);

    // In between, the reused volume is attached to an instance again.
    await aws
      .ec2(target)
      .send(new AttachVolumeCommand({ VolumeId: w.reusedVolume, InstanceId: w.worker, Device: '/dev/sdf' }));

    // 12 hours later nothing has expired: the run waits.
    await env.sleep(DAY / 2);
    const early = await run();
    expect(ids(early, 'delete')).toEqual([]);
    expect(ids(early, 'untag')).toEqual([w.reusedVolume]);

    await env.sleep(DAY / 2);
    const second = await run();
    const done = second.applied[`${cl.accountId}/${cl.region}`]!;
    expect(done.deleted.map((x) => x.split('/')[1]).sort()).toEqual(
      [w.oldVolume, w.eip, w.eni, w.oldSnapshot, w.replacement].sort(),
    );
    expect(ids(second, 'wait')).toEqual([w.goneTemplate]); // launch templates: mode tag
    expect(second.report.totals.reclaimedUsdMonth).toBeCloseTo(4 + 3.65 + 2.5 + m5 * 730, 2);
    const after = await cleanupWorldState(aws, target, w);
    expect(Object.keys(after).sort()).toEqual([
      'foreignSnapshot',
      'goneTemplate',
      'liveTemplate',
      'protectedVolume',
      'pvcVolume',
      'reusedVolume',
      'worker',
    ]);
    expect(after.reusedVolume).toBeNull();

    const audit = deps.audit.read();
    const deletes = audit.filter((a) => /Delete|Release|Terminate/.test(a.action) && a.action !== 'ec2:DeleteTags');
    expect(deletes.map((a) => a.action).sort()).toEqual([
      'ec2:DeleteNetworkInterface',
      'ec2:DeleteSnapshot',
      'ec2:DeleteVolume',
      'ec2:ReleaseAddress',
      'ec2:TerminateInstances',
    ]);
    const report = JSON.parse(readFileSync(second.report.jsonPath, 'utf8')) as { priceSource: string };
    expect(report.priceSource).toMatch(/aws.amazon.com\/ebs\/pricing/);
  });
});
