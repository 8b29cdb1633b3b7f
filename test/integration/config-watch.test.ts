import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { createActivities } from '../../activities';
import { ConfigHolder, ensureConfigWatch, startConfigReload } from '../../src/client/config-sync';
import { readEnv } from '../../src/config/env';
import { loadConfigFromStore } from '../../src/config-sync/store';
import type { AlertInput } from '../../src/domain/alerts/types';
import {
  configWatchStateQuery,
  configWatchWorkflowId,
  type ConfigWatchState,
} from '../../workflows/config-sync/messages';
import {
  connectDevServer,
  motoEndpoint,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

const yaml = (desired: number, region = 'ap-south-1') => `clusters:
  - name: prod
    accountId: "123456789012"
    region: ${region}
    nodegroups:
      - { name: web, instanceTypes: [m5.large], businessHours: { min: 1, desired: ${desired}, max: 9 }, offHours: { min: 1, desired: 1, max: 9 } }
`;

/**
 * The config watcher on the dev server with the real activity against moto's SSM: a valid version
 * is applied, an invalid one is rejected with an alert naming the field while the previous version
 * stays in force, and a worker-side holder follows the applied version. The watcher polls every
 * second here; the last version is picked up by the check-now signal (`config push`, worker start)
 * well before the next poll. (On the time-skipping server, skipping an hour of one-minute polls
 * intermittently wedged that server under CI load: 'invalid history builder state for action'.)
 */
describe('configWatch (dev server, SSM on moto)', () => {
  const aws = testAwsFactory();
  const envName = uniqueName('cw');
  const name = `/eksflow/${envName}/config`;
  const ssm = aws.ssm({ accountId: '000000000000', region: 'us-east-1' });
  const eksflowEnv = readEnv({ EKSFLOW_ENV: envName, EKSFLOW_AWS_ENDPOINT: motoEndpoint() });
  const taskQueue = uniqueName('ts-cw');
  const alerts: AlertInput[] = [];
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;

  const put = (value: string) =>
    ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));
  const state = () => stack.client.workflow.getHandle(configWatchWorkflowId(envName)).query(configWatchStateQuery);
  async function until(pred: (s: ConfigWatchState) => boolean, withinMs = 30_000): Promise<ConfigWatchState> {
    const deadline = Date.now() + withinMs;
    let last: ConfigWatchState | undefined;
    while (Date.now() < deadline) {
      last = await state().catch(() => last);
      if (last && pred(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`watcher never got there: ${JSON.stringify(last)}`);
  }

  beforeAll(async () => {
    await put(yaml(2));
    stack = await connectDevServer();
    const config = testConfig({
      clusters: [
        {
          name: 'x',
          accountId: '123456789012',
          region: 'ap-south-1',
          nodegroups: [
            {
              name: 'n',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 1 },
              offHours: { min: 1, desired: 1, max: 1 },
            },
          ],
        },
      ],
    });
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
      deps: { env: eksflowEnv },
      extra: (deps) => ({
        activities: {
          ...createActivities(deps),
          raiseAlert: async (a: AlertInput) => {
            alerts.push(a);
            return { workflowId: `alert/${a.dedupKey}` };
          },
        },
      }),
    });
  });
  afterAll(async () => {
    await stack?.client.workflow
      .getHandle(configWatchWorkflowId(envName))
      .terminate('test done')
      .catch(() => undefined);
    await worker?.stop();
    await stack?.close();
  });

  it('applies valid versions, rejects an invalid one (alert names the field, previous stays), the holder follows', async () => {
    await ensureConfigWatch(stack.client, taskQueue, envName, 1);
    expect(await until((s) => s.applied === 1)).toMatchObject({ applied: 1, lastSeen: 1, rejected: [] });

    const holder = new ConfigHolder((await loadConfigFromStore(aws, eksflowEnv)).config, 1);
    const reload = startConfigReload({
      client: stack.client,
      aws,
      env: eksflowEnv,
      holder,
      everyMs: 3_600_000,
      log: () => {},
    });
    try {
      await put(yaml(5, 'mumbai'));
      const rejected = await until((s) => s.lastSeen === 2);
      expect(rejected).toMatchObject({ applied: 1, lastSeen: 2 });
      expect(rejected.rejected).toEqual([
        {
          version: 2,
          issues: [expect.stringMatching(/^clusters\[0\]\.region: an AWS region/)],
          at: expect.any(String),
        },
      ]);
      expect(alerts).toEqual([
        expect.objectContaining({
          type: 'config_invalid',
          severity: 'warning',
          dedupKey: `config-invalid/${envName}/2`,
        }),
      ]);
      expect(alerts[0]!.summary).toMatch(
        /version 2 is invalid and was not applied \(version 1 stays in force\): clusters\[0\]\.region/,
      );
      await reload.tick();
      expect(holder.version).toBe(1);
      expect(holder.current.clusters[0]!.nodegroups[0]!.businessHours.desired).toBe(2);

      await put(yaml(7));
      await ensureConfigWatch(stack.client, taskQueue, envName, 1); // as `config push` or a worker start would
      expect(await until((s) => s.applied === 3)).toMatchObject({ applied: 3, lastSeen: 3 });
      await reload.tick();
      expect(holder.version).toBe(3);
      expect(holder.current.clusters[0]!.nodegroups[0]!.businessHours.desired).toBe(7);
      expect(alerts).toHaveLength(1);
    } finally {
      reload.stop();
    }
  }, 120_000);

  it('checks at once on the check-now signal instead of at the next (hourly) poll', async () => {
    // A new watcher for the same parameter (now at version 3), polling hourly.
    const handle = stack.client.workflow.getHandle(configWatchWorkflowId(envName));
    await handle.terminate('restarted with an hourly poll').catch(() => undefined);
    await ensureConfigWatch(stack.client, taskQueue, envName, 3600);
    expect(await until((s) => s.applied === 3)).toMatchObject({ applied: 3, lastSeen: 3, rejected: [] });
    await put(yaml(4));
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await state()).lastSeen).toBe(3); // no poll for an hour
    await ensureConfigWatch(stack.client, taskQueue, envName, 3600);
    expect(await until((s) => s.applied === 4)).toMatchObject({ applied: 4, lastSeen: 4, rejected: [] });
  }, 60_000);
});
