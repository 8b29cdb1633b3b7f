import { PutParameterCommand } from '@aws-sdk/client-ssm';
import {
  configWatchStateQuery,
  configWatchWorkflowId,
  type ConfigWatchState,
} from '../../workflows/config-sync/messages';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { connectDevServer, testAwsFactory, uniqueName } from '../support/stack';

const yaml = (region: string) => `clusters:
  - name: prod
    accountId: "123456789012"
    region: ${region}
    nodegroups:
      - { name: web, instanceTypes: [m5.large], businessHours: { min: 1, desired: 2, max: 3 }, offHours: { min: 1, desired: 1, max: 3 } }
`;

/** The real worker process in EKSFLOW_CONFIG_SOURCE=ssm mode against moto's Parameter Store. */
describe('worker with its config in Parameter Store', () => {
  const envName = uniqueName('cfgw');
  const taskQueue = uniqueName('it-cfgw');
  const ssm = testAwsFactory().ssm({ accountId: '000000000000', region: 'us-east-1' });
  const put = (v: string) =>
    ssm.send(
      new PutParameterCommand({ Name: `/eksflow/${envName}/config`, Value: v, Type: 'SecureString', Overwrite: true }),
    );
  const env = { EKSFLOW_CONFIG_SOURCE: 'ssm', EKSFLOW_ENV: envName, EKSFLOW_CONFIG_RELOAD_SECONDS: '1' };
  let worker: WorkerProcess | undefined;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;

  beforeAll(async () => {
    stack = await connectDevServer();
  });
  afterAll(async () => {
    await worker?.stop();
    await stack.client.workflow
      .getHandle(configWatchWorkflowId(envName))
      .terminate('test done')
      .catch(() => undefined);
    await stack.close();
  });

  it('refuses to start without a stored config, or with an invalid one (the field named)', async () => {
    await expect(spawnWorkerProcess({ config: {}, taskQueue, env })).rejects.toThrow(
      new RegExp(`exited with 2[\\s\\S]*no config in Parameter Store at /eksflow/${envName}/config`),
    );
    await put(yaml('mumbai'));
    await expect(spawnWorkerProcess({ config: {}, taskQueue, env })).rejects.toThrow(
      /exited with 2[\s\S]*:1 is invalid:[\s\S]*clusters\[0\]\.region: an AWS region/,
    );
  }, 150_000);

  it('starts from a valid version and runs the config watcher, which applies it', async () => {
    await put(yaml('ap-south-1'));
    worker = await spawnWorkerProcess({ config: {}, taskQueue, env });
    expect(worker.output()).toMatch(/config from Parameter Store/);
    const handle = stack.client.workflow.getHandle(configWatchWorkflowId(envName));
    let s: ConfigWatchState | undefined;
    for (let i = 0; i < 100 && s?.applied !== 2; i++) {
      s = await handle.query(configWatchStateQuery).catch(() => undefined);
      if (s?.applied !== 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(s).toMatchObject({ applied: 2, lastSeen: 2, rejected: [] });
  }, 150_000);
});
