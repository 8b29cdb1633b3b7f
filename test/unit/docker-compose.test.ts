import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { REPO_ROOT } from '../../src/sandbox/processes';

/** No Docker engine runs here, so the wiring of the production compose file is checked by reading it. */
describe('docker-compose.yml', () => {
  const doc = parseDocument(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  const compose = doc.toJS({ maxAliasCount: 100 }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: string;
        command?: string[];
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
        deploy?: { replicas?: number };
        ports?: string[];
      }
    >;
  };
  const s = compose.services;

  it('runs Temporal on PostgreSQL, the UI and several eksflow workers', () => {
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'worker', 'ingress', 'schedules']),
    );
    expect(s.temporal!.environment!.DB).toBe('postgres12');
    expect(s.temporal!.environment!.POSTGRES_SEEDS).toBe('postgresql');
    expect(s.temporal!.depends_on!.postgresql!.condition).toBe('service_healthy');
    expect(s['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(s.worker!.deploy!.replicas).toBeGreaterThanOrEqual(2);
  });

  it('wires workers, ingress and the schedules job to the same Temporal, task queue and config', () => {
    for (const name of ['worker', 'ingress', 'schedules']) {
      const env = s[name]!.environment!;
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(env.TEMPORAL_TASK_QUEUE).toBe('eksflow');
      expect(env.EKSFLOW_CONFIG).toBe('/etc/eksflow/eksflow.yaml');
    }
    expect(s.worker!.depends_on!.temporal!.condition).toBe('service_healthy');
    expect(s.worker!.depends_on!['temporal-setup']!.condition).toBe('service_completed_successfully');
    expect(s.ingress!.environment!.EKSFLOW_INGRESS_TOKEN).toBeDefined();
  });

  it('builds the worker image from the Dockerfile in the repo, running the real entry points', () => {
    expect(s.worker!.build).toBe('.');
    expect(existsSync(join(REPO_ROOT, 'Dockerfile'))).toBe(true);
    const entries = [s.worker!.command!, s.ingress!.command!].map((c) => c[c.length - 1]!);
    for (const entry of entries) expect(existsSync(join(REPO_ROOT, entry))).toBe(true);
    expect(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/npm ci --omit=dev/);
  });
});
