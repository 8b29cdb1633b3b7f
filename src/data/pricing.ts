import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseOnDemandCsv, PriceTable, type OnDemandRow } from '../domain/pricing/on-demand-table';
import { SpotAdvisor } from '../domain/pricing/spot-advisor';

/**
 * Loaders of the price data shipped with eksflow (src/data/pricing/, provenance in its README).
 * The files are read here; src/domain/pricing only parses what it is handed.
 */
export const SHIPPED_PRICE_FILES = [
  join(__dirname, 'pricing', 'ec2-on-demand.csv'),
  join(__dirname, 'pricing', 'ec2-on-demand-graviton.csv'),
];
export const SHIPPED_ADVISOR_FILE = join(__dirname, 'pricing', 'spot-advisor.json');

export function loadOnDemandCsvFiles(paths: string[]): OnDemandRow[] {
  return paths.flatMap((p) => parseOnDemandCsv(readFileSync(p, 'utf8'), p));
}

/** The fallback On-Demand table (and instance sizes) shipped with eksflow. */
export function shippedPriceTable(): PriceTable {
  return new PriceTable(loadOnDemandCsvFiles(SHIPPED_PRICE_FILES));
}

/** The Spot Advisor extract shipped with eksflow. */
export function shippedSpotAdvisor(): SpotAdvisor {
  return SpotAdvisor.parse(JSON.parse(readFileSync(SHIPPED_ADVISOR_FILE, 'utf8')));
}
