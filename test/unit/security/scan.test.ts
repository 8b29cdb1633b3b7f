import { newFindingsAlert } from '../../../src/domain/security/alert';
import { diffFindings } from '../../../src/domain/security/diff';
import {
  fromEcr,
  fromInspector2,
  fromSecurityHub,
  ecrImagesToScan,
  parseEcrImage,
  runningEcrImages,
  severityFromLabel,
} from '../../../src/domain/security/external';
import { buildScanReport } from '../../../src/domain/security/scan';
import { applySuppressions, suppressionEndsMs } from '../../../src/domain/security/suppressions';
import type { Finding } from '../../../src/domain/security/types';

const f = (
  id: string,
  severity: Finding['severity'] = 'high',
  scope = 'a/r/c',
  ruleId = id.split(':')[0]!,
  resource = id.split(':').slice(1).join(':'),
): Finding => ({
  id,
  ruleId,
  severity,
  title: `t ${id}`,
  resource,
  evidence: 'e',
  remediation: 'r',
  source: 'eksflow',
  scope,
});
const AT = Date.parse('2026-12-01T00:00:00Z');

describe('suppressions', () => {
  const sg22 = f('EC2.SG_OPEN_INGRESS:sg-1/tcp/22-22/0.0.0.0/0', 'high', 'a/r/c', 'EC2.SG_OPEN_INGRESS', 'sg-1');
  const sg80 = f('EC2.SG_OPEN_INGRESS:sg-2/tcp/80-80/0.0.0.0/0', 'high', 'a/r/c', 'EC2.SG_OPEN_INGRESS', 'sg-2');
  const imds = f('EC2.IMDSV1_ALLOWED:i-1', 'high', 'a/r/c', 'EC2.IMDSV1_ALLOWED', 'i-1');

  it('by finding id, by rule id, by rule id narrowed to a resource; expired ones are reported and suppress nothing; unused ones are reported', () => {
    const byId = { id: sg22.id, reason: 'bastion until VPN', until: '2026-12-31' };
    const byRuleOnSg2 = {
      id: 'EC2.SG_OPEN_INGRESS',
      resource: 'sg-2',
      reason: 'legacy ALB',
      until: '2027-01-01T00:00:00Z',
    };
    const expired = { id: 'EC2.IMDSV1_ALLOWED', reason: 'migration', until: '2026-11-30' };
    const unused = { id: 'EKS.PUBLIC_ENDPOINT', reason: 'n/a', until: '2027-06-01' };
    const out = applySuppressions([sg22, sg80, imds], [byId, byRuleOnSg2, expired, unused], AT);
    expect(out.active.map((x) => x.id)).toEqual([imds.id]);
    expect(out.suppressed.map((s) => [s.finding.id, s.suppression.reason])).toEqual([
      [sg22.id, 'bastion until VPN'],
      [sg80.id, 'legacy ALB'],
    ]);
    expect(out.expired).toEqual([expired]);
    expect(out.unused).toEqual([unused]);
  });

  it('a rule id with a different resource does not match; until is exclusive; a date means 00:00 UTC', () => {
    expect(
      applySuppressions([sg22], [{ id: 'EC2.SG_OPEN_INGRESS', resource: 'sg-2', reason: 'x', until: '2027-01-01' }], AT)
        .active,
    ).toEqual([sg22]);
    expect(suppressionEndsMs({ until: '2026-12-01' })).toBe(AT);
    expect(applySuppressions([sg22], [{ id: sg22.id, reason: 'x', until: '2026-12-01' }], AT).active).toEqual([sg22]);
    expect(applySuppressions([sg22], [{ id: sg22.id, reason: 'x', until: '2026-12-01T00:00:01Z' }], AT).active).toEqual(
      [],
    );
    expect(
      applySuppressions([sg22], [{ id: sg22.id, reason: 'x', until: '2026-12-01T05:30:01+05:30' }], AT).active,
    ).toEqual([]);
  });
});

describe('diff against the previous scan', () => {
  it('new / open / resolved, and findings of a scope not rescanned are neither', () => {
    const prev = [f('A:1'), f('B:1'), f('C:1', 'high', 'x/y/other')];
    const d = diffFindings(prev, [f('B:1'), f('D:1')], ['a/r/c']);
    expect(d.new.map((x) => x.id)).toEqual(['D:1']);
    expect(d.open.map((x) => x.id)).toEqual(['B:1']);
    expect(d.resolved.map((x) => x.id)).toEqual(['A:1']);
    expect(d.notRescanned.map((x) => x.id)).toEqual(['C:1']);
  });

  it('no previous scan: everything is new', () => {
    expect(diffFindings(undefined, [f('A:1')], ['a/r/c']).new.map((x) => x.id)).toEqual(['A:1']);
  });
});

