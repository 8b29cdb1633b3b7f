import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecurityActivities } from '../../activities/security';
import { loadConfigFile } from '../../src/config/load';
import type { Finding } from '../../src/domain/security/types';
import { captureCli } from '../support/cli-capture';
import { testActivityDeps } from '../support/stack';

const CONFIG = `# the fleet
clusters:
  - name: prod   # keep this comment
    accountId: "123456789012"
    region: ap-south-1
    nodegroups:
      - name: web
        instanceTypes: [m5.large]
        businessHours: { min: 1, desired: 2, max: 3 }
        offHours: { min: 1, desired: 1, max: 3 }
`;

const f = (id: string, severity: Finding['severity']): Finding => ({
  id,
  ruleId: id.split(':')[0]!,
  severity,
  title: `title ${id}`,
  resource: id.split(':')[1]!,
  evidence: `evidence ${id}`,
  remediation: 'fix it',
  source: 'eksflow',
  scope: '123456789012/ap-south-1/prod',
});

describe('eksflow security findings|suppress (in-process CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-sec-cli-'));
  const file = join(dir, 'eksflow.yaml');
  const reports = join(dir, 'reports');
  let cli: ReturnType<typeof captureCli>;

  beforeAll(async () => {
    writeFileSync(file, CONFIG);
    const deps = {
      ...testActivityDeps({ config: loadConfigFile(file), client: undefined as never, taskQueue: 'x' }),
      reportsDir: reports,
    };
    const act = createSecurityActivities(deps);
    await act.writeSecurityScanReport({
      scanId: 'n1',
      scopes: ['123456789012/ap-south-1/prod'],
      findings: [f('A:sg-1', 'high'), f('B:i-1', 'low')],
      problems: [],
    });
    await act.writeSecurityScanReport({
      scanId: 'n2',
      scopes: ['123456789012/ap-south-1/prod'],
      findings: [f('A:sg-1', 'high'), f('C:vol-1', 'critical')],
      problems: [],
    });
    cli = captureCli({ EKSFLOW_CONFIG: file, EKSFLOW_REPORTS_DIR: reports });
  });
  afterAll(() => cli.restore());

  it('findings: the latest scan, new ones marked, filtered by severity', async () => {
    expect(await cli.run('security', 'findings')).toBe(0);
    expect(cli.out).toMatch(/^scan n2 .*: 2 of 2 open finding\(s\); 1 resolved, 0 suppressed/);
    expect(cli.out).toMatch(/NEW critical\s+C:vol-1\n\s+evidence C:vol-1\n\s+fix: fix it/);
    expect(cli.out).toMatch(/\n {4}high\s+A:sg-1/);
    expect(await cli.run('security', 'findings', '--severity', 'critical', '--json')).toBe(0);
    expect(JSON.parse(cli.out).map((x: Finding) => x.id)).toEqual(['C:vol-1']);
    expect(await cli.run('security', 'findings', '--severity', 'urgent')).toBe(2);
    expect(cli.err).toMatch(/--severity must be one of critical, high, medium, low, informational/);
  });

  it('suppress: appended to the config file (comments kept), validated; bad input changes nothing and names the field', async () => {
    expect(
      await cli.run(
        'security',
        'suppress',
        'A:sg-1',
        '--reason',
        'bastion until the VPN lands',
        '--until',
        '2027-01-31',
      ),
    ).toBe(0);
    expect(cli.out).toMatch(/suppressed A:sg-1 until 2027-01-31 \(1 suppression\(s\)\)/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# keep this comment');
    expect(loadConfigFile(file).security.suppress).toEqual([
      { id: 'A:sg-1', reason: 'bastion until the VPN lands', until: '2027-01-31' },
    ]);
    expect(
      await cli.run(
        'security',
        'suppress',
        'EC2.IMDSV1_ALLOWED',
        '--resource',
        'i-1',
        '--reason',
        'legacy',
        '--until',
        '2027-02-30',
      ),
    ).toBe(2);
    expect(cli.err).toMatch(/until: not a real date|until: a date/);
    expect(await cli.run('security', 'suppress', 'X:y', '--reason', 'ok reason', '--until', 'tomorrow')).toBe(2);
    expect(cli.err).toMatch(/until: a date \(YYYY-MM-DD\) or an ISO-8601 time with zone/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('bad security config is rejected with the field named', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      `${CONFIG}security:\n  allowedPublicPorts: [443, 70000]\n  suppress: [{ id: X, reason: ok reason, until: "2027-01-01", extra: 1 }]\n`,
    );
    expect(await cli.run('config', 'validate', '--file', bad)).toBe(2);
    expect(cli.err).toMatch(/security\.allowedPublicPorts\[1\]/);
    expect(cli.err).toMatch(/security\.suppress\[0\]/);
  });
});
