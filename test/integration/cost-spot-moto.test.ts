import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstanceTypeOfferingsCommand } from '@aws-sdk/client-ec2';
import type { Client } from '@temporalio/client';
import { createCostActivities } from '../../activities/cost';
import type { ActivityDeps } from '../../activities/deps';
import { AuditLog } from '../../src/audit';
import { readEnv } from '../../src/config/env';
import { fetchSpotPriceHistory } from '../../activities/gateways/spot-prices';
import { createAnalysisDeps, spotGroupOutlook } from '../../src/report/analysis';
import { ec2SpotHistory } from '../../src/report/spot-sources';
import { startPricingServer, type PricingServer } from '../../src/sandbox/pricing-server';
import type { CostReport, SpotReport } from '../../src/report/types';
import { testAwsFactory, testConfig } from '../support/stack';

/**
 * moto's DescribeSpotPriceHistory is a stub: one row per offered (type, AZ), price 0.00001, a
 * fixed 2006 timestamp, product "Linux/UNIX (Amazon VPC)", no pagination, unknown types ignored.
 * So these tests check what only the real SDK against a real server can: the request is accepted,
 * the answer is parsed into one pool per offered AZ (cross-checked with moto's instance type
 * offerings), a price older than the window counts as the price in effect, and the whole report
 * path (Pricing API server + EC2 + files) runs end to end, bad input included. The numbers of the
 * spot analysis are tested on the real recorded history in test/unit/cost.
 */
