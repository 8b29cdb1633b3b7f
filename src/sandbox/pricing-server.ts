import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { SHIPPED_PRICE_FILES } from '../data/pricing';
import { parseOnDemandCsv, type OnDemandRow } from '../domain/pricing/on-demand-table';

/**
 * A local stand-in for the AWS Price List Query API (moto has none), speaking the same protocol as
 * AWS — awsJson1_1 POST with `X-Amz-Target: AWSPriceListService.GetProducts` — and answering in
 * AWS's response shape: `PriceList` is an array of JSON strings, each a product with
 * `product.attributes` and `terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD`.
 * The real @aws-sdk/client-pricing parses it unchanged.
 *
 * Products come from price CSVs (`region,instance_type,vcpu,memory_gib,on_demand_usd_per_hour,
 * source_date`; default: the tables shipped in src/data/pricing). Besides the Linux/Shared
 * product of each row, the server lists the variants AWS also lists — Windows, RHEL, Dedicated
 * tenancy, SQL Server pre-installed, capacity-reservation statuses — with SYNTHETIC prices (fixed
 * mark-ups, not AWS's), so a client that forgets a filter gets a visibly wrong answer in tests.
 */
export interface PricingServerOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** One CSV or several; default the shipped tables. */
  csvPath?: string | string[];
  host?: string;
}

export interface PricingServer {
  url: string;
  close(): Promise<void>;
  /** GetProducts requests served so far (for tests of caching). */
  requestCount(): number;
}

const LOCATIONS: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
};
const USAGE_PREFIX: Record<string, string> = {
  'us-east-1': '',
  'us-east-2': 'USE2-',
  'us-west-2': 'USW2-',
  'eu-west-1': 'EU-',
  'eu-central-1': 'EUC1-',
  'ap-south-1': 'APS3-',
  'ap-southeast-1': 'APS1-',
};

interface Variant {
  attrs: Record<string, string>;
  price: (row: OnDemandRow) => number;
}

const LINUX: Variant = {
  attrs: {
    operatingSystem: 'Linux',
    tenancy: 'Shared',
    preInstalledSw: 'NA',
    capacitystatus: 'Used',
    licenseModel: 'No License required',
    operation: 'RunInstances',
  },
  price: (r) => r.usdPerHour,
};
/** Synthetic mark-ups; only their difference from the Linux price matters. */
const VARIANTS: Variant[] = [
  LINUX,
  { attrs: { ...LINUX.attrs, capacitystatus: 'UnusedCapacityReservation' }, price: (r) => r.usdPerHour },
  { attrs: { ...LINUX.attrs, capacitystatus: 'AllocatedCapacityReservation' }, price: () => 0 },
  { attrs: { ...LINUX.attrs, tenancy: 'Dedicated' }, price: (r) => r.usdPerHour * 1.1 },
  {
    attrs: { ...LINUX.attrs, operatingSystem: 'Windows', operation: 'RunInstances:0002' },
    price: (r) => r.usdPerHour + 0.046 * r.vcpu,
  },
  {
    attrs: { ...LINUX.attrs, operatingSystem: 'RHEL', operation: 'RunInstances:0010' },
    price: (r) => r.usdPerHour + 0.06,
  },
  {
    attrs: { ...LINUX.attrs, preInstalledSw: 'SQL Std', operation: 'RunInstances:0004' },
    price: (r) => r.usdPerHour + 0.12 * r.vcpu,
  },
];

function sku(attrs: Record<string, string>): string {
  return createHash('sha1').update(JSON.stringify(attrs)).digest('hex').slice(0, 16).toUpperCase();
}

function fmtPrice(x: number): string {
  return x.toFixed(10);
}