describe('scan report', () => {
  it('dedups ids, applies suppressions before the diff, counts by severity and source, lists expired suppressions as problems', () => {
    const { report, diff } = buildScanReport({
      scanId: 's2',
      generatedAt: '2026-12-01T00:00:00Z',
      scopes: ['a/r/c'],
      findings: [
        f('A:1', 'critical'),
        f('A:1', 'critical'),
        f('B:1', 'medium'),
        f('S:1', 'high'),
        { ...f('ecr:x', 'low'), source: 'ecr' },
      ],
      suppressions: [
        { id: 'S:1', reason: 'accepted', until: '2027-01-01' },
        { id: 'old', reason: 'gone', until: '2026-01-01' },
      ],
      previous: {
        scanId: 's1',
        findings: [
          { ...f('B:1', 'medium'), status: 'new' },
          { ...f('Z:1'), status: 'open' },
        ],
      },
      problems: ['inspector2: not enabled'],
    });
    expect(report.findings.map((x) => [x.id, x.status])).toEqual([
      ['A:1', 'new'],
      ['B:1', 'open'],
      ['ecr:x', 'new'],
    ]);
    expect(report.resolved.map((x) => x.id)).toEqual(['Z:1']);
    expect(report.counts).toEqual({ critical: 1, high: 0, medium: 1, low: 1, informational: 0 });
    expect(report.bySource).toEqual({ eksflow: 2, ecr: 1 });
    expect(report.suppressed.map((s) => s.finding.id)).toEqual(['S:1']);
    expect(report.previousScanId).toBe('s1');
    expect(report.problems).toEqual([
      'inspector2: not enabled',
      'the Kubernetes version table is 289 days old (2026-02-15); check https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html and update it',
      'suppression of old expired 2026-01-01 (reason was: gone)',
    ]);
    expect(diff.new.map((x) => x.id)).toEqual(['A:1', 'ecr:x']);
    expect(report.versionTable.ageDays).toBeGreaterThan(0);
  });

  it('an expired suppression brings its finding back as new', () => {
    const previous = buildScanReport({
      scanId: 's1',
      generatedAt: '2026-11-01T00:00:00Z',
      scopes: ['a/r/c'],
      findings: [f('S:1')],
      suppressions: [{ id: 'S:1', reason: 'x', until: '2026-11-15' }],
      problems: [],
    }).report;
    expect(previous.findings).toEqual([]);
    const next = buildScanReport({
      scanId: 's2',
      generatedAt: '2026-12-01T00:00:00Z',
      scopes: ['a/r/c'],
      findings: [f('S:1')],
      suppressions: [{ id: 'S:1', reason: 'x', until: '2026-11-15' }],
      previous,
      problems: [],
    });
    expect(next.diff.new.map((x) => x.id)).toEqual(['S:1']);
  });
});

describe('alert for a scan', () => {
  it('one alert listing only new critical/high findings; critical pages, high alone warns; none when nothing urgent is new', () => {
    expect(newFindingsAlert('2026-12-01', [f('M:1', 'medium'), f('L:1', 'low')])).toBeUndefined();
    expect(newFindingsAlert('2026-12-01', [f('H:1', 'high')])?.severity).toBe('warning');
    const a = newFindingsAlert(
      '2026-12-01',
      [f('C:1', 'critical'), f('H:1', 'high'), f('M:1', 'medium')],
      '/r/security.html',
    )!;
    expect(a).toEqual({
      severity: 'critical',
      type: 'security_findings',
      dedupKey: 'security-scan/2026-12-01',
      summary: 'Security scan: 2 new finding(s) — 1 critical, 1 high',
      details: {
        newCritical: 1,
        newHigh: 1,
        findings: '[critical] t C:1 (1)\n[high] t H:1 (1)',
        ids: 'C:1 H:1',
        report: '/r/security.html',
      },
      links: [{ label: 'Security report', url: 'file:///r/security.html' }],
    });
    const many = Array.from({ length: 12 }, (_, i) => f(`H:${i}`));
    expect(newFindingsAlert('x', many)!.details!.findings).toMatch(/; and 2 more in the report$/);
  });
});

