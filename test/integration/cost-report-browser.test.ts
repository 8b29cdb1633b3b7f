import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createAnalysisDeps, runCostAnalysis, runSpotAnalysis } from '../../src/report/analysis';
import { replaySpotHistoryCsv } from '../../src/report/spot-sources';
import { writeReport } from '../../src/report/write';
import { sharedDataPath } from '../../src/data/shared';
import { startPricingServer, type PricingServer } from '../../src/sandbox/pricing-server';
import { testAwsFactory, testConfig } from '../support/stack';

const CHROMIUM = process.env.EKSFLOW_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '..', '..', 'test-artifacts');
const SPOT_CSV = sharedDataPath(['spot-prices', 'spot_prices_us-east-1.csv']);

/**
 * The HTML reports in a real browser (Debian chromium, headless): they must render with no console
 * error and no page error, show both charts, and leave a screenshot in test-artifacts/. Spot prices
 * are the recorded us-east-1 history replayed to "now" (moto's stub prices make a flat, unreadable
 * chart).
 */
describe('HTML reports in headless Chromium', () => {
  let browser: Browser;
  let pricing: PricingServer;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: install Debian chromium (apt-get install -y chromium); scripts/provision.sh should do it`,
      );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    pricing = await startPricingServer();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await pricing?.close();
  });

  function analysisDeps() {
    const config = testConfig({
      clusters: [
        {
          name: 'checkout-virginia',
          accountId: '123456789012',
          region: 'us-east-1',
          nodegroups: [
            {
              name: 'web',
              instanceTypes: ['m5.large'],
              businessHours: { min: 2, desired: 8, max: 12 },
              offHours: { min: 1, desired: 3, max: 12 },
            },
            {
              name: 'api',
              instanceTypes: ['c5.xlarge'],
              businessHours: { min: 2, desired: 4, max: 8 },
              offHours: { min: 2, desired: 4, max: 8 },
            },
            {
              name: 'workers',
              capacityType: 'SPOT',
              scalingMode: 'bounds',
              instanceTypes: ['c5.large', 'm5a.large'],
              businessHours: { min: 2, desired: 6, max: 12 },
              offHours: { min: 2, desired: 2, max: 12 },
            },
            {
              name: 'db',
              workload: 'stateful',
              instanceTypes: ['r5.xlarge'],
              businessHours: { min: 3, desired: 3, max: 3 },
              offHours: { min: 3, desired: 3, max: 3 },
            },
            {
              name: 'legacy',
              instanceTypes: ['zz9.huge'],
              businessHours: { min: 0, desired: 1, max: 1 },
              offHours: { min: 0, desired: 1, max: 1 },
            },
          ],
        },
        {
          name: 'payments-mumbai',
          accountId: '123456789012',
          region: 'ap-south-1',
          nodegroups: [
            {
              name: 'general',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 4, max: 6 },
              offHours: { min: 1, desired: 2, max: 6 },
            },
          ],
        },
      ],
    });
    return createAnalysisDeps({
      aws: testAwsFactory({ pricingEndpoint: pricing.url }),
      config,
      now: () => new Date('2026-07-21T04:30:00Z'),
      pricingEndpoint: pricing.url,
      spotHistory: replaySpotHistoryCsv(SPOT_CSV),
    });
  }

  async function open(htmlPath: string, screenshot: string) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
    return { page, errors };
  }

  it('renders the cost report with both charts and the problems box', async () => {
    const deps = analysisDeps();
    const report = await runCostAnalysis(deps, { hours: 168 });
    const files = await writeReport(mkdtempSync(join(tmpdir(), 'eksflow-html-')), report);
    const { page, errors } = await open(files.htmlPath, 'cost-report.png');
    expect(errors).toEqual([]);
    expect(await page.title()).toBe('eksflow cost analysis');
    // 24 hours × 4 priced node groups of bars (zero-cost hours draw nothing).
    expect(await page.locator('#chart-cost-by-hour svg rect').count()).toBeGreaterThan(24 * 3);
    expect(await page.locator('#chart-opportunities svg circle').count()).toBe(report.opportunities.all.length);
    expect(report.opportunities.all.length).toBeGreaterThan(0);
    await expect(page.locator('#problems').innerText()).resolves.toMatch(/zz9\.huge/);
    expect(await page.locator('#recommendations tbody tr').count()).toBe(
      Math.max(1, report.recommendations.recommendations.length),
    );
    await page.close();
  });

  it('renders the spot report with the top 20 and the placement', async () => {
    const deps = analysisDeps();
    const report = await runSpotAnalysis(deps, {
      hours: 168,
      placements: [{ vcpu: 2, memoryGiB: 8, count: 10, maxRisk: 'medium' }],
    });
    const files = await writeReport(mkdtempSync(join(tmpdir(), 'eksflow-html-')), report);
    const { page, errors } = await open(files.htmlPath, 'spot-report.png');
    expect(errors).toEqual([]);
    expect(await page.locator('#opportunities tbody tr').count()).toBe(
      Math.min(20, report.opportunities.totalOpportunities),
    );
    expect(await page.locator('table.placement tbody tr').count()).toBe(report.placements[0].result.allocations.length);
    await expect(page.locator('#price-source').innerText()).resolves.toMatch(/Pricing API/);
    await page.close();
  });
});
