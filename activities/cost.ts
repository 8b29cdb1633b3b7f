import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { parseInput } from './input';
import { RISK_LEVELS } from '../src/domain/pricing/spot-advisor';
import {
  createAnalysisDeps,
  runCostAnalysis,
  runSpotAnalysis,
  spotGroupOutlook,
  type PlacementAsk,
  type SpotGroupOutlook,
} from '../src/report/analysis';
import { summariseCostRun, summariseSpotRun, type CostRunSummary, type SpotRunSummary } from '../src/report/summary';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeReport } from '../src/report/write';
import { reportUrl } from '../src/domain/reports/link';
import type { WrittenReport } from '../src/report/types';
import { recordMutation } from './audit';
import { putReportObject } from './gateways/reports';
import type { CostReport } from '../src/report/types';
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

const hoursSchema = z
  .number()
  .int()
  .min(1)
  .max(24 * 90)
  .optional();
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
export const spotInputSchema = z
  .object({ hours: hoursSchema, placements: z.array(placementSchema).max(20).optional() })
  .strict();

const spotGroupOutlookSchema = z
  .object({
    region: z.string().min(1),
    instanceTypes: z
      .array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/))
      .min(1)
      .max(50),
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
  const analysis = createAnalysisDeps({
    aws: deps.aws,
    config: deps.config,
    now: deps.now,
    pricingEndpoint: deps.env.EKSFLOW_PRICING_ENDPOINT,
  });

  /**
   * Copies the written report to the report bucket (when configured) and returns the link a
   * person opens: the ingress's `GET /reports/:id` with a per-report token, never a worker path.
   */
  async function publish(files: WrittenReport): Promise<{ url?: string; objects?: string[] }> {
    const id = basename(files.htmlPath, '.html');
    const env = deps.env;
    let objects: string[] | undefined;
    if (env.EKSFLOW_REPORTS_BUCKET) {
      const bucket = {
        s3: deps.aws.reportsS3(env.EKSFLOW_REPORTS_REGION),
        bucket: env.EKSFLOW_REPORTS_BUCKET,
        kmsKeyId: env.EKSFLOW_REPORTS_KMS_KEY_ID,
      };
      objects = [
        await putReportObject(bucket, id, 'html', await readFile(files.htmlPath, 'utf8')),
        await putReportObject(bucket, id, 'json', await readFile(files.jsonPath, 'utf8')),
      ];
      recordMutation(deps.audit, 'put-report', `s3://${bucket.bucket}/reports/${id}`, { objects });
    }
    const url = env.EKSFLOW_INGRESS_TOKEN
      ? reportUrl(
          env.EKSFLOW_PUBLIC_URL ?? `http://localhost:${env.EKSFLOW_INGRESS_PORT}`,
          env.EKSFLOW_INGRESS_TOKEN,
          id,
        )
      : undefined;
    return { url, objects };
  }

  async function buildCostReport(input: CostAnalysisInput = {}): Promise<CostRunSummary> {
    const args = parseInput(costInputSchema, input ?? {}, 'buildCostReport');
    const report = await runCostAnalysis(analysis, args);
    const split = await namespaceCosts(report.cost.clusters);
    if (split.sections.length) report.namespaceCosts = split.sections;
    report.problems.push(...split.problems);
    const files = await writeReport(deps.reportsDir, report);
    return { ...summariseCostRun(report, files), ...(await publish(files)) };
  }

  async function buildSpotReport(input: SpotOptimizationInput = {}): Promise<SpotRunSummary> {
    const args = parseInput(spotInputSchema, input ?? {}, 'buildSpotReport');
    const report = await runSpotAnalysis(analysis, args);
    const files = await writeReport(deps.reportsDir, report);
    return { ...summariseSpotRun(report, files), ...(await publish(files)) };
  }

  /** Before a spot group's scale-up: predicted prices 24 h ahead vs the ceiling, and where to diversify. */
  async function checkSpotGroupOutlook(input: SpotGroupOutlookInput): Promise<SpotGroupOutlook> {
    const args = parseInput(spotGroupOutlookSchema, input, 'checkSpotGroupOutlook');
    return spotGroupOutlook(analysis, args);
  }

  /**
   * Splits each priced node group's monthly cost by namespace from the running pods' requests,
   * for clusters whose Kubernetes API is configured. A cluster whose API cannot be read is a
   * problem in the report, not a failed report.
   */
  async function namespaceCosts(
    clusters: CostReport['cost']['clusters'],
  ): Promise<{ sections: NamespaceCostSection[]; problems: string[] }> {
    const sections: NamespaceCostSection[] = [];
    const problems: string[] = [];
    for (const cc of clusters) {
      const cluster = deps.config.clusters.find(
        (c) => c.name === cc.cluster && c.accountId === cc.accountId && c.region === cc.region,
      );
      if (!cluster?.kubernetes) continue;
      try {
        const gw = await kubernetesGateways(deps).forCluster(cluster);
        const [nodes, pods] = await Promise.all([
          gw.listNodes(),
          gw.listPods({ fieldSelector: 'status.phase=Running' }),
        ]);
        for (const ng of cc.nodegroups.filter((n) => n.priced)) {
          const members = nodes.filter((n) => n.metadata?.labels?.['eks.amazonaws.com/nodegroup'] === ng.nodegroup);
          if (members.length === 0) continue;
          const names = new Set(members.map((n) => n.metadata?.name));
          const allocatable = members.reduce(
            (a, n) => ({
              cpuMillis: a.cpuMillis + cpuMillis(n.status?.allocatable?.cpu),
              memoryBytes: a.memoryBytes + memoryBytes(n.status?.allocatable?.memory),
            }),
            { cpuMillis: 0, memoryBytes: 0 },
          );
          const requests = pods
            .filter((p) => names.has(p.spec?.nodeName))
            .map((p) => ({
              namespace: p.metadata?.namespace ?? 'default',
              cpuMillis: (p.spec?.containers ?? []).reduce((s, c) => s + cpuMillis(c.resources?.requests?.cpu), 0),
              memoryBytes: (p.spec?.containers ?? []).reduce(
                (s, c) => s + memoryBytes(c.resources?.requests?.memory),
                0,
              ),
            }));
          sections.push({
            cluster: cc.cluster,
            nodegroup: ng.nodegroup,
            monthly: ng.monthly,
            split: splitByNamespace(ng.monthly, allocatable, requests),
          });
        }
      } catch (err) {
        problems.push(`cost by namespace for ${cc.cluster}: Kubernetes API not readable: ${(err as Error).message}`);
      }
    }
    return { sections, problems };
  }

  return { buildCostReport, buildSpotReport, checkSpotGroupOutlook };
}