describe('AWS service findings', () => {
  it('severity labels', () => {
    expect(
      ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED', undefined].map(severityFromLabel),
    ).toEqual(['critical', 'high', 'medium', 'low', 'informational', 'informational', 'informational']);
  });

  it('Inspector2: active findings only, id from the finding ARN', () => {
    const raw = {
      findingArn: 'arn:aws:inspector2:us-east-1:1:finding/abc',
      severity: 'HIGH',
      status: 'ACTIVE',
      title: 'CVE-2024-1 - openssl',
      description: 'd',
      type: 'PACKAGE_VULNERABILITY',
      remediation: { recommendation: { text: 'upgrade openssl' } },
      resources: [{ id: 'i-1', type: 'AWS_EC2_INSTANCE' }],
    };
    expect(fromInspector2(raw, 's')).toEqual({
      id: 'inspector2:arn:aws:inspector2:us-east-1:1:finding/abc',
      ruleId: 'inspector2/PACKAGE_VULNERABILITY',
      severity: 'high',
      title: 'CVE-2024-1 - openssl',
      resource: 'i-1',
      evidence: 'd',
      remediation: 'upgrade openssl',
      source: 'inspector2',
      scope: 's',
    });
    expect(fromInspector2({ ...raw, status: 'CLOSED' }, 's')).toBeUndefined();
  });

  it('Security Hub: archived, suppressed and resolved findings are skipped', () => {
    const raw = {
      Id: 'arn:sh/1',
      GeneratorId: 'aws-foundational/EKS.1',
      Title: 'EKS endpoint public',
      Description: 'desc',
      Severity: { Label: 'CRITICAL' },
      Remediation: { Recommendation: { Text: 'fix', Url: 'https://x' } },
      Resources: [{ Id: 'arn:eks/c' }],
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    };
    expect(fromSecurityHub(raw, 's')).toMatchObject({
      id: 'securityhub:arn:sh/1',
      ruleId: 'securityhub/aws-foundational/EKS.1',
      severity: 'critical',
      resource: 'arn:eks/c',
      remediation: 'fix https://x',
      source: 'securityhub',
    });
    expect(fromSecurityHub({ ...raw, RecordState: 'ARCHIVED' }, 's')).toBeUndefined();
    expect(fromSecurityHub({ ...raw, Workflow: { Status: 'SUPPRESSED' } }, 's')).toBeUndefined();
  });

  it('ECR: one finding per CVE and package of an image digest', () => {
    const e = fromEcr(
      'team/app',
      'sha256:aa',
      {
        name: 'CVE-2023-1',
        severity: 'MEDIUM',
        description: 'bug',
        uri: 'https://cve',
        attributes: [
          { key: 'package_name', value: 'zlib' },
          { key: 'package_version', value: '1.2' },
        ],
      },
      's',
    );
    expect(e).toEqual({
      id: 'ecr:team/app@sha256:aa:CVE-2023-1:zlib',
      ruleId: 'ecr/CVE-2023-1',
      severity: 'medium',
      title: 'CVE-2023-1 in zlib 1.2 (team/app)',
      resource: 'team/app@sha256:aa',
      evidence: 'bug',
      remediation: 'Rebuild the image on a base with the fix (https://cve) and roll it out.',
      source: 'ecr',
      scope: 's',
    });
  });

  it('parses ECR image references', () => {
    expect(parseEcrImage('123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2')).toEqual({
      registryId: '123456789012',
      region: 'us-east-1',
      repository: 'team/app',
      tag: '1.2',
      digest: undefined,
    });
    expect(parseEcrImage(`app@sha256:${'a'.repeat(64)}`)).toMatchObject({
      repository: 'app',
      digest: `sha256:${'a'.repeat(64)}`,
    });
    expect(parseEcrImage('docker.io/library/nginx:1')).toBeUndefined();
    expect(parseEcrImage(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:2@sha256:${'c'.repeat(64)}`)).toEqual({
      registryId: '123456789012',
      region: 'eu-west-1',
      repository: 'app',
      tag: '2',
      digest: `sha256:${'c'.repeat(64)}`,
    });
  });

  it('keeps the ECR references among running images, de-duplicated, digest over tag', () => {
    const host = '123456789012.dkr.ecr.ap-south-1.amazonaws.com';
    const d = `sha256:${'d'.repeat(64)}`;
    expect(
      runningEcrImages([
        `${host}/team/api:1.4`,
        'nginx:1.27',
        'docker.io/library/redis:7',
        'ghcr.io/acme/tool:1',
        'public.ecr.aws/eks/aws-load-balancer-controller:v2.7.0',
        `${host}/team/api:1.4`,
        `${host}/team/worker`,
        `${host}/team/web:3@${d}`,
        `${host}/team/web@${d}`,
        'registry.k8s.io/pause:3.9',
      ]),
    ).toEqual([`${host}/team/api:1.4`, `${host}/team/web@${d}`, `${host}/team/worker:latest`]);
    expect(runningEcrImages([])).toEqual([]);
    expect(ecrImagesToScan(['app:1', `${host}/team/api:1.4`], [`${host}/team/api:1.4`, `${host}/x:2`])).toEqual([
      'app:1',
      `${host}/team/api:1.4`,
      `${host}/x:2`,
    ]);
  });
});
