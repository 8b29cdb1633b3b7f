import {
  classifyPod,
  nextEvictionBackoffMs,
  planDrain,
  selectorMatches,
  type PodLike,
} from '../../../src/domain/drain/pods';
import { parseConfig } from '../../../src/config/load';

const rs = [{ kind: 'ReplicaSet', name: 'web-1', controller: true }];
const pod = (name: string, extra: Partial<PodLike> & { owner?: typeof rs } = {}): PodLike => ({
  metadata: { name, namespace: 'apps', uid: `uid-${name}`, ownerReferences: extra.owner ?? rs, ...extra.metadata },
  spec: { terminationGracePeriodSeconds: 10, ...extra.spec },
  status: { phase: 'Running', ...extra.status },
});
const strict = { deleteEmptyDirData: false, force: false };

describe('kubectl drain pod rules', () => {
  it('leaves DaemonSet and mirror pods, evicts controller-managed pods', () => {
    expect(
      classifyPod(pod('agent', { owner: [{ kind: 'DaemonSet', name: 'agent', controller: true }] }), strict),
    ).toEqual({ action: 'skip', pod: 'apps/agent', reason: 'daemonset' });
    expect(
      classifyPod(pod('static', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }), strict),
    ).toMatchObject({ action: 'skip', reason: 'mirror' });
    expect(classifyPod(pod('web'), strict)).toEqual({
      action: 'evict',
      pod: { namespace: 'apps', name: 'web', uid: 'uid-web', terminating: false, graceSeconds: 10 },
    });
  });

  it('refuses unmanaged and emptyDir pods unless --force / --delete-emptydir-data', () => {
    const bare = pod('bare', { owner: [] });
    const scratch = pod('scratch', { spec: { volumes: [{ name: 'tmp', emptyDir: {} }] } });
    expect(classifyPod(bare, strict)).toMatchObject({
      action: 'refuse',
      reason: expect.stringMatching(/not managed by a controller/),
    });
    expect(classifyPod(bare, { ...strict, force: true })).toMatchObject({ action: 'evict' });
    expect(classifyPod(scratch, strict)).toMatchObject({
      action: 'refuse',
      reason: expect.stringMatching(/emptyDir volume\(s\) tmp/),
    });
    expect(classifyPod(scratch, { ...strict, deleteEmptyDirData: true })).toMatchObject({ action: 'evict' });
    // A non-controller owner reference does not make a pod managed.
    expect(
      classifyPod(pod('x', { owner: [{ kind: 'ReplicaSet', name: 'r', controller: false }] }), strict),
    ).toMatchObject({ action: 'refuse' });
  });

  it('waits for terminating pods and evicts finished ones whatever the rules', () => {
    expect(
      classifyPod(pod('going', { owner: [], metadata: { deletionTimestamp: '2026-11-30T10:00:00Z' } }), strict),
    ).toMatchObject({ action: 'evict', pod: { terminating: true } });
    expect(classifyPod(pod('done', { owner: [], status: { phase: 'Succeeded' } }), strict)).toMatchObject({
      action: 'evict',
    });
  });

  it('plans a node: sorted evict / skipped / refused lists', () => {
    const plan = planDrain(
      [
        pod('b'),
        pod('a'),
        pod('ds', { owner: [{ kind: 'DaemonSet', name: 'd', controller: true }] }),
        pod('bare', { owner: [] }),
      ],
      strict,
    );
    expect(plan.evict.map((p) => p.name)).toEqual(['a', 'b']);
    expect(plan.skipped).toEqual([{ pod: 'apps/ds', reason: 'daemonset' }]);
    expect(plan.refused.map((r) => r.pod)).toEqual(['apps/bare']);
  });

  it('backs off 1 s doubling to 8 s while budgets refuse, and resets on progress', () => {
    let b = nextEvictionBackoffMs(undefined, false);
    const seen = [b];
    for (let i = 0; i < 5; i++) seen.push((b = nextEvictionBackoffMs(b, false)));
    expect(seen).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(nextEvictionBackoffMs(8000, true)).toBe(1000);
  });

  it('matches PodDisruptionBudget selectors', () => {
    expect(selectorMatches({ matchLabels: { app: 'web' } }, { app: 'web', tier: 'fe' })).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'web' } }, { app: 'db' })).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] }, { tier: 'be' }),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, { tier: 'be' })).toBe(
      false,
    );
    expect(selectorMatches(undefined, { app: 'web' })).toBe(false);
  });
});

describe('kubernetes config', () => {
  const cluster = (kubernetes: unknown) => ({
    clusters: [
      {
        name: 'c',
        accountId: '111111111111',
        region: 'ap-south-1',
        kubernetes,
        nodegroups: [
          {
            name: 'ng',
            instanceTypes: ['m5.large'],
            businessHours: { min: 1, desired: 1, max: 2 },
            offHours: { min: 0, desired: 0, max: 2 },
          },
        ],
      },
    ],
  });

  it('accepts each auth mode and fills the drain defaults', () => {
    const eks = parseConfig(cluster({}), 't').clusters[0]!.kubernetes!;
    expect(eks.drain).toEqual({ timeoutSeconds: 300, deleteEmptyDirData: false, force: false });
    expect(
      parseConfig(cluster({ apiServer: 'https://k.example', tokenEnv: 'K_TOKEN' }), 't').clusters[0]!.kubernetes!
        .tokenEnv,
    ).toBe('K_TOKEN');
    expect(
      parseConfig(cluster({ apiServer: 'https://k.example', tokenSecretId: 'eksflow/k8s' }), 't').clusters[0]!
        .kubernetes!.tokenSecretId,
    ).toBe('eksflow/k8s');
    expect(
      parseConfig(cluster({ kubeconfig: '/home/me/.kube/config', context: 'prod' }), 't').clusters[0]!.kubernetes!
        .context,
    ).toBe('prod');
  });

  it('rejects ambiguous or incomplete auth with a clear message', () => {
    expect(() => parseConfig(cluster({ tokenEnv: 'K' }), 't')).toThrow(/token auth needs apiServer/);
    expect(() => parseConfig(cluster({ apiServer: 'https://k', tokenEnv: 'K', tokenSecretId: 's' }), 't')).toThrow(
      /exactly one of tokenEnv, tokenSecretId/,
    );
    expect(() => parseConfig(cluster({ auth: 'kubeconfig' }), 't')).toThrow(/kubeconfig auth needs kubeconfig/);
    expect(() => parseConfig(cluster({ auth: 'eks', tokenEnv: 'K' }), 't')).toThrow(/do not apply to eks auth/);
    expect(() => parseConfig(cluster({ drain: { timeoutSeconds: 0 } }), 't')).toThrow();
  });
});
