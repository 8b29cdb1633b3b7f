import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { CostAnalysisInput, SpotOptimizationInput } from '../../activities/cost';
import { istDate } from '../../src/domain/timetable/ist';
import type { CostRunSummary, SpotRunSummary } from '../../src/report/summary';
import { raiseAlert } from '../lib/alerts';
import { failureMessage } from '../lib/failures';
import { compute } from '../lib/presets';

const { buildCostReport, buildSpotReport } = proxyActivities<Activities>(compute);

export type CostAnalysisResult = CostRunSummary & { notified: boolean };
export type SpotOptimizationResult = SpotRunSummary & { notified: boolean };

async function announce(kind: 'cost' | 'spot', summary: CostRunSummary | SpotRunSummary): Promise<boolean> {
  try {
    await raiseAlert({
      severity: 'info',
      type: kind === 'cost' ? 'cost_report' : 'spot_report',
      dedupKey: `${kind}-report/${istDate(Date.parse(summary.generatedAt))}`,
      summary: summary.headline,
      details: {
        report: summary.url ?? summary.htmlPath,
        json: summary.jsonPath,
        problems: summary.problems,
        pricingApiReachable: summary.pricingApiReachable ?? 'not asked',
      },
      // The ingress link (backed by the report bucket); a worker-local path only when no ingress is set up.
      links: [
        { label: kind === 'cost' ? 'Cost report' : 'Spot report', url: summary.url ?? `file://${summary.htmlPath}` },
      ],
    });
    return true;
  } catch (err) {
    // The report is written either way; a notification outage must not turn the run red.
    log.warn('report notification failed', { kind, error: failureMessage(err) });
    return false;
  }
}

/** 10:00 IST: fleet cost under the timetable, savings realised, recommendations; HTML + JSON report. */
export async function costAnalysis(input: CostAnalysisInput = {}): Promise<CostAnalysisResult> {
  const summary = await buildCostReport(input);
  return { ...summary, notified: await announce('cost', summary) };
}

/** 11:00 IST: spot opportunities per type × AZ, placement, HTML + JSON report. */
export async function spotOptimization(input: SpotOptimizationInput = {}): Promise<SpotOptimizationResult> {
  const summary = await buildSpotReport(input);
  return { ...summary, notified: await announce('spot', summary) };
}
