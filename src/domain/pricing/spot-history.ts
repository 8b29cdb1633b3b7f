import { columnIndex, parseCsv } from './csv';

/** One price of a spot pool: `t` in epoch milliseconds, `price` in USD per instance-hour. */
export interface PricePoint {
  t: number;
  price: number;
}

/**
 * The price history of one spot pool (instance type × Availability Zone), ascending by time, one
 * point per price change as DescribeSpotPriceHistory reports it. Plain JSON, so it can cross an
 * activity boundary.
 */
export interface SpotPoolHistory {
  region: string;
  instanceType: string;
  availabilityZone: string;
  points: PricePoint[];
}

/** Linux spot prices are reported as "Linux/UNIX" or, for old accounts, "Linux/UNIX (Amazon VPC)". */
export function isLinuxProduct(description: string): boolean {
  return description.startsWith('Linux/UNIX');
}

export interface RawSpotPrice {
  region: string;
  instanceType: string;
  availabilityZone: string;
  productDescription: string;
  t: number;
  price: number;
}

/** Groups raw rows into pools, drops non-Linux rows and exact duplicates, and sorts each pool by time. */
export function groupSpotPrices(rows: RawSpotPrice[]): SpotPoolHistory[] {
  const pools = new Map<string, SpotPoolHistory>();
  for (const row of rows) {
    if (!isLinuxProduct(row.productDescription) || !Number.isFinite(row.price) || !Number.isFinite(row.t)) continue;
    const key = `${row.region}/${row.instanceType}/${row.availabilityZone}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = { region: row.region, instanceType: row.instanceType, availabilityZone: row.availabilityZone, points: [] };
      pools.set(key, pool);
    }
    pool.points.push({ t: row.t, price: row.price });
  }
  const out = [...pools.values()];
  for (const pool of out) {
    pool.points.sort((a, b) => a.t - b.t);
    pool.points = pool.points.filter((p, i, all) => i === 0 || p.t !== all[i - 1].t || p.price !== all[i - 1].price);
  }
  return out.sort((a, b) => (a.instanceType + a.availabilityZone).localeCompare(b.instanceType + b.availabilityZone));
}

/** Reads `timestamp,region,availability_zone,instance_type,product_description,spot_price_usd` CSV. */
export function parseSpotPriceCsv(text: string, source = 'spot price CSV'): SpotPoolHistory[] {
  const table = parseCsv(text);
  const col = (name: string) => columnIndex(table, name, source);
  const [ti, ri, ai, ii, di, pi] = [
    'timestamp',
    'region',
    'availability_zone',
    'instance_type',
    'product_description',
    'spot_price_usd',
  ].map(col);
  return groupSpotPrices(
    table.rows.map((cells) => ({
      t: Date.parse(cells[ti]),
      region: cells[ri],
      availabilityZone: cells[ai],
      instanceType: cells[ii],
      productDescription: cells[di],
      price: Number(cells[pi]),
    })),
  );
}

/**
 * Keeps the part of each history that matters for the window [start, end]: the last change at or
 * before `start` (the price in effect when the window opens — AWS's DescribeSpotPriceHistory returns
 * it too) and every change inside the window.
 */
export function clipToWindow(history: SpotPoolHistory, start: number, end: number): SpotPoolHistory {
  const points = history.points;
  let firstInside = points.findIndex((p) => p.t > start);
  if (firstInside < 0) firstInside = points.length;
  const carried = firstInside > 0 ? [points[firstInside - 1]] : [];
  const inside = points.slice(firstInside).filter((p) => p.t <= end);
  return { ...history, points: [...carried, ...inside] };
}
