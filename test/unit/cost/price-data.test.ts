import { readFileSync } from 'node:fs';
import { decodePriceListEntry, onDemandFilters, pickOnDemandPrice } from '../../../src/domain/pricing/price-list';
import { parseOnDemandCsv } from '../../../src/domain/pricing/on-demand-table';
import { SHIPPED_PRICE_FILES, shippedPriceTable, shippedSpotAdvisor } from '../../../src/data/pricing';
import { gravitonEquivalents, isGravitonType } from '../../../src/domain/pricing/graviton';
import { productsForRow } from '../../../src/sandbox/pricing-server';
import { sharedDataPath } from '../../../src/data/shared';

describe('shipped price data', () => {
  it('is an exact copy of the evaluation data', () => {
    const original = sharedDataPath(['ec2-on-demand.csv']);
    expect(readFileSync(SHIPPED_PRICE_FILES[0], 'utf8')).toBe(readFileSync(original, 'utf8'));
    const mumbai = SHIPPED_PRICE_FILES.find((f) => f.endsWith('ec2-on-demand-ap-south-1.csv'))!;
    expect(readFileSync(mumbai, 'utf8')).toBe(readFileSync(sharedDataPath(['ec2-on-demand-ap-south-1.csv']), 'utf8'));
  });

  it('keeps the Spot Advisor Linux entries of the evaluation data', () => {
    const original = sharedDataPath(['spot-advisor.json']);
    const raw = JSON.parse(readFileSync(original, 'utf8'));
    const shipped = shippedSpotAdvisor();
    for (const region of ['us-east-1', 'ap-south-1']) {
      for (const [type, entry] of Object.entries(
        raw.spot_advisor[region].Linux as Record<string, { r: number; s: number }>,
      )) {
        expect(shipped.interruption(region, type)).toMatchObject({ bucket: entry.r, advisorSavingsPercent: entry.s });
      }
    }
    expect(shipped.interruption('ap-south-1', 'm5n.large')).toMatchObject({ risk: 'unknown' });
  });

  it('states source dates and prices ap-south-1 from the Mumbai price list', () => {
    const table = shippedPriceTable();
    expect(table.price('us-east-1', 'm5.large')).toMatchObject({ usdPerHour: 0.096, sourceDate: '2026-07-20' });
    expect(table.price('us-east-1', 'm6g.large')).toMatchObject({ usdPerHour: 0.077, sourceDate: '2026-01-19' });
    expect(table.price('ap-south-1', 'm5.large')).toMatchObject({ usdPerHour: 0.101, sourceDate: '2025-04-24' });
    expect(table.price('ap-south-1', 'm5n.large')).toBeUndefined();
    expect(table.regions()).toEqual(['ap-south-1', 'us-east-1']);
  });

  it('rejects a malformed price row with the row number', () => {
    expect(() =>
      parseOnDemandCsv(
        'region,instance_type,vcpu,memory_gib,on_demand_usd_per_hour,source_date\nus-east-1,m5.large,2,8,abc,2026-07-20\n',
        'x.csv',
      ),
    ).toThrow(/x\.csv row 2: usdPerHour/);
  });

  it('maps x86 types to Graviton twins of the same size', () => {
    expect(gravitonEquivalents('m5.large')).toEqual(['m6g.large', 'm7g.large']);
    expect(gravitonEquivalents('c5n.xlarge')).toEqual([]);
    expect(isGravitonType('m6g.large')).toBe(true);
    expect(isGravitonType('m5.large')).toBe(false);
  });
});

describe('GetProducts PriceList parsing', () => {
  const row = {
    region: 'us-east-1',
    instanceType: 'm5.large',
    vcpu: 2,
    memoryGiB: 8,
    usdPerHour: 0.096,
    sourceDate: '2026-07-20',
  };
  const products = productsForRow(row);
  const asStrings = products.map((p) => JSON.stringify(p));

  it('picks the Linux / Shared / no software / Used price among all variants', () => {
    expect(pickOnDemandPrice(asStrings, 'm5.large', 'us-east-1')).toMatchObject({
      usdPerHour: 0.096,
      regionCode: 'us-east-1',
    });
  });

  it('accepts String wrappers as the SDK hands them over', () => {
    expect(decodePriceListEntry(new String(asStrings[0]))).toEqual(products[0]);
  });

  it('ignores other types, other regions and malformed entries', () => {
    expect(
      pickOnDemandPrice(['not json', '{}', '{"product":1}', ...asStrings], 'm5.xlarge', 'us-east-1'),
    ).toBeUndefined();
    expect(pickOnDemandPrice(['not json', ...asStrings], 'm5.large', 'us-east-1')).toMatchObject({ usdPerHour: 0.096 });
    expect(pickOnDemandPrice(asStrings, 'm5.large', 'ap-south-1')).toBeUndefined();
  });

  it('sends the six filters the issue names', () => {
    expect(onDemandFilters('ap-south-1', 'c5.large').map((f) => `${f.Field}=${f.Value}`)).toEqual([
      'instanceType=c5.large',
      'regionCode=ap-south-1',
      'operatingSystem=Linux',
      'tenancy=Shared',
      'preInstalledSw=NA',
      'capacitystatus=Used',
    ]);
  });
});
