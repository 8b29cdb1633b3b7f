import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SANDBOX_CREDENTIALS } from '../../src/aws/clients';
import { applySandboxEnv, formatEnvFile } from '../../src/config/env';
import { loadConfigFile } from '../../src/config/load';
import type { CostReport } from '../../src/report/types';
import { REPO_ROOT } from '../../src/sandbox/processes';
import { startPricingServer } from '../../src/sandbox/pricing-server';
import { seedCluster } from '../../src/sandbox/seed';
import { motoEndpoint, temporalAddress, testAwsFactory } from '../support/stack';

const EXAMPLE = join(REPO_ROOT, 'eksflow.example.yaml');

describe('.data/sandbox.env: the CLI beside `npm start`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-sandbox-env-'));
  const file = join(dir, 'sandbox.env');

  it('applies only without an AWS endpoint and with the example config; set variables win', () => {
    writeFileSync(file, formatEnvFile({ EKSFLOW_AWS_ENDPOINT: 'http://127.0.0.1:1', TEMPORAL_ADDRESS: 'x:1' }, 'test'));
    const bare: NodeJS.ProcessEnv = { EKSFLOW_SANDBOX_ENV: file, TEMPORAL_ADDRESS: 'mine:7233' };
    expect(applySandboxEnv(REPO_ROOT, bare)).toBe(file);
    expect(bare).toMatchObject({ EKSFLOW_AWS_ENDPOINT: 'http://127.0.0.1:1', TEMPORAL_ADDRESS: 'mine:7233' });
    expect(applySandboxEnv(REPO_ROOT, { EKSFLOW_SANDBOX_ENV: file, EKSFLOW_CONFIG: EXAMPLE })).toBe(file);
    expect(
      applySandboxEnv(REPO_ROOT, { EKSFLOW_SANDBOX_ENV: file, EKSFLOW_CONFIG: '/etc/eksflow/prod.yaml' }),
    ).toBeUndefined();
    expect(
      applySandboxEnv(REPO_ROOT, { EKSFLOW_SANDBOX_ENV: file, EKSFLOW_AWS_ENDPOINT: 'https://vpce.example' }),
    ).toBeUndefined();
    expect(applySandboxEnv(REPO_ROOT, { EKSFLOW_SANDBOX_ENV: join(dir, 'absent.env') })).toBeUndefined();
  });

  it('a CLI run with no AWS or eksflow environment prints a cost report from moto, every node group priced', async () => {
    const config = loadConfigFile(EXAMPLE);
    const aws = testAwsFactory();
    for (const cluster of config.clusters) await seedCluster(aws, cluster);
    const pricing = await startPricingServer();
    try {
      writeFileSync(
        file,
        formatEnvFile(
          {
            EKSFLOW_CONFIG: EXAMPLE,
            TEMPORAL_ADDRESS: temporalAddress(),
            EKSFLOW_AWS_ENDPOINT: motoEndpoint(),
            EKSFLOW_PRICING_ENDPOINT: pricing.url,
            AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
          },
          'test',
        ),
      );
      // A second terminal: no AWS_*, no EKSFLOW_* but the file's location, a HOME without ~/.aws.
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, EKSFLOW_SANDBOX_ENV: file };
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [join(REPO_ROOT, 'bin/eksflow.js'), 'report', 'cost', '--json'],
        {
          cwd: dir,
          env,
          maxBuffer: 8 * 1024 * 1024,
        },
      );
      expect(stderr).not.toMatch(/CredentialsProviderError|Could not load credentials/);
      const summary = JSON.parse(stdout) as { jsonPath: string; pricingApiReachable: boolean };
      expect(summary.pricingApiReachable).toBe(true);
      const report = JSON.parse(readFileSync(summary.jsonPath, 'utf8')) as CostReport;
      const groups = report.cost.clusters.flatMap((c) =>
        c.nodegroups.map((n) => ({ group: `${c.region}/${c.cluster}/${n.nodegroup}`, priced: n.priced })),
      );
      expect(groups.length).toBe(config.clusters.reduce((s, c) => s + c.nodegroups.length, 0));
      expect(groups.filter((g) => !g.priced)).toEqual([]);
      expect(report.cost.clusters.map((c) => c.region)).toContain('ap-south-1');
    } finally {
      await pricing.close();
    }
  });
});
