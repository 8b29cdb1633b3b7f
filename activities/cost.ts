import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { parseInput } from './input';
import { RISK_LEVELS } from '../src/domain/pricing/spot-advisor';
import { createAnalysisDeps, runCostAnalysis, runSpotAnalysis, type PlacementAsk } from '../src/report/analysis';
import { summariseCostRun, summariseSpotRun, type CostRunSummary, type SpotRunSummary } from '../src/report/summary';
import type { CostReport } from '../src/report/types';
import { writeReport } from '../src/report/write';
import type { NamespaceCostSection } from '../src/report/types';
import { splitByNamespace } from '../src/domain/cost/namespace-split';
import { cpuMillis, memoryBytes } from '../src/domain/scaling/k8s-quantity';
import { kubernetesGateways } from './kubernetes';

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
const costInputSchema = z.object({ hours: hoursSchema }).strict();
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
const spotInputSchema = z.object({ hours: hoursSchema, placements: z.array(placementSchema).max(20).optional() }).strict();

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
    const split = await namespaceCosts(report.cost.clusters);
    if (split.sections.length) report.namespaceCosts = split.sections;
    report.problems.push(...split.problems);
    return summariseCostRun(report, await writeReport(deps.reportsDir, report));
  }

  async function buildSpotReport(input: SpotOptimizationInput = {}): Promise<SpotRunSummary> {
    const args = parseInput(spotInputSchema, input ?? {}, 'buildSpotReport');
    const report = await runSpotAnalysis(analysis, args);
    return summariseSpotRun(report, await writeReport(deps.reportsDir, report));
  }

  /**
   * Splits each priced node group's monthly cost by namespace from the running pods' requests,
   * for clusters whose Kubernetes API is configured. A cluster whose API cannot be read is a
   * problem in the report, not a failed report.
   */
  async function namespaceCosts(clusters: CostReport['cost']['clusters']): Promise<{ sections: NamespaceCostSection[]; problems: string[] }> {
    const sections: NamespaceCostSection[] = [];
    const problems: string[] = [];
    for (const cc of clusters) {
      const cluster = deps.config.clusters.find((c) => c.name === cc.cluster && c.accountId === cc.accountId && c.region === cc.region);
      if (!cluster?.kubernetes) continue;
      try {
        const gw = await kubernetesGateways(deps).forCluster(cluster);
        const [nodes, pods] = await Promise.all([gw.listNodes(), gw.listPods({ fieldSelector: 'status.phase=Running' })]);
        for (const ng of cc.nodegroups.filter((n) => n.priced)) {
          const members = nodes.filter((n) => n.metadata?.labels?.['eks.amazonaws.com/nodegroup'] === ng.nodegroup);
          if (members.length === 0) continue;
          const names = new Set(members.map((n) => n.metadata?.name));
          const allocatable = members.reduce((a, n) => ({
            cpuMillis: a.cpuMillis + cpuMillis(n.status?.allocatable?.cpu), memoryBytes: a.memoryBytes + memoryBytes(n.status?.allocatable?.memory),
          }), { cpuMillis: 0, memoryBytes: 0 });
          const requests = pods.filter((p) => names.has(p.spec?.nodeName)).map((p) => ({
            namespace: p.metadata?.namespace ?? 'default',
            cpuMillis: (p.spec?.containers ?? []).reduce((s, c) => s + cpuMillis(c.resources?.requests?.cpu), 0),
            memoryBytes: (p.spec?.containers ?? []).reduce((s, c) => s + memoryBytes(c.resources?.requests?.memory), 0),
          }));
          sections.push({ cluster: cc.cluster, nodegroup: ng.nodegroup, monthly: ng.monthly, split: splitByNamespace(ng.monthly, allocatable, requests) });
        }
      } catch (err) {
        problems.push(`cost by namespace for ${cc.cluster}: Kubernetes API not readable: ${(err as Error).message}`);
      }
    }
    return { sections, problems };
  }

  return { buildCostReport, buildSpotReport };
}
