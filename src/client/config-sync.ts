import type { Client } from '@temporalio/client';
import type { AwsClientFactory } from '../aws/clients';
import type { EksflowEnv } from '../config/env';
import { ConfigError } from '../config/load';
import type { EksflowConfig } from '../config/schema';
import { configStore, configStoreTarget, loadConfigFromStore, parseConfigText } from '../config-sync/store';
import { lineDiff, renderDiff } from '../domain/config-sync/diff';
import { NotFoundError, ValidationError } from '../errors';
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

/**
 * The config a worker in ssm mode uses: swapped when the watcher applies a new valid version.
 * Earlier versions stay at hand (`at`) for runs pinned to them; one this worker never had is
 * loaded from Parameter Store (`load`) and validated like any other.
 */
export class ConfigHolder {
  private readonly known = new Map<number, EksflowConfig>();

  constructor(
    public current: EksflowConfig,
    public version: number,
    private readonly load?: (version: number) => Promise<EksflowConfig>,
  ) {}

  /** Applies a new version; the previous one stays available to runs pinned to it. */
  apply(config: EksflowConfig, version: number): void {
    this.remember(this.version, this.current);
    this.current = config;
    this.version = version;
  }

  async at(version: number): Promise<EksflowConfig> {
    if (version === this.version) return this.current;
    const hit = this.known.get(version);
    if (hit) return hit;
    if (!this.load) throw new NotFoundError(`config version ${version} is not known to this worker`);
    const config = await this.load(version);
    this.remember(version, config);
    return config;
  }

  private remember(version: number, config: EksflowConfig): void {
    this.known.set(version, config);
    // Runs last a night at most; a handful of versions covers every run still in flight.
    for (const k of [...this.known.keys()].sort((a, b) => a - b).slice(0, Math.max(0, this.known.size - 8)))
      this.known.delete(k);
  }
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
        opts.holder.apply(config, version);
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

export type ConfigStore = ReturnType<typeof configStore>;

/** The Parameter Store config of an environment (`envName`, or EKSFLOW_ENV); the name becomes part of the parameter name. */
export function configStoreFor(aws: AwsClientFactory, env: EksflowEnv, envName?: string): ConfigStore {
  if (envName !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(envName))
    throw new ValidationError(
      `env must be letters, digits, _ . - (it becomes part of an SSM parameter name), got "${envName}"`,
    );
  const e = envName ? { ...env, EKSFLOW_ENV: envName } : env;
  return configStore(aws, configStoreTarget(e), e.EKSFLOW_ENV);
}

export interface PulledConfig {
  name: string;
  version: number;
  text: string;
  lastModified?: string;
  /** Whether workers would apply it; `issues` name the fields when not. */
  valid: boolean;
  issues: string[];
}

/** The stored config (latest or `version`) with its validation; undefined when nothing is stored there. */
export async function pullConfig(store: ConfigStore, version?: number): Promise<PulledConfig | undefined> {
  let stored;
  try {
    stored = await store.read(version);
  } catch (err) {
    // Asking for a version that never existed is the caller's mistake, not an outage.
    if ((err as { name?: string }).name === 'ParameterVersionNotFound')
      throw new NotFoundError(`${store.name} has no version ${version}`);
    throw err;
  }
  if (!stored) return undefined;
  const parsed = parseConfigText(stored.text, `${store.name}:${stored.version}`);
  return {
    name: stored.name,
    version: stored.version,
    text: stored.text,
    ...(stored.lastModified ? { lastModified: stored.lastModified } : {}),
    valid: parsed.ok,
    issues: parsed.ok ? [] : parsed.issues,
  };
}

/** Validates config text and stores it (only when it differs); an invalid text is never pushed. */
export async function pushConfigText(
  store: ConfigStore,
  text: string,
  type: 'String' | 'SecureString',
  source: string,
): Promise<{ name: string; changed: boolean; version: number; previous?: number }> {
  const parsed = parseConfigText(text, source);
  if (!parsed.ok) throw new ConfigError(`${source} is invalid:\n  ${parsed.issues.join('\n  ')}`, parsed.issues);
  return { name: store.name, ...(await store.write(text, type)) };
}

/** How `localText` differs from the stored (latest) config: a line diff, empty when identical. */
export async function diffConfig(
  store: ConfigStore,
  localText: string,
): Promise<{ name: string; storedVersion?: number; identical: boolean; diff: string }> {
  const stored = await store.read();
  const diff = renderDiff(lineDiff(stored?.text ?? '', localText));
  return {
    name: store.name,
    ...(stored ? { storedVersion: stored.version } : {}),
    identical: stored !== undefined && diff === '',
    diff,
  };
}
