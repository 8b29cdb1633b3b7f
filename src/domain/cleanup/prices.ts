/**
 * Monthly prices of what cleanup reclaims. The shared pricing data has instance prices only, so
 * EBS and public-IPv4 prices are this small table, copied from AWS's public pricing pages:
 *  - EBS volumes and snapshots: https://aws.amazon.com/ebs/pricing/ (US East (N. Virginia),
 *    read 2026-11): gp3 $0.08, gp2 $0.10, io1/io2 $0.125, st1 $0.045, sc1 $0.015,
 *    standard (magnetic) $0.05 per GB-month; snapshots (standard tier) $0.05 per GB-month.
 *  - Elastic IPs: https://aws.amazon.com/vpc/pricing/ — every public IPv4 address, associated
 *    or not, $0.005 per hour since 2024-02-01 (× 730 h = $3.65 per month).
 * Other regions use the us-east-1 figures and say so in the report (`priceRegion`).
 */
export const PRICE_SOURCE = 'aws.amazon.com/ebs/pricing and aws.amazon.com/vpc/pricing, us-east-1, read 2026-11';
export const PRICE_REGION = 'us-east-1';
export const HOURS_PER_MONTH = 730;

export const EBS_GB_MONTH_USD: Readonly<Record<string, number>> = {
  gp3: 0.08,
  gp2: 0.1,
  io1: 0.125,
  io2: 0.125,
  st1: 0.045,
  sc1: 0.015,
  standard: 0.05,
};
export const SNAPSHOT_GB_MONTH_USD = 0.05;
export const PUBLIC_IPV4_HOUR_USD = 0.005;

const cents = (usd: number) => Math.round(usd * 100) / 100;

export function volumeMonthlyUsd(volumeType: string, sizeGiB: number): number {
  return cents((EBS_GB_MONTH_USD[volumeType] ?? EBS_GB_MONTH_USD.gp2!) * sizeGiB);
}

/**
 * An upper bound: a snapshot is billed for the blocks it alone holds, which AWS does not report
 * per snapshot; the volume size is what a full (first) snapshot costs.
 */
export function snapshotMonthlyUsd(sizeGiB: number): number {
  return cents(SNAPSHOT_GB_MONTH_USD * sizeGiB);
}

export function elasticIpMonthlyUsd(): number {
  return cents(PUBLIC_IPV4_HOUR_USD * HOURS_PER_MONTH);
}

export function instanceMonthlyUsd(usdPerHour: number | undefined): number {
  return usdPerHour === undefined ? 0 : cents(usdPerHour * HOURS_PER_MONTH);
}
