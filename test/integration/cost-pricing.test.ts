import { join } from 'node:path';
import { GetProductsCommand } from '@aws-sdk/client-pricing';
import { AwsClientFactory, SANDBOX_CREDENTIALS } from '../../src/aws/clients';
import { OnDemandPrices } from '../../src/report/on-demand-prices';
import { SHIPPED_PRICE_FILES, shippedPriceTable } from '../../src/data/pricing';
import { sharedDataPath } from '../../src/data/shared';
import { pickOnDemandPrice } from '../../src/domain/pricing/price-list';
import { startPricingServer, type PricingServer } from '../../src/sandbox/pricing-server';

/** The evaluation CSV the issue names (the shipped copy is byte-identical: test/unit/cost/price-data.test.ts). */
const CSV = sharedDataPath(['ec2-on-demand.csv']);

describe('On-Demand prices through the local GetProducts server and the real Pricing SDK client', () => {
  let server: PricingServer;
  let aws: AwsClientFactory;
  let day = new Date('2026-07-21T04:30:00Z');

  beforeAll(async () => {
    server = await startPricingServer({ csvPath: [CSV, join(SHIPPED_PRICE_FILES[1])] });
    aws = new AwsClientFactory({ pricingEndpoint: server.url, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(() => server.close());

  const prices = () =>
    new OnDemandPrices({ pricingClient: () => aws.pricing(), table: shippedPriceTable(), now: () => day });

  it('answers in AWS shape: PriceList entries are JSON documents the SDK hands over as strings', async () => {
    const out = await aws.pricing().send(
      new GetProductsCommand({
        ServiceCode: 'AmazonEC2',
        Filters: [
          { Type: 'TERM_MATCH', Field: 'instanceType', Value: 'c5.large' },
          { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' },
        ],
      }),
    );
    expect(out.FormatVersion).toBe('aws_v1');
    // Without the OS/tenancy/software/capacity filters AWS lists several products; so does the server.
    expect(out.PriceList!.length).toBeGreaterThan(1);
    const doc = JSON.parse(String(out.PriceList![0]));
    const term = Object.values(doc.terms.OnDemand)[0] as {
      priceDimensions: Record<string, { pricePerUnit: { USD: string }; unit: string }>;
    };
    expect(doc.product.attributes).toMatchObject({
      instanceType: 'c5.large',
      regionCode: 'us-east-1',
      location: 'US East (N. Virginia)',
    });
    expect(Object.values(term.priceDimensions)[0]).toMatchObject({
      unit: 'Hrs',
      pricePerUnit: { USD: expect.stringMatching(/^\d+\.\d{10}$/) },
    });
    // The parser still finds the Linux/Shared/NA/Used one among them.
    expect(pickOnDemandPrice(out.PriceList as unknown[], 'c5.large', 'us-east-1')?.usdPerHour).toBe(0.085);
  });

  it('prices with the six filters, one product per type, cached per day', async () => {
    const p = prices();
    const before = server.requestCount();
    expect(await p.quote('us-east-1', 'm5.large')).toEqual({
      region: 'us-east-1',
      instanceType: 'm5.large',
      usdPerHour: 0.096,
      source: 'pricing-api',
    });
    expect(await p.quote('us-east-1', 'm6g.large')).toMatchObject({ usdPerHour: 0.077, source: 'pricing-api' });
    expect(server.requestCount()).toBe(before + 2);
    await p.quote('us-east-1', 'm5.large');
    expect(server.requestCount()).toBe(before + 2); // same day: cached
    day = new Date('2026-07-22T04:30:00Z');
    await p.quote('us-east-1', 'm5.large');
    expect(server.requestCount()).toBe(before + 3); // next day: asked again
    expect(p.status()).toEqual({ apiReachable: true });
  });

  it('asks once for a key many callers want at the same moment (the 08:00 run asks for 200 groups at once)', async () => {
    const p = prices();
    const before = server.requestCount();
    const quotes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => p.quote('us-east-1', i % 2 ? 'c5.large' : 'm5.large')),
    );
    expect(server.requestCount()).toBe(before + 2);
    expect(new Set(quotes.map((q) => `${q.instanceType}:${q.usdPerHour}`))).toEqual(
      new Set(['m5.large:0.096', 'c5.large:0.085']),
    );
  });

  it('says clearly when a region has no prices or a type is unknown', async () => {
    const p = prices();
    expect(await p.quote('sa-east-1', 'm5.large')).toMatchObject({
      source: 'none',
      note: expect.stringMatching(/no On-Demand Linux price for m5\.large in sa-east-1/),
    });
    expect(await p.quote('us-east-1', 'zz9.huge')).toMatchObject({
      source: 'none',
      note: expect.stringMatching(/zz9\.huge in us-east-1 \(unknown instance type/),
    });
  });

  it('falls back to the shipped table with its source date when the API is unreachable', async () => {
    const down = await startPricingServer({ csvPath: CSV });
    const url = down.url;
    await down.close();
    const unreachable = new AwsClientFactory({
      pricingEndpoint: url,
      credentials: SANDBOX_CREDENTIALS,
      maxAttempts: 1,
    });
    const p = new OnDemandPrices({
      pricingClient: () => unreachable.pricing(),
      table: shippedPriceTable(),
      now: () => day,
    });
    const all = await p.quoteAll([
      { region: 'us-east-1', instanceType: 'm5.large' },
      { region: 'us-east-1', instanceType: 'r5.large' },
      { region: 'ap-south-1', instanceType: 'm5.large' },
      { region: 'sa-east-1', instanceType: 'm5.large' },
    ]);
    expect(all['us-east-1/m5.large']).toEqual({
      region: 'us-east-1',
      instanceType: 'm5.large',
      usdPerHour: 0.096,
      source: 'fallback-table',
      sourceDate: '2026-07-20',
    });
    expect(all['us-east-1/r5.large']).toMatchObject({ usdPerHour: 0.126, source: 'fallback-table' });
    expect(all['ap-south-1/m5.large']).toMatchObject({
      usdPerHour: 0.101,
      source: 'fallback-table',
      sourceDate: '2025-04-24',
    });
    expect(all['sa-east-1/m5.large']).toMatchObject({
      source: 'none',
      note: expect.stringMatching(/Pricing API is unreachable and the shipped price table has no prices for sa-east-1/),
    });
    expect(p.status()).toMatchObject({ apiReachable: false, fallbackReason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('rejects what AWS rejects, in AWS error shape', async () => {
    await expect(aws.pricing().send(new GetProductsCommand({ ServiceCode: 'AmazonS3' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});
