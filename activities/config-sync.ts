import type { ActivityDeps } from './deps';
import { configStore, configStoreTarget, parseConfigText } from '../src/config-sync/store';

export interface ConfigVersionCheck {
  name: string;
  /** 0 when nothing is stored. */
  version: number;
  valid: boolean;
  /** zod issues naming the fields (`clusters[0].region: …`) when invalid. */
  issues: string[];
  lastModified?: string;
}

/** Config sync: the watcher reads and validates the stored config's latest version. */
export function createConfigSyncActivities(deps: ActivityDeps) {
  async function readConfigVersion(): Promise<ConfigVersionCheck> {
    const store = configStore(deps.aws, configStoreTarget(deps.env), deps.env.EKSFLOW_ENV);
    const stored = await store.read();
    if (!stored) return { name: store.name, version: 0, valid: false, issues: ['nothing stored'] };
    const parsed = parseConfigText(stored.text, `${store.name}:${stored.version}`);
    return {
      name: store.name,
      version: stored.version,
      valid: parsed.ok,
      issues: parsed.ok ? [] : parsed.issues,
      lastModified: stored.lastModified,
    };
  }
  /** The version a night run pins at its start (null: the worker runs from a config file). */
  async function configVersionInForce(): Promise<number | null> {
    return deps.configVersion?.() ?? null;
  }
  return { readConfigVersion, configVersionInForce };
}
