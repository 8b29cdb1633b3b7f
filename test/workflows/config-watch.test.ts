import { PutParameterCommand } from '@aws-sdk/client-ssm';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
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
  createTestWorker,
  createTimeSkippingEnv,
  motoEndpoint,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
} from '../support/stack';

const yaml = (desired: number, region = 'ap-south-1') => `clusters:
  - name: prod
    accountId: "123456789012"
    region: ${region}
    nodegroups:
      - { name: web, instanceTypes: [m5.large], businessHours: { min: 1, desired: ${desired}, max: 9 }, offHours: { min: 1, desired: 1, max: 9 } }
`;

/**
 * The config watcher on the time-skipping server with the real activity against moto's SSM: a
 * valid version is applied, an invalid one is rejected with an alert naming the field while the
 * previous version stays in force, and a worker-side holder follows the applied version.
 */
describe('configWatch (time-skipping, SSM on moto)', () => {
  const aws = testAwsFactory();
  const envName = uniqueName('cw');
  const name = `/eksflow/${envName}/config`;
  const ssm = aws.ssm({ accountId: '000000000000', region: 'us-east-1' });
  const eksflowEnv = readEnv({ EKSFLOW_ENV: envName, EKSFLOW_AWS_ENDPOINT: motoEndpoint() });
  const taskQueue = uniqueName('ts-cw');
  const alerts: AlertInput[] = [];
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let deps: ActivityDeps;

  const put = (value: string) =>
    ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));
  const state = () => env.client.workflow.getHandle(configWatchWorkflowId(envName)).query(configWatchStateQuery);
  async function until(pred: (s: ConfigWatchState) => boolean): Promise<ConfigWatchState> {
    for (let i = 0; i < 100; i++) {
      const s = await state();
      if (pred(s)) return s;
      await env.sleep(60_000); // skips to the watcher's next poll
    }
    throw new Error('watcher never got there');
  }

  beforeAll(async () => {
    await put(yaml(2));
    env = await createTimeSkippingEnv();
    deps = {
      ...testActivityDeps({
        config: testConfig(
          JSON.parse(
            JSON.stringify({
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
            }),
          ),
        ),
        client: env.client,
        taskQueue,
        aws,
      }),
      env: eksflowEnv,
    };
    worker = await createTestWorker({
      connection: env.nativeConnection,
      taskQueue,
      deps,
      extra: {
        activities: {
          ...createActivities(deps),
          raiseAlert: async (a: AlertInput) => {
            alerts.push(a);
            return { workflowId: `alert/${a.dedupKey}` };
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

  it('applies valid versions, rejects an invalid one (alert names the field, previous stays), the holder follows', async () => {
    await ensureConfigWatch(env.client, taskQueue, envName, 60);
    expect(await until((s) => s.applied === 1)).toMatchObject({ applied: 1, lastSeen: 1, rejected: [] });

    const holder = new ConfigHolder((await loadConfigFromStore(aws, eksflowEnv)).config, 1);
    const reload = startConfigReload({
      client: env.client,
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
      await ensureConfigWatch(env.client, taskQueue, envName, 60); // as `config push` or a worker start would: check now
      expect(await until((s) => s.applied === 3)).toMatchObject({ applied: 3, lastSeen: 3 });
      await reload.tick();
      expect(holder.version).toBe(3);
      expect(holder.current.clusters[0]!.nodegroups[0]!.businessHours.desired).toBe(7);
      expect(alerts).toHaveLength(1);
    } finally {
      reload.stop();
      await env.client.workflow.getHandle(configWatchWorkflowId(envName)).terminate('test done');
    }
  });
});