describe('spot history from moto through the real EC2 client, and the report pipeline', () => {
  let pricing: PricingServer;
  const target = { accountId: '123456789012', region: 'us-east-1' };
  const now = new Date('2026-07-21T05:30:00Z'); // 11:00 IST

  beforeAll(async () => {
    pricing = await startPricingServer();
  });
  afterAll(() => pricing.close());

  it('returns one pool per AZ that offers the type, at the price in effect (older than the window)', async () => {
    const aws = testAwsFactory();
    const ec2 = aws.ec2(target);
    const histories = await fetchSpotPriceHistory(ec2, {
      region: 'us-east-1',
      instanceTypes: ['m5.large', 'c5.large', 'zz9.huge'],
      start: new Date(now.getTime() - 24 * 3_600_000),
      end: now,
    });
    const offerings = await ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [{ Name: 'instance-type', Values: ['m5.large', 'c5.large'] }],
      }),
    );
    const offered = (offerings.InstanceTypeOfferings ?? []).map((o) => `${o.InstanceType}/${o.Location}`).sort();
    expect(offered.length).toBeGreaterThanOrEqual(6);
    expect(histories.map((h) => `${h.instanceType}/${h.availabilityZone}`).sort()).toEqual(offered);
    for (const h of histories) {
      expect(h.region).toBe('us-east-1');
      expect(h.points.length).toBeGreaterThanOrEqual(1);
      expect(h.points[0].price).toBeGreaterThan(0);
      expect(h.points[0].t).toBeLessThan(now.getTime());
    }
    expect(histories.some((h) => h.instanceType === 'zz9.huge')).toBe(false);
  });

  function deps(reportsDir: string): ActivityDeps {
    const config = testConfig({
      clusters: [
        {
          name: 'shop-virginia',
          accountId: '123456789012',
          region: 'us-east-1',
          nodegroups: [
            {
              name: 'web',
              instanceTypes: ['m5.large'],
              businessHours: { min: 2, desired: 6, max: 10 },
              offHours: { min: 1, desired: 2, max: 10 },
            },
            {
              name: 'workers',
              capacityType: 'SPOT',
              instanceTypes: ['c5.large', 'm5.large'],
              businessHours: { min: 0, desired: 3, max: 6 },
              offHours: { min: 0, desired: 1, max: 6 },
            },
            {
              name: 'mystery',
              instanceTypes: ['zz9.huge'],
              businessHours: { min: 0, desired: 1, max: 1 },
              offHours: { min: 0, desired: 1, max: 1 },
            },
          ],
        },
        {
          name: 'shop-mumbai',
          accountId: '123456789012',
          region: 'ap-south-1',
          nodegroups: [
            {
              name: 'web',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 2, max: 4 },
              offHours: { min: 1, desired: 1, max: 4 },
            },
          ],
        },
      ],
    });
    return {
      aws: testAwsFactory({ pricingEndpoint: pricing.url }),
      config,
      env: readEnv({ EKSFLOW_PRICING_ENDPOINT: pricing.url }),
      now: () => now,
      audit: new AuditLog(join(reportsDir, 'audit.jsonl')),
      reportsDir,
      // The cost activities never talk to Temporal.
      temporal: { client: undefined as unknown as Client, taskQueue: 'unused' },
    };
  }

  it('writes the cost report: priced groups, timetable and spot savings, clear messages for bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-cost-'));
    const { buildCostReport } = createCostActivities(deps(dir));
    const summary = await buildCostReport({ hours: 24 });
    expect(summary.htmlPath).toBe(join(dir, 'cost-20260721-110000IST.html'));
    expect(summary.pricingApiReachable).toBe(true);
    const report = JSON.parse(readFileSync(summary.jsonPath, 'utf8')) as CostReport;
    const virginia = report.cost.clusters.find((c) => c.region === 'us-east-1')!;
    const web = virginia.nodegroups.find((n) => n.nodegroup === 'web')!;
    expect(web).toMatchObject({ priced: true, pricePerNodeHour: 0.096, businessNodes: 6, offNodes: 2 });
    expect(web.timetableSavingsMonthly).toBeGreaterThan(0);
    const workers = virginia.nodegroups.find((n) => n.nodegroup === 'workers')!;
    expect(workers.priceNote).toMatch(/^spot, mean of 2 type/);
    expect(workers.spotSavingsMonthly).toBeGreaterThan(0);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^shop-virginia\/mystery: the Pricing API has no On-Demand Linux price for zz9\.huge in us-east-1/,
        ),
      ]),
    );
    const mumbai = report.cost.clusters.find((c) => c.region === 'ap-south-1')!;
    expect(mumbai.nodegroups.find((n) => n.nodegroup === 'web')).toMatchObject({
      priced: true,
      pricePerNodeHour: 0.101,
    });
    expect(
      report.recommendations.recommendations.some((r) => r.nodegroup === 'web' && r.kind === 'spot-diversify'),
    ).toBe(true);
    const html = readFileSync(summary.htmlPath, 'utf8');
    expect(html).toContain('no On-Demand Linux price for zz9.huge in us-east-1');
    expect(html).toContain('served by ' + pricing.url);
  });

  it('writes the spot report with a placement, and says when the Pricing API is down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eksflow-spot-'));
    const d = deps(dir);
    const down = await startPricingServer();
    const url = down.url;
    await down.close();
    const { buildSpotReport } = createCostActivities({ ...d, aws: testAwsFactory({ pricingEndpoint: url }) });
    const summary = await buildSpotReport({
      hours: 24,
      placements: [{ vcpu: 2, memoryGiB: 8, count: 6, maxRisk: 'medium' }],
    });
    expect(summary.pricingApiReachable).toBe(false);
    const report = JSON.parse(readFileSync(summary.jsonPath, 'utf8')) as SpotReport;
    expect(report.prices.summary).toMatch(
      /Pricing API unreachable .*table shipped with eksflow, generated from the Pricing API on 2025-04-24 and 2026-01-19 and 2026-07-20/,
    );
    expect(report.opportunities.totalOpportunities).toBeGreaterThan(0);
    // Both regions are priced when the API is down: the shipped table has us-east-1 and ap-south-1.
    expect(new Set(report.opportunities.all.map((o) => o.region))).toEqual(new Set(['us-east-1', 'ap-south-1']));
    expect(report.placements[0]).toMatchObject({
      region: 'us-east-1',
      example: false,
      result: { feasible: true, placed: 6 },
    });
    expect(readFileSync(summary.htmlPath, 'utf8')).toContain('AWS Pricing API unreachable');
  });

  it("shares one region's scoring among the spot outlooks of a scale-up, for five minutes, never a failed one", async () => {
    const d = deps(mkdtempSync(join(tmpdir(), 'eksflow-outlook-')));
    let clock = now.getTime();
    const fetched: string[] = [];
    let failNext = false;
    const real = ec2SpotHistory(d.aws);
    const analysis = createAnalysisDeps({
      aws: d.aws,
      config: d.config,
      now: () => new Date(clock),
      pricingEndpoint: pricing.url,
      spotHistory: {
        label: 'counted',
        fetch: async (q) => {
          fetched.push(q.region);
          if (failNext) {
            failNext = false;
            throw new Error('RequestLimitExceeded');
          }
          return real.fetch(q);
        },
      },
    });
    const ask = (region: string, instanceTypes: string[]) =>
      spotGroupOutlook(analysis, { region, instanceTypes, count: 3, ceiling: 0.6, hours: 24 });

    // Ten groups' checks at once: one history fetch of their region (not of every region).
    const first = await Promise.all(Array.from({ length: 10 }, () => ask('us-east-1', ['c5.large', 'm5.large'])));
    expect(fetched).toEqual(['us-east-1']);
    expect(first[0]!.checkedPools).toBeGreaterThan(0);
    for (const r of first) expect(r).toEqual(first[0]);
    // Another type set of the region, a minute later: the same scoring answers it.
    clock += 60_000;
    expect((await ask('us-east-1', ['m5.large'])).checkedPools).toBeGreaterThan(0);
    expect(fetched).toEqual(['us-east-1']);
    // The other region is scored on its own; an unconfigured one fetches nothing.
    await ask('ap-south-1', ['m5.large']);
    expect((await ask('eu-west-1', ['m5.large'])).note).toMatch(/eu-west-1 is not a configured region/);
    expect(fetched).toEqual(['us-east-1', 'ap-south-1']);
    // Five minutes after the scoring: scored again.
    clock += 4 * 60_000;
    await ask('us-east-1', ['m5.large']);
    expect(fetched).toEqual(['us-east-1', 'ap-south-1', 'us-east-1']);
    // A scoring whose history read failed answers its own checks (advisor estimates) and is not kept.
    clock += 5 * 60_000;
    failNext = true;
    expect((await ask('us-east-1', ['m5.large'])).problems.join(' ')).toMatch(/spot price history unavailable/);
    await ask('us-east-1', ['m5.large']);
    expect(fetched).toEqual(['us-east-1', 'ap-south-1', 'us-east-1', 'us-east-1', 'us-east-1']);
  });

  it('rejects a malformed request as a validation error', async () => {
    const { buildSpotReport } = createCostActivities(deps(mkdtempSync(join(tmpdir(), 'eksflow-bad-'))));
    await expect(
      buildSpotReport({ placements: [{ vcpu: 2, memoryGiB: 8, count: 0, maxRisk: 'medium' }] }),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
