import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { parseInput } from './input';
import { RISK_LEVELS } from '../src/domain/pricing/spot-advisor';
import { createAnalysisDeps, runCostAnalysis, runSpotAnalysis, spotGroupOutlook, type PlacementAsk, type SpotGroupOutlook } from '../src/report/analysis';
import { summariseCostRun, summariseSpotRun, type CostRunSummary, type SpotRunSummary } from '../src/report/summary';
import { writeReport } from '../src/report/write';

export interface CostAnalysisInput {
  /** Spot history look-back in hours (default 168). */
  hours?: number;
}

export interface SpotOptimizationInput {
  hours?: number;
  /** Placements to plan; an example request per region when absent. */
  placements?: PlacementAsk[];
}

const hoursSchema = z.number().int().min(1).max(24 * 90).optional();
export const costInputSchema = z.object({ hours: hoursSchema }).strict();
const placementSchema = z
  .object({
    region: z.string().optional(),
    vcpu: z.number().positive(),
    memoryGiB: z.number().positive(),
    count: z.number().int().min(1).max(10_000),
    maxRisk: z.enum(RISK_LEVELS),
    maxPoolShare: z.number().gt(0).max(1).optional(),
    maxAzShare: z.number().gt(0).max(1).optional(),
    fallbackHours: z.number().min(0).optional(),
  })
  .strict();
export const spotInputSchema = z.object({ hours: hoursSchema, placements: z.array(placementSchema).max(20).optional() }).strict();

const spotGroupOutlookSchema = z
  .object({
    region: z.string().min(1),
    instanceTypes: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/)).min(1).max(50),
    count: z.number().int().min(0).max(10_000),
    ceiling: z.number().gt(0).max(2),
    hours: hoursSchema,
  })
  .strict();
export type SpotGroupOutlookInput = z.input<typeof spotGroupOutlookSchema>;

/**
 * The 10:00 cost analysis and the 11:00 spot optimization. Each fetches prices, computes in
 * src/domain, writes JSON + HTML into the reports folder and returns a small summary for the
 * workflow (and its notification). Missing prices end up as messages in the report, not as
 * failures; a failure here is a real one (e.g. the reports folder is not writable) and is retried.
 */
export function createCostActivities(deps: ActivityDeps) {
  // One per worker: the On-Demand price cache (per day) lives as long as the worker.
  const analysis = createAnalysisDeps({ aws: deps.aws, config: deps.config, now: deps.now, pricingEndpoint: deps.env.EKSFLOW_PRICING_ENDPOINT });

  async function buildCostReport(input: CostAnalysisInput = {}): Promise<CostRunSummary> {
    const args = parseInput(costInputSchema, input ?? {}, 'buildCostReport');
    const report = await runCostAnalysis(analysis, args);
    return summariseCostRun(report, await writeReport(deps.reportsDir, report));
  }

  async function buildSpotReport(input: SpotOptimizationInput = {}): Promise<SpotRunSummary> {
    const args = parseInput(spotInputSchema, input ?? {}, 'buildSpotReport');
    const report = await runSpotAnalysis(analysis, args);
    return summariseSpotRun(report, await writeReport(deps.reportsDir, report));
  }

  /** Before a spot group's scale-up: predicted prices 24 h ahead vs the ceiling, and where to diversify. */
  async function checkSpotGroupOutlook(input: SpotGroupOutlookInput): Promise<SpotGroupOutlook> {
    const args = parseInput(spotGroupOutlookSchema, input, 'checkSpotGroupOutlook');
    return spotGroupOutlook(analysis, args);
  }

  return { buildCostReport, buildSpotReport, checkSpotGroupOutlook };
}