/** Builds the PriceList documents (as objects) of one CSV row. */
export function productsForRow(row: OnDemandRow): Record<string, unknown>[] {
  return VARIANTS.map((v) => {
    const attributes: Record<string, string> = {
      servicecode: 'AmazonEC2',
      servicename: 'Amazon Elastic Compute Cloud',
      instanceType: row.instanceType,
      instanceFamily: 'General purpose',
      regionCode: row.region,
      location: LOCATIONS[row.region] ?? row.region,
      locationType: 'AWS Region',
      vcpu: String(row.vcpu),
      memory: `${row.memoryGiB} GiB`,
      usagetype: `${USAGE_PREFIX[row.region] ?? `${row.region}-`}${v.attrs.tenancy === 'Dedicated' ? 'DedicatedUsage' : 'BoxUsage'}:${row.instanceType}`,
      marketoption: 'OnDemand',
      ...v.attrs,
    };
    const code = sku(attributes);
    const price = v.price(row);
    return {
      product: { productFamily: 'Compute Instance', attributes, sku: code },
      serviceCode: 'AmazonEC2',
      terms: {
        OnDemand: {
          [`${code}.JRTCKXETXF`]: {
            priceDimensions: {
              [`${code}.JRTCKXETXF.6YS6EN2CT7`]: {
                unit: 'Hrs',
                endRange: 'Inf',
                description: `$${price} per On Demand ${attributes.operatingSystem} ${row.instanceType} Instance Hour`,
                appliesTo: [],
                rateCode: `${code}.JRTCKXETXF.6YS6EN2CT7`,
                beginRange: '0',
                pricePerUnit: { USD: fmtPrice(price) },
              },
            },
            sku: code,
            effectiveDate: `${row.sourceDate}T00:00:00Z`,
            offerTermCode: 'JRTCKXETXF',
            termAttributes: {},
          },
        },
      },
      version: row.sourceDate.replace(/-/g, '') + '000000',
      publicationDate: `${row.sourceDate}T00:00:00Z`,
    };
  });
}

const getProductsSchema = z.object({
  ServiceCode: z.string(),
  Filters: z.array(z.object({ Type: z.string(), Field: z.string(), Value: z.string() })).optional(),
  FormatVersion: z.string().optional(),
  NextToken: z.string().optional(),
  MaxResults: z.number().int().min(1).max(100).optional(),
});
type GetProductsRequest = z.infer<typeof getProductsSchema>;

function matches(attrs: Record<string, string>, f: { Type: string; Field: string; Value: string }): boolean {
  const key = Object.keys(attrs).find((k) => k.toLowerCase() === f.Field.toLowerCase());
  const actual = (key ? attrs[key] : '').toLowerCase();
  const wanted = f.Value.toLowerCase();
  switch (f.Type) {
    case 'TERM_MATCH':
    case 'EQUALS':
      return actual === wanted;
    case 'CONTAINS':
      return actual.includes(wanted);
    case 'ANY_OF':
      return wanted
        .split(',')
        .map((s) => s.trim())
        .includes(actual);
    case 'NONE_OF':
      return !wanted
        .split(',')
        .map((s) => s.trim())
        .includes(actual);
    default:
      return false;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': createHash('sha1').update(text).digest('hex').slice(0, 32),
  });
  res.end(text);
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { __type: type, Message: message, message });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function getProducts(
  products: Record<string, unknown>[],
  request: GetProductsRequest,
): { FormatVersion: string; PriceList: string[]; NextToken?: string } {
  const filters = request.Filters ?? [];
  const hits = products.filter((p) =>
    filters.every((f) => matches((p.product as { attributes: Record<string, string> }).attributes, f)),
  );
  const offset = request.NextToken ? Number(Buffer.from(request.NextToken, 'base64').toString('utf8')) || 0 : 0;
  const size = request.MaxResults ?? 100;
  const page = hits.slice(offset, offset + size);
  const next = offset + size < hits.length ? Buffer.from(String(offset + size)).toString('base64') : undefined;
  return {
    FormatVersion: request.FormatVersion ?? 'aws_v1',
    PriceList: page.map((p) => JSON.stringify(p)),
    ...(next ? { NextToken: next } : {}),
  };
}

export async function startPricingServer(opts: PricingServerOptions = {}): Promise<PricingServer> {
  const paths =
    opts.csvPath === undefined ? SHIPPED_PRICE_FILES : Array.isArray(opts.csvPath) ? opts.csvPath : [opts.csvPath];
  const rows = paths.flatMap((p) => parseOnDemandCsv(readFileSync(p, 'utf8'), p));
  const products = rows.flatMap(productsForRow);
  let served = 0;

  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST')
        return error(res, 405, 'MethodNotAllowed', 'the Price List Query API takes POST requests');
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req)) || '{}');
      } catch {
        return error(res, 400, 'SerializationException', 'request body is not JSON');
      }
      if (target !== 'AWSPriceListService.GetProducts') {
        return error(
          res,
          400,
          'UnknownOperationException',
          `operation ${target || '(none)'} is not served by the eksflow sandbox pricing server`,
        );
      }
      const parsed = getProductsSchema.safeParse(body);
      if (!parsed.success)
        return error(
          res,
          400,
          'InvalidParameterException',
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
      if (parsed.data.ServiceCode !== 'AmazonEC2')
        return error(
          res,
          400,
          'InvalidParameterException',
          `service code ${parsed.data.ServiceCode} is not served (only AmazonEC2)`,
        );
      served++;
      send(res, 200, getProducts(products, parsed.data));
    })().catch((err: unknown) => error(res, 500, 'InternalErrorException', String(err)));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    requestCount: () => served,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
