import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile } from '../../../src/config/load';
import { DEFAULT_MAX_CACHED_WORKFLOWS, readEnv } from '../../../src/config/env';
import { REPO_ROOT } from '../../../src/sandbox/processes';

const dir = mkdtempSync(join(tmpdir(), 'eksflow-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const validCluster = `
clusters:
  - name: prod
    accountId: "123456789012"
    region: ap-south-1
    nodegroups:
      - name: general
        instanceTypes: [m5.large]
        businessHours: { min: 2, desired: 4, max: 8 }
        offHours: { min: 1, desired: 1, max: 8 }
`;

describe('config loading', () => {
  it('loads the example config with defaults filled in', () => {
    const cfg = loadConfigFile(join(REPO_ROOT, 'eksflow.example.yaml'));
    expect(cfg.clusters.map((c) => c.region)).toEqual(['ap-south-1', 'us-east-1']);
    const ng = cfg.clusters[0]!.nodegroups[0]!;
    expect(ng.scalingMode).toBe('desired');
    expect(ng.kind).toBe('eks-managed');
    expect(cfg.timetable.timezone).toBe('Asia/Kolkata');
  });

  it('accepts a minimal valid file', () => {
    expect(loadConfigFile(file('ok.yaml', validCluster)).clusters[0]!.nodegroups[0]!.floor).toBe(0);
  });

  const bad: [string, string, RegExp][] = [
    [
      'min above max',
      validCluster.replace('offHours: { min: 1, desired: 1, max: 8 }', 'offHours: { min: 9, desired: 9, max: 8 }'),
      /clusters\[0\]\.nodegroups\[0\]\.offHours: sizes must satisfy min <= desired <= max/,
    ],
    [
      'bad account id',
      validCluster.replace('"123456789012"', '"12345"'),
      /clusters\[0\]\.accountId: a 12-digit AWS account id/,
    ],
    ['bad region', validCluster.replace('ap-south-1', 'mumbai'), /clusters\[0\]\.region: an AWS region/],
    ['unknown field (typo)', validCluster.replace('instanceTypes:', 'instanceType:'), /clusters\[0\]\.nodegroups\[0\]/],
    ['no clusters', 'clusters: []\n', /clusters: .*(at least|>=)/i],
    [
      'self-managed without asgName',
      validCluster.replace('- name: general', '- name: general\n        kind: self-managed'),
      /nodegroups\[0\]\.asgName: a self-managed node group needs asgName/,
    ],
    [
      'duplicate node group',
      validCluster +
        `      - name: general
        instanceTypes: [m5.large]
        businessHours: { min: 2, desired: 4, max: 8 }
        offHours: { min: 1, desired: 1, max: 8 }
`,
      /duplicate node group name "general"/,
    ],
    ['not YAML', 'clusters: [\n  - {', /is not valid YAML/],
    [
      'bad holiday',
      validCluster + 'timetable:\n  holidays: ["26/01/2027"]\n',
      /timetable\.holidays\[0\]: a date as YYYY-MM-DD/,
    ],
  ];

  it.each(bad)('rejects %s with a message naming the field', (_name, text, message) => {
    const path = file(`bad-${Math.random().toString(36).slice(2)}.yaml`, text);
    let error: unknown;
    try {
      loadConfigFile(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(path);
  });

  it('rejects a missing file clearly', () => {
    expect(() => loadConfigFile(join(dir, 'nope.yaml'))).toThrow(/cannot read config file .*nope\.yaml/);
  });

  it('reads EKSFLOW_CONFIG and validates other environment settings', () => {
    expect(readEnv({ EKSFLOW_CONFIG: '/etc/eksflow.yaml' }).EKSFLOW_CONFIG).toBe('/etc/eksflow.yaml');
    expect(() => readEnv({ EKSFLOW_INGRESS_PORT: 'eighty' })).toThrow(/EKSFLOW_INGRESS_PORT/);
  });

  it('sizes the sticky cache by default, and takes EKSFLOW_MAX_CACHED_WORKFLOWS as given', () => {
    expect(DEFAULT_MAX_CACHED_WORKFLOWS).toBe(100);
    expect(readEnv({}).EKSFLOW_MAX_CACHED_WORKFLOWS).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
    expect(readEnv({ EKSFLOW_MAX_CACHED_WORKFLOWS: '0' }).EKSFLOW_MAX_CACHED_WORKFLOWS).toBe(0);
    expect(readEnv({ EKSFLOW_MAX_CACHED_WORKFLOWS: '2500' }).EKSFLOW_MAX_CACHED_WORKFLOWS).toBe(2500);
    for (const size of ['-1', '1.5', 'many', '100001'])
      expect(() => readEnv({ EKSFLOW_MAX_CACHED_WORKFLOWS: size })).toThrow(/EKSFLOW_MAX_CACHED_WORKFLOWS/);
  });

  it('reads the worker tuning variables, and refuses values the SDK would reject later', () => {
    expect(readEnv({}).EKSFLOW_WORKFLOW_THREADS).toBeUndefined();
    expect(readEnv({}).EKSFLOW_WORKFLOW_POLLERS).toBeUndefined();
    expect(readEnv({ EKSFLOW_WORKFLOW_THREADS: '2' }).EKSFLOW_WORKFLOW_THREADS).toBe(2);
    expect(readEnv({ EKSFLOW_WORKFLOW_POLLERS: 'autoscaling' }).EKSFLOW_WORKFLOW_POLLERS).toBe('autoscaling');
    expect(readEnv({ EKSFLOW_WORKFLOW_POLLERS: '20' }).EKSFLOW_WORKFLOW_POLLERS).toBe(20);
    for (const threads of ['0', '17', '1.5', 'many'])
      expect(() => readEnv({ EKSFLOW_WORKFLOW_THREADS: threads })).toThrow(/EKSFLOW_WORKFLOW_THREADS/);
    // The SDK needs at least 2 workflow pollers (one sticky, one for the shared queue).
    for (const pollers of ['1', '201', 'auto', ''])
      expect(() => readEnv({ EKSFLOW_WORKFLOW_POLLERS: pollers })).toThrow(/EKSFLOW_WORKFLOW_POLLERS/);
    expect(() => readEnv({ EKSFLOW_WORKFLOW_THREADS: 'many' })).toThrow(
      /EKSFLOW_WORKFLOW_THREADS: must be a whole number of threads from 1 to 16/,
    );
    expect(() => readEnv({ EKSFLOW_WORKFLOW_POLLERS: 'auto' })).toThrow(
      /EKSFLOW_WORKFLOW_POLLERS: must be "autoscaling" or a whole number of polls from 2 to 200/,
    );
  });
});
