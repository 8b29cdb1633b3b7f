import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { createCostActivities } from '../../activities/cost';
import { AuditLog } from '../../src/audit';
import { readEnv } from '../../src/config/env';
import { buildIngressServer } from '../../src/ingress/server';
import { reportSourceFromEnv } from '../../src/ingress/reports';
import { startPricingServer } from '../../src/sandbox/pricing-server';
import { testAwsFactory, testConfig, uniqueName } from '../support/stack';

const TOKEN = 'reports-test-token-0123456789';

describe('reports in S3, linked through the ingress', () => {
  it('writes the cost report to the bucket with SSE and serves it at the link behind the ingress auth', async () => {
    const aws = testAwsFactory();
    const bucket = uniqueName('eksflow-reports').toLowerCase();
    await aws.reportsS3('us-east-1').send(new CreateBucketCommand({ Bucket: bucket }));
    const pricing = await startPricingServer();
    const reportsDir = mkdtempSync(join(tmpdir(), 'eksflow-reports-'));
    const config = testConfig({
      clusters: [
        {
          name: 'shop',
          accountId: '123456789012',
          region: 'us-east-1',
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
    const baseEnv = {
      EKSFLOW_PRICING_ENDPOINT: pricing.url,
      EKSFLOW_REPORTS_BUCKET: bucket,
      EKSFLOW_INGRESS_TOKEN: TOKEN,
      EKSFLOW_REPORTS_DIR: reportsDir,
    };
    // The ingress first, so the link carries its real address.
    const ingress = buildIngressServer({
      client: undefined as unknown as Client,
      taskQueue: 'unused',
      token: TOKEN,
      reports: reportSourceFromEnv(readEnv(baseEnv), testAwsFactory()),
    });
    await ingress.listen({ port: 0, host: '127.0.0.1' });
    const publicUrl = `http://127.0.0.1:${(ingress.server.address() as AddressInfo).port}`;
    try {
      const { buildCostReport } = createCostActivities({
        aws: testAwsFactory({ pricingEndpoint: pricing.url }),
        config,
        env: readEnv({ ...baseEnv, EKSFLOW_PUBLIC_URL: publicUrl }),
        now: () => new Date('2026-07-21T04:30:00Z'),
        audit: new AuditLog(join(reportsDir, 'audit.jsonl')),
        reportsDir,
        temporal: { client: undefined as unknown as Client, taskQueue: 'unused' },
      });
      const summary = await buildCostReport({ hours: 24 });
      const id = 'cost-20260721-100000IST';
      expect(summary.objects).toEqual([`s3://${bucket}/reports/${id}.html`, `s3://${bucket}/reports/${id}.json`]);
      expect(summary.url).toMatch(new RegExp(`^${publicUrl}/reports/${id}\\?token=[0-9a-f]{64}$`));
      const head = await aws
        .reportsS3('us-east-1')
        .send(new HeadObjectCommand({ Bucket: bucket, Key: `reports/${id}.html` }));
      expect(head.ServerSideEncryption).toBe('AES256');

      // Served from the bucket, not from the worker's disk.
      rmSync(summary.htmlPath);
      const page = await fetch(summary.url!);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<title>eksflow cost analysis</title>');

      expect((await fetch(`${publicUrl}/reports/${id}`)).status).toBe(401);
      expect((await fetch(`${publicUrl}/reports/${id}?token=${'0'.repeat(64)}`)).status).toBe(401);
      // Another report's token does not open this one.
      const other = new URL(summary.url!).searchParams.get('token');
      expect((await fetch(`${publicUrl}/reports/spot-20260721-100000IST?token=${other}`)).status).toBe(401);
      expect(
        (await fetch(`${publicUrl}/reports/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
      ).toBe(200);
      expect(
        (await fetch(`${publicUrl}/reports/cost-20990101-000000IST`, { headers: { authorization: `Bearer ${TOKEN}` } }))
          .status,
      ).toBe(404);
      expect(
        (await fetch(`${publicUrl}/reports/..%2Fetc%2Fpasswd`, { headers: { authorization: `Bearer ${TOKEN}` } }))
          .status,
      ).toBe(400);
    } finally {
      await ingress.close();
      await pricing.close();
    }
  });
});
