import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import type { AwsClientFactory } from '../../src/aws/clients';
import type { EksflowConfig } from '../../src/config/schema';
import type { AlertInput } from '../../src/domain/alerts/types';
import { createTestWorker, createTimeSkippingEnv, testActivityDeps } from './stack';

/**
 * The time-skipping harness the night-shift workflow tests share: a test server, a client whose
 * calls do not skip time (`plain`, for starting a run and querying it mid-flight), the real
 * activities on moto, and, with `alerts`, `raiseAlert` replaced by a recorder (the alert workflow
 * has its own tests; here only what a run raises matters).
 */
export interface NightHarness {
  env: TestWorkflowEnvironment;
  plain: Client;
  deps: ActivityDeps;
  worker: Worker;
  stop(): Promise<void>;
}

export async function startNightHarness(opts: {
  config: EksflowConfig;
  taskQueue: string;
  aws: AwsClientFactory;
  /** When given, every alert a run raises is pushed here instead of starting an alert workflow. */
  alerts?: AlertInput[];
}): Promise<NightHarness> {
  const env = await createTimeSkippingEnv();
  const deps = testActivityDeps({ config: opts.config, client: env.client, taskQueue: opts.taskQueue, aws: opts.aws });
  const alerts = opts.alerts;
  const worker = await createTestWorker({
    connection: env.nativeConnection,
    taskQueue: opts.taskQueue,
    deps,
    ...(alerts
      ? {
          extra: {
            activities: {
              ...createActivities(deps),
              raiseAlert: async (a: AlertInput) => {
                alerts.push(a);
                return { workflowId: `alert/${a.dedupKey}` };
              },
            },
          },
        }
      : {}),
  });
  const running = worker.run();
  return {
    env,
    plain: new Client({ connection: env.connection }),
    deps,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}
