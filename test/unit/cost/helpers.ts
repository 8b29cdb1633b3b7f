import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The read-only evaluation data beside the repository (EKSFLOW_SHARED_DATA overrides). */
export function sharedData(...parts: string[]): string {
  const base = process.env.EKSFLOW_SHARED_DATA ? resolve(process.env.EKSFLOW_SHARED_DATA) : resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
  return join(base, ...parts);
}

export const SPOT_CSV = sharedData('spot-prices', 'spot_prices_us-east-1.csv');
export const hasSharedData = existsSync(SPOT_CSV);
