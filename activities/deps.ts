import type { AwsClientFactory } from '../src/aws/clients';
import type { EksflowConfig } from '../src/config/schema';
import type { EksflowEnv } from '../src/config/env';
import type { Client } from '@temporalio/client';
import type { AuditLog } from '../src/audit';
import type { EksflowMetrics } from '../src/metrics/registry';

/**
 * Everything activities need from the outside world, built once by the worker (or a test) and
 * handed in, so a test can point the same activity code at moto or at a local HTTP receiver.
 */
export interface ActivityDeps {
  aws: AwsClientFactory;
  config: EksflowConfig;
  /** The config version in force (config from Parameter Store); undefined with a config file. */
  configVersion?: () => number | undefined;
  env: EksflowEnv;
  /** Wall clock for activities (never used in workflows). Injected so tests can pin it. */
  now: () => Date;
  /** Where every applied mutation is recorded. */
  audit: AuditLog;
  /** Folder where reports (HTML/JSON) are written. */
  reportsDir: string;
  /** Temporal client for activities that start or signal other workflows (e.g. raising an alert). */
  temporal: { client: Client; taskQueue: string };
  /** Where activities record eksflow's metrics (the worker's registry); nothing is recorded when absent. */
  metrics?: EksflowMetrics;
}
