import { AsyncLocalStorage } from 'node:async_hooks';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { EksflowConfig } from '../config/schema';
import { CONFIG_VERSION_HEADER } from '../domain/config-sync/pin';

/** The config of the activity running now when its run pinned a version (see workflows/lib/config-pin.ts). */
export const pinnedConfig = new AsyncLocalStorage<EksflowConfig>();

/** Where the worker finds a version's config: the one in force, an earlier one kept, or Parameter Store. */
export interface ConfigVersions {
  at(version: number): Promise<EksflowConfig>;
}

/**
 * The worker's activity interceptor: an activity whose run pinned a config version runs with that
 * version's config (`deps.config` reads `pinnedConfig` first), even after a newer one was applied.
 */
export function configPinInterceptor(versions: ConfigVersions): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        const h = input.headers[CONFIG_VERSION_HEADER];
        if (!h) return next(input);
        const version = defaultPayloadConverter.fromPayload<number>(h);
        const config = await versions.at(version);
        return pinnedConfig.run(config, () => next(input));
      },
    },
  });
}
