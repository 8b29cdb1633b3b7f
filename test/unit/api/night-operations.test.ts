import { buildOpenApi } from '../../../src/api/openapi';
import { operationById } from '../../../src/api/operations';
import { addSuppressionToText } from '../../../src/client/security';
import { ConfigError } from '../../../src/config/load';

const CONFIG = `# the fleet
clusters:
  - name: prod # the big one
    accountId: "123456789012"
    region: ap-south-1
    nodegroups:
      - name: general
        instanceTypes: [m5.large]
        businessHours: { min: 1, desired: 2, max: 4 }
        offHours: { min: 1, desired: 1, max: 4 }
`;

describe('night-feature operations', () => {
  test('writes to the stored config need admin; runs need operator; reads viewer', () => {
    expect(operationById('pushConfig').role).toBe('admin');
    expect(operationById('suppressFinding').role).toBe('admin');
    for (const id of ['runSecurityScan', 'archiveLogs', 'runBackups', 'verifyBackup', 'planCleanup', 'runCleanup'])
      expect([operationById(id).role, operationById(id).status]).toEqual(['operator', 202]);
    for (const id of ['checkHealth', 'pauseHealth', 'resumeHealth']) expect(operationById(id).role).toBe('operator');
    for (const id of ['pullConfig', 'diffConfig', 'listSecurityFindings', 'getHealth', 'listBackups'])
      expect([operationById(id).method, operationById(id).role]).toEqual(['GET', 'viewer']);
  });

  test('a 404 without path parameters is documented where it can happen, and only there', () => {
    const spec = buildOpenApi([operationById('pullConfig'), operationById('runBackups')]) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(spec.paths['/api/v1/config/stored']!.get!.responses['404']).toBeDefined();
    expect(spec.paths['/api/v1/backups/run']!.post!.responses['404']).toBeUndefined();
  });

  test('bodies are strict: unknown fields and bad values are refused before anything runs', () => {
    const body = (id: string) => operationById(id).body!;
    expect(body('runBackups').safeParse({ dryRun: true, everything: true }).success).toBe(false);
    expect(body('archiveLogs').safeParse({ date: '2026-02-30' }).success).toBe(false);
    expect(body('verifyBackup').safeParse({ availabilityZone: 'mars-1' }).success).toBe(false);
    expect(body('pushConfig').safeParse({ text: 'x', type: 'Plain' }).success).toBe(false);
    expect(body('suppressFinding').safeParse({ id: 'rule', reason: 'ok', until: 'soon' }).success).toBe(false);
    expect(body('planCleanup').safeParse({}).success).toBe(true);
  });
});

describe('addSuppressionToText (CLI file edit and API stored-config edit)', () => {
  test('adds the entry, keeps comments, and validates the result', () => {
    const entry = { id: 'eks-public-endpoint', reason: 'behind a VPN', until: '2027-01-01', resource: 'prod' };
    const once = addSuppressionToText(CONFIG, entry, 'test');
    expect(once.total).toBe(1);
    expect(once.added).toEqual(entry);
    expect(once.text).toContain('# the big one');
    expect(once.text).toMatch(/suppress:\n\s+- id: eks-public-endpoint/);
    expect(addSuppressionToText(once.text, { ...entry, id: 'other-rule' }, 'test').total).toBe(2);
  });

  test('an invalid entry or an invalid config is refused with the fields named', () => {
    expect(() => addSuppressionToText(CONFIG, { id: 'x', reason: 'no', until: 'later' }, 'test')).toThrow(ConfigError);
    expect(() =>
      addSuppressionToText('clusters: 3\n', { id: 'rule', reason: 'fine', until: '2027-01-01' }, 'stored'),
    ).toThrow(/clusters/);
    expect(() =>
      addSuppressionToText('clusters: [\n', { id: 'rule', reason: 'fine', until: '2027-01-01' }, 'stored'),
    ).toThrow(/not valid YAML/);
  });
});
