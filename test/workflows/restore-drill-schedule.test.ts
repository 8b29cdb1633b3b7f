import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AlertInput } from '../../src/domain/alerts/types';
import { TIMETABLE } from '../../schedules/timetable';
import { backupRestoreDrill, backups } from '../../workflows';
import { csiVolume, nightCluster } from '../support/night-fixtures';
import { testAwsFactory, testConfig, uniqueName } from '../support/stack';
import { startNightHarness, type NightHarness } from '../support/night-harness';

/**
 * The restore drill as its own monthly schedule starts it (the timetable entry's args), on the
 * time-skipping server with activities against moto: no snapshot yet → a failed drill and one
 * `backup_failed` alert; after a backup → the drill restores, checks and deletes, no alert.
 */
describe('restore drill on its own schedule (time-skipping)', () => {
  const aws = testAwsFactory();
  const cl = nightCluster('ts-drill');
  const config = testConfig({ clusters: [cl], backups: { policy: 'nightly', pollSeconds: 60 } });
  const target = { accountId: cl.accountId, region: cl.region, roleArn: cl.roleArn };
  const taskQueue = uniqueName('ts-drill');
  const entry = TIMETABLE.find((e) => e.id === 'restore-drill')!;
  const alerts: AlertInput[] = [];
  let env: TestWorkflowEnvironment;
  let h: NightHarness;

  beforeAll(async () => {
    h = await startNightHarness({ config, taskQueue, aws, alerts });
    ({ env } = h);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const scheduledDrill = (n: number) =>
    env.client.workflow.execute(backupRestoreDrill, {
      taskQueue,
      workflowId: uniqueName(`restore-drill-${n}`),
      args: [{ ...(entry.args[0] as object), clusters: [cl.name] }],
    });

  it('fails with an alert when there is nothing to restore, then restores after a backup without one', async () => {
    expect(entry).toMatchObject({ workflow: 'backupRestoreDrill', days: 'monthly', dayOfMonth: 1 });
    const first = await scheduledDrill(1);
    expect(first).toMatchObject({ ok: false, detail: 'no completed eksflow snapshot to restore' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'backup_failed', severity: 'warning' });
    expect(alerts[0]!.summary).toContain('no completed eksflow snapshot');

    // A drill started without the flag (e.g. by `backups verify --latest`) reports only.
    await env.client.workflow.execute(backupRestoreDrill, {
      taskQueue,
      workflowId: uniqueName('restore-drill-cli'),
      args: [{ clusters: [cl.name] }],
    });
    expect(alerts).toHaveLength(1);

    await csiVolume(aws, target, cl.name, 'data-db-0');
    const night = await env.client.workflow.execute(backups, {
      taskQueue,
      workflowId: uniqueName('backups-before-drill'),
      args: [{ clusters: [cl.name] }],
    });
    expect(night.failures).toEqual([]);
    expect(night.restoreDrill).toBeUndefined(); // the nightly run no longer drills
    const second = await scheduledDrill(2);
    expect(second).toMatchObject({ ok: true, deleted: true, cluster: `${cl.accountId}/${cl.region}/${cl.name}` });
    expect(alerts).toHaveLength(1);
  });
});
