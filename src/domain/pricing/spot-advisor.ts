import { z } from 'zod';

/**
 * Interruption risk as the original design's opportunity score names it. AWS's Spot Advisor gives
 * five frequency buckets; they map onto these labels (see `riskFromBucket`). `unknown` is used when
 * AWS publishes no bucket for a type in a region.
 */
export const RISK_LEVELS = ['low', 'medium', 'high', 'very_high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export type InterruptionRisk = RiskLevel | 'unknown';

export interface InterruptionInfo {
  risk: InterruptionRisk;
  /** Spot Advisor bucket index 0..4, absent when unknown. */
  bucket?: number;
  /** AWS's label of the bucket, e.g. "10-15%". */
  label: string;
  /** AWS's own estimate of savings over On-Demand, percent. */
  advisorSavingsPercent?: number;
  /**
   * Expected monthly interruption frequency used for expected cost (the bucket's midpoint; 25% for
   * ">20%"; AWS's global average of about 10% when unknown).
   */
  expectedInterruptionRate: number;
}

/**
 * Buckets 0 (<5%) → low; 1–2 (5–15%, around AWS's global average of <10%) → medium;
 * 3 (15–20%) → high; 4 (>20%) → very_high. Documented in docs of the spot optimizer.
 */
export function riskFromBucket(bucket: number): RiskLevel {
  if (bucket <= 0) return 'low';
  if (bucket <= 2) return 'medium';
  if (bucket === 3) return 'high';
  return 'very_high';
}

const BUCKET_MIDPOINT = [0.025, 0.075, 0.125, 0.175, 0.25];
const UNKNOWN_RATE = 0.1;

/** Orders risks for "at most this risk" comparisons; unknown ranks above high (we do not know). */
export function riskRank(risk: InterruptionRisk): number {
  return { low: 0, medium: 1, high: 2, unknown: 2.5, very_high: 3 }[risk];
}

const advisorSchema = z.object({
  global_rate: z.string(),
  ranges: z.array(z.object({ index: z.number().int(), label: z.string(), max: z.number() })).min(1),
  instance_types: z.record(z.string(), z.object({ cores: z.number(), ram_gb: z.number() })),
  spot_advisor: z.record(
    z.string(),
    z.record(z.string(), z.record(z.string(), z.object({ s: z.number(), r: z.number().int() }))),
  ),
});
export type SpotAdvisorData = z.infer<typeof advisorSchema>;

export class SpotAdvisor {
  constructor(private readonly data: SpotAdvisorData) {}

  /** Parses AWS's `spot-advisor-data.json` shape (or the shipped extract of it). */
  static parse(raw: unknown): SpotAdvisor {
    const parsed = advisorSchema.safeParse(raw);
    if (!parsed.success)
      throw new Error(
        `spot advisor data is invalid: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`,
      );
    return new SpotAdvisor(parsed.data);
  }

  interruption(region: string, instanceType: string): InterruptionInfo {
    const entry = this.data.spot_advisor[region]?.Linux?.[instanceType];
    if (!entry) {
      return { risk: 'unknown', label: 'no Spot Advisor data', expectedInterruptionRate: UNKNOWN_RATE };
    }
    const range = this.data.ranges.find((r) => r.index === entry.r);
    return {
      risk: riskFromBucket(entry.r),
      bucket: entry.r,
      label: range?.label ?? `bucket ${entry.r}`,
      advisorSavingsPercent: entry.s,
      expectedInterruptionRate: BUCKET_MIDPOINT[Math.min(Math.max(entry.r, 0), 4)],
    };
  }

  /** Instance types with a Linux entry in the region. */
  typesIn(region: string): string[] {
    return Object.keys(this.data.spot_advisor[region]?.Linux ?? {}).sort();
  }

  spec(instanceType: string): { vcpu: number; memoryGiB: number } | undefined {
    const t = this.data.instance_types[instanceType];
    return t ? { vcpu: t.cores, memoryGiB: t.ram_gb } : undefined;
  }
}
