import type { Client } from '@temporalio/client';
import type { AwsClientFactory } from '../aws/clients';
import type { EksflowEnv } from '../config/env';
import type { EksflowConfig } from '../config/schema';
import { loadConfigFromStore } from '../config-sync/store';
import {
  configCheckSignal,
  configWatchStateQuery,
  configWatchWorkflowId,
  type ConfigWatchInput,
  type ConfigWatchState,
} from '../../workflows/config-sync/messages';

/** Starts the env's config watcher if it is not running, and asks it to check the parameter now. */
export async function ensureConfigWatch(
  client: Client,
  taskQueue: string,
  env: string,
  pollSeconds?: number,
): Promise<string> {
  const workflowId = configWatchWorkflowId(env);
  await client.workflow.signalWithStart<(i: ConfigWatchInput) => Promise<never>, []>('configWatch', {
    workflowId,
    taskQueue,
    args: [{ env, ...(pollSeconds ? { pollSeconds } : {}) }],
    signal: configCheckSignal,
    signalArgs: [],
  });
  return workflowId;
}

export async function configWatchState(client: Client, env: string): Promise<ConfigWatchState | undefined> {
  try {
    return await client.workflow.getHandle(configWatchWorkflowId(env)).query(configWatchStateQuery);
  } catch {
    return undefined;
  }
}

/** The config a worker in ssm mode uses: swapped when the watcher applies a new valid version. */
export class ConfigHolder {
  constructor(
    public current: EksflowConfig,
    public version: number,
  ) {}
}

/**
 * Keeps a worker's config at the watcher's applied version: every `everyMs`, asks the watcher;
 * when it names a newer version, loads exactly that version (validated again) and swaps it in.
 * Activities read `deps.config` per call, so new activity calls see the new version.
 */
export function startConfigReload(opts: {
  client: Client;
  aws: AwsClientFactory;
  env: EksflowEnv;
  holder: ConfigHolder;
  everyMs: number;
  log: (msg: string) => void;
}): { stop(): void; tick(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    try {
      const state = await configWatchState(opts.client, opts.env.EKSFLOW_ENV);
      if (state?.applied && state.applied !== opts.holder.version) {
        const { config, version } = await loadConfigFromStore(opts.aws, opts.env, state.applied);
        opts.holder.current = config;
        opts.holder.version = version;
        opts.log(`config version ${version} applied`);
      }
    } catch (err) {
      opts.log(`config reload: ${(err as Error).message}`);
    }
  };
  const loop = async () => {
    await tick();
    if (!stopped) timer = setTimeout(() => void loop(), opts.everyMs);
  };
  timer = setTimeout(() => void loop(), opts.everyMs);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    tick,
  };
}
