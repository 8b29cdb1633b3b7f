import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readEnv, type EksflowEnv } from '../config/env';

/**
 * The read-only evaluation data folder (NAB series, spot price history, price tables). Production
 * never needs it; the ML evaluation, the benchmarks and some tests do. One way to find it and one
 * way to fail when it is absent, everywhere.
 */
export const DEFAULT_SHARED_DATA = resolve(__dirname, '..', '..', '..', 'shared', 'data');

/** EKSFLOW_SHARED_DATA (through src/config/env.ts), else `../shared/data` beside the repository. */
export function sharedDataDir(env: Pick<EksflowEnv, 'EKSFLOW_SHARED_DATA'> = readEnv()): string {
  return env.EKSFLOW_SHARED_DATA ? resolve(env.EKSFLOW_SHARED_DATA) : DEFAULT_SHARED_DATA;
}

export class SharedDataMissingError extends Error {
  override readonly name = 'SharedDataMissingError';
}

/**
 * A path inside the shared data folder; throws a SharedDataMissingError naming the folder (and
 * how to point eksflow at it) when the folder or the file is not there.
 */
export function sharedDataPath(parts: string[], env?: Pick<EksflowEnv, 'EKSFLOW_SHARED_DATA'>): string {
  const dir = sharedDataDir(env);
  const path = join(dir, ...parts);
  if (!existsSync(dir)) {
    throw new SharedDataMissingError(
      `the shared evaluation data folder ${dir} does not exist: put the read-only data at ../shared/data beside the repository, or set EKSFLOW_SHARED_DATA to its folder`,
    );
  }
  if (!existsSync(path))
    throw new SharedDataMissingError(`${join(...parts)} is missing from the shared evaluation data folder ${dir}`);
  return path;
}
