import type { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../../activities';
import { ConfigHolder } from '../../src/client/config-sync';
import { configPinInterceptor, pinnedConfig } from '../../src/config-sync/pin';
import type { EksflowConfig } from '../../src/config/schema';
import type { BackupsResult } from '../../workflows/backups/backups';
import {
  createTestWorker,
  createTimeSkippingEnv,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';
import { csiVolume, nightCluster, snapshotsOfVolume, tagOf } from '../support/night-fixtures';

/**
 * Config sync, ssm mode: a night run pins the config version it started with (recorded in its
 * result, carried to every activity in a header); a version applied while it runs reaches the
 * next run only. The worker here is wired as src/worker.ts wires it: a ConfigHolder, the activity
 * interceptor, `deps.config` reading the pinned config first.
 */
describe('config version pinned per run (time-skipping)', () => {
  const aws = testAwsFactory();
  const cl = nightCluster('ts-pin');
  const target = { accountId: cl.accountId, region: cl.region, roleArn: cl.roleArn };
  const v1 = testConfig({ clusters: [cl], backups: { policy: 'policy-v1' } });
  const v2 = testConfig({ clusters: [cl], backups: { policy: 'policy-v2' } });
  const taskQueue = uniqueName('ts-pin');
  let holder: ConfigHolder;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let swapDuringRun = false;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    holder = new ConfigHolder(v1, 1, async (v) => (v === 2 ? v2 : v1));
    const base = testActivityDeps({ config: v1, client: env.client, taskQueue, aws });
    const deps: ActivityDeps = {
      ...base,
      get config(): EksflowConfig {
        return pinnedConfig.getStore() ?? holder.current;
      },
      configVersion: () => holder.version,
    };
    const real = createActivities(deps);
    worker = await createTestWorker({
      connection: env.nativeConnection,
      taskQueue,
      deps,
      extra: {
        interceptors: { activity: [configPinInterceptor(holder)] },
        activities: {
          ...real,
          // The watcher applies version 2 while the run is between its volume read and its snapshots.
          backupVolumes: async (input: Parameters<typeof real.backupVolumes>[0]) => {
            const out = await real.backupVolumes(input);
            if (swapDuringRun) holder.apply(v2, 2);
            return out;
          },
        },
      },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('a run keeps the version it started with; the next run takes the new one', async () => {
    const vol = await csiVolume(aws, target, cl.name, 'data-pin-0');
    swapDuringRun = true;
    const first = (await env.client.workflow.execute('backups', {
      taskQueue,
      workflowId: uniqueName('pin-run-1'),
      args: [{ clusters: [cl.name], restoreDrill: 'never' }],
    })) as BackupsResult;
    swapDuringRun = false;
    expect(holder.version).toBe(2);
    expect(first).toMatchObject({ configVersion: 1, policy: 'policy-v1', failures: [] });
    const snap1 = first.clusters[0]!.volumes.find((v) => v.volumeId === vol)!.snapshotId!;
    // takeBackupSnapshots ran after version 2 was applied, yet tagged the run's own version's policy.
    const snaps = await snapshotsOfVolume(aws, target, vol);
    expect(
      tagOf(
        snaps.find((s) => s.SnapshotId === snap1)!,
        'eksflow:backup-policy',
      ),
    ).toBe('policy-v1');

    const second = (await env.client.workflow.execute('backups', {
      taskQueue,
      workflowId: uniqueName('pin-run-2'),
      args: [{ clusters: [cl.name], restoreDrill: 'never' }],
    })) as BackupsResult;
    expect(second).toMatchObject({ configVersion: 2, policy: 'policy-v2' });
    const snap2 = second.clusters[0]!.volumes.find((v) => v.volumeId === vol)!.snapshotId!;
    const after = await snapshotsOfVolume(aws, target, vol);
    expect(
      tagOf(
        after.find((s) => s.SnapshotId === snap2)!,
        'eksflow:backup-policy',
      ),
    ).toBe('policy-v2');
  }, 120_000);

  it('a run started with an explicit version uses it, loaded on demand', async () => {
    const r = (await env.client.workflow.execute('backups', {
      taskQueue,
      workflowId: uniqueName('pin-run-3'),
      args: [{ clusters: [cl.name], restoreDrill: 'never', dryRun: true, configVersion: 1 }],
    })) as BackupsResult;
    expect(r).toMatchObject({ configVersion: 1, policy: 'policy-v1' });
  }, 60_000);
});
