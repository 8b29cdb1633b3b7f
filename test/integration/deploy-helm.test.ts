import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load';
import { REPO_ROOT, toolPath } from '../../src/sandbox/processes';
import { kubeconformSchemaLocation } from '../support/kube-schemas';

const CHART = join(REPO_ROOT, 'deploy/helm/eksflow');
const TEST_VALUES = join(CHART, 'ci/test-values.yaml');
const KUBE_VERSION = '1.35.4';
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'eksflow-helm-'));

type Doc = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: any; data?: any };

const exampleConfig = parse(readFileSync(join(REPO_ROOT, 'eksflow.example.yaml'), 'utf8')) as unknown;
function valuesFile(name: string, values: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, stringify(values));
  return path;
}
const configValues = valuesFile('config.yaml', { config: exampleConfig });

async function helm(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout } = await run(toolPath('helm'), args, { maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, out: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
const template = (...files: string[]) =>
  helm([
    'template',
    'eksflow',
    CHART,
    '-n',
    'eksflow',
    '--kube-version',
    KUBE_VERSION,
    ...files.flatMap((f) => ['-f', f]),
  ]);
const docs = (yamlText: string): Doc[] =>
  parseAllDocuments(yamlText)
    .map((d) => d.toJSON() as Doc | null)
    .filter((d): d is Doc => d !== null);

describe('Helm chart deploy/helm/eksflow', () => {
  it('passes helm lint with the example config', async () => {
    const res = await helm(['lint', CHART, '--kube-version', KUBE_VERSION, '-f', TEST_VALUES, '-f', configValues]);
    expect(res.out).toContain('0 chart(s) failed');
    expect(res.ok).toBe(true);
  });

  it('renders manifests that validate against the Kubernetes OpenAPI schema (kubeconform, strict, offline)', async () => {
    const res = await template(TEST_VALUES, configValues);
    expect(res.ok).toBe(true);
    const rendered = join(tmp, 'rendered.yaml');
    writeFileSync(rendered, res.out);
    const location = kubeconformSchemaLocation(join(REPO_ROOT, '.tools/k8s-openapi.json'), join(REPO_ROOT, '.data'));
    // ServiceMonitor is a Prometheus Operator CRD: not in the Kubernetes schema.
    const { stdout } = await run(toolPath('kubeconform'), [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      location,
      '-skip',
      'ServiceMonitor',
      rendered,
    ]);
    const summary = (
      JSON.parse(stdout) as { summary: { valid: number; invalid: number; errors: number; skipped: number } }
    ).summary;
    expect(summary).toEqual({ valid: docs(res.out).length - 1, invalid: 0, errors: 0, skipped: 1 });
  });

  it('runs non-root on a read-only root filesystem with every capability dropped, IRSA on the service account', async () => {
    const manifests = docs((await template(TEST_VALUES, configValues)).out);
    const kinds = manifests.map((d) => d.kind).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'Deployment',
        'Ingress',
        'Job',
        'PodDisruptionBudget',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ].sort(),
    );
    expect(kinds).not.toContain('Secret');
    const pods = manifests.filter((d) => ['Deployment', 'Job'].includes(d.kind)).map((d) => d.spec.template.spec);
    for (const pod of pods) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.serviceAccountName).toBe('eksflow');
      for (const c of pod.containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
    const sa = manifests.find((d) => d.kind === 'ServiceAccount');
    expect(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::111111111111:role/eksflow-worker-ap-south-1',
    );
    const job = manifests.find((d) => d.kind === 'Job');
    expect(job?.metadata.annotations?.['helm.sh/hook']).toBe('post-install,post-upgrade');
    expect(job?.spec.template.spec.containers[0].command).toEqual([
      'node',
      'dist/src/cli/main.js',
      'schedules',
      'apply',
    ]);
    const worker = manifests.find((d) => d.kind === 'Deployment' && d.metadata.name.endsWith('-worker'));
    expect(worker?.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    const ingress = manifests.find((d) => d.kind === 'Deployment' && d.metadata.name.endsWith('-ingress'));
    const env = ingress?.spec.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[];
    expect(env.find((e) => e.name === 'EKSFLOW_INGRESS_TOKEN')?.valueFrom).toEqual({
      secretKeyRef: { name: 'eksflow-ingress-token', key: 'token' },
    });
    // The ConfigMap holds a config the worker's own parser accepts, equal to the example.
    const cm = manifests.find((d) => d.kind === 'ConfigMap');
    expect(parseConfig(parse(cm?.data['eksflow.yaml'] as string))).toEqual(parseConfig(exampleConfig));
  });

  it('rejects a config the worker would reject, naming the field (values.schema.json from the zod schema)', async () => {
    const bad = structuredClone(exampleConfig) as { clusters: { region: string }[] };
    bad.clusters[0].region = 'mars-1';
    const res = await template(TEST_VALUES, valuesFile('bad.yaml', { config: bad }));
    expect(res.ok).toBe(false);
    expect(res.out).toContain('/config/clusters/0/region');
  });

  it('requires the ingress token by Secret reference, and renders Pod Identity without the IRSA annotation', async () => {
    const noToken = await template(configValues);
    expect(noToken.ok).toBe(false);
    expect(noToken.out).toContain('ingress.tokenSecret.name');
    const podIdentity = await template(
      configValues,
      valuesFile('pi.yaml', { ingress: { tokenSecret: { name: 't' } } }),
    );
    const sa = docs(podIdentity.out).find((d) => d.kind === 'ServiceAccount');
    expect(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBeUndefined();
  });
});
