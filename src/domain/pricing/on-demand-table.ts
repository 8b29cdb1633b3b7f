import { z } from 'zod';
import { columnIndex, parseCsv } from './csv';

/** One On-Demand Linux price as the shipped table (and the sandbox pricing server) know it. */
export interface OnDemandRow {
  region: string;
  instanceType: string;
  vcpu: number;
  memoryGiB: number;
  usdPerHour: number;
  /** The day the price was read from the AWS Pricing API by the table's source. */
  sourceDate: string;
}

const rowSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region'),
  instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, 'an EC2 instance type'),
  vcpu: z.number().positive(),
  memoryGiB: z.number().positive(),
  usdPerHour: z.number().positive(),
  sourceDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD'),
});

/** Parses `region,instance_type,vcpu,memory_gib,on_demand_usd_per_hour,source_date` rows, validating each. */
export function parseOnDemandCsv(text: string, source = 'on-demand price CSV'): OnDemandRow[] {
  const table = parseCsv(text);
  const col = (name: string) => columnIndex(table, name, source);
  const [ri, ti, vi, mi, pi, di] = [
    'region',
    'instance_type',
    'vcpu',
    'memory_gib',
    'on_demand_usd_per_hour',
    'source_date',
  ].map(col);
  return table.rows.map((cells, i) => {
    const parsed = rowSchema.safeParse({
      region: cells[ri],
      instanceType: cells[ti],
      vcpu: Number(cells[vi]),
      memoryGiB: Number(cells[mi]),
      usdPerHour: Number(cells[pi]),
      sourceDate: cells[di],
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${source} row ${i + 2}: ${String(issue.path[0])}: ${issue.message}`);
    }
    return parsed.data;
  });
}

/**
 * The fallback price table: used when the Pricing API cannot be reached, and always for instance
 * sizes (vCPU, memory), which the cost model needs whatever the price source.
 */
export class PriceTable {
  private readonly byKey = new Map<string, OnDemandRow>();
  private readonly specs = new Map<string, { vcpu: number; memoryGiB: number }>();

  constructor(readonly rows: OnDemandRow[]) {
    for (const row of rows) {
      this.byKey.set(`${row.region}/${row.instanceType}`, row);
      this.specs.set(row.instanceType, { vcpu: row.vcpu, memoryGiB: row.memoryGiB });
    }
  }

  price(region: string, instanceType: string): OnDemandRow | undefined {
    return this.byKey.get(`${region}/${instanceType}`);
  }

  spec(instanceType: string): { vcpu: number; memoryGiB: number } | undefined {
    return this.specs.get(instanceType);
  }

  /** Oldest source date among the rows, so a report states the most conservative "prices as of". */
  oldestSourceDate(): string | undefined {
    return this.rows.map((r) => r.sourceDate).sort()[0];
  }

  regions(): string[] {
    return [...new Set(this.rows.map((r) => r.region))].sort();
  }
}
