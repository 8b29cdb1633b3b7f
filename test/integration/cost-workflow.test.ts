import { createCostActivities } from '../../activities/cost';
import type { AlertInput } from '../../src/domain/alerts/types';
import { startPricingServer, type PricingServer } from '../../src/sandbox/pricing-server';
import { costAnalysis, spotOptimization } from '../../workflows';
import {
  connectDevServer,
  startTestWorker,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

/**
 * The 10:00 and 11:00 workflows on the dev server with the real cost activities (moto + the local
 * pricing server); the alert hand-over is replaced by a recorder so the test sees what would be
 * announced without running the escalation machinery.
 */
describe('costAnalysis and spotOptimization workflows', () => {
  const taskQueue = uniqueName('it-cost');
  const alerts: AlertInput[] = [];
  let pricing: PricingServer;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;

  beforeAll(async () => {
    pricing = await startPricingServer();
    stack = await connectDevServer();
    const config = testConfig({
      clusters: [
        {
          name: uniqueName('wf-cost'),
          accountId: '123456789012',
          region: 'us-east-1',
          nodegroups: [
            {
              name: 'web',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 4, max: 6 },
              offHours: { min: 1, desired: 1, max: 6 },
            },
          ],
        },
      ],
    });
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws: testAwsFactory({ pricingEndpoint: pricing.url }),
      extra: (deps) => ({
        activities: {
          ...createCostActivities(deps),
          raiseAlert: async (alert: AlertInput) => {
            alerts.push(alert);
          },
        },
      }),
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await pricing?.close();
  });

  it('costAnalysis writes the report and announces it with a link (severity info)', async () => {
    const result = await stack.client.workflow.execute(costAnalysis, {
      taskQueue,
      workflowId: uniqueName('cost-analysis'),
      args: [{ hours: 24 }],
    });
    expect(result).toMatchObject({ kind: 'cost', notified: true, clusters: 1, pricingApiReachable: true });
    expect(result.monthlyCostUsd).toBeGreaterThan(0);
    expect(result.htmlPath.startsWith(worker.deps.reportsDir)).toBe(true);
    const alert = alerts.find((a) => a.type === 'cost_report')!;
    expect(alert).toMatchObject({
      severity: 'info',
      summary: result.headline,
      links: [{ label: 'Cost report', url: `file://${result.htmlPath}` }],
    });
    expect(alert.dedupKey).toMatch(/^cost-report\/\d{4}-\d{2}-\d{2}$/);
    // Workflow results are plain JSON.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('spotOptimization scores pools and announces the report', async () => {
    const result = await stack.client.workflow.execute(spotOptimization, {
      taskQueue,
      workflowId: uniqueName('spot-optimization'),
      args: [{ hours: 24 }],
    });
    expect(result).toMatchObject({ kind: 'spot', notified: true });
    expect(result.poolsScored).toBeGreaterThan(0);
    expect(alerts.some((a) => a.type === 'spot_report' && a.links?.[0]?.url === `file://${result.htmlPath}`)).toBe(
      true,
    );
  });
});
