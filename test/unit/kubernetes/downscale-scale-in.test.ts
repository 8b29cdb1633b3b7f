import { ANN, decideWorkload, inTimeSpec, type WorkloadView } from '../../../src/domain/downscale/workloads';
import { pickNodesToRemove, SCALE_DOWN_DISABLED } from '../../../src/domain/drain/scale-in';

const ist = (iso: string) => Date.parse(`${iso}+05:30`);
const policy = { namespaces: ['batch'], excludeNamespaces: ['kube-system'], replicas: 0 };
const w = (over: Partial<WorkloadView> = {}): WorkloadView => ({
  kind: 'Deployment',
  namespace: 'apps',
  name: 'web',
  replicas: 3,
  annotations: { [ANN.downscale]: 'true' },
  namespaceAnnotations: {},
  ...over,
});

describe('kube-downscaler time specs', () => {
  it('matches day ranges, times and time zones', () => {
    // 2026-11-30 is a Monday.
    expect(inTimeSpec('Mon-Fri 08:00-20:00 Asia/Kolkata', ist('2026-11-30T08:00:00'))).toBe(true);
    expect(inTimeSpec('Mon-Fri 08:00-20:00 Asia/Kolkata', ist('2026-11-30T20:00:00'))).toBe(false);
    expect(inTimeSpec('Mon-Fri 08:00-20:00 Asia/Kolkata', ist('2026-12-05T10:00:00'))).toBe(false); // Saturday
    expect(
      inTimeSpec('Sat-Sun 00:00-24:00 Asia/Kolkata, Mon-Mon 00:00-06:00 Asia/Kolkata', ist('2026-11-30T05:59:00')),
    ).toBe(true);
    expect(inTimeSpec('Mon-Fri 08:00-20:00 UTC', Date.parse('2026-11-30T07:59:00Z'))).toBe(false);
    expect(() => inTimeSpec('weekdays 9 to 5', 0)).toThrow(/not like/);
    expect(() => inTimeSpec('Mon-Fri 08:00-20:00 Mars/Olympus', 0)).toThrow(/unknown time zone/);
  });
});

describe('workload downscaling decisions', () => {
  const evening = ist('2026-11-30T18:00:00');
  const morning = ist('2026-12-01T08:00:00');

  it('scales opted-in workloads to the downtime replicas, remembering the original, and restores them', () => {
    const down = decideWorkload(w(), policy, 'down', evening);
    expect(down).toEqual({ action: 'scale', to: 0, annotations: { [ANN.original]: '3' }, why: 'downtime: 3 → 0' });
    const asDown = w({ replicas: 0, annotations: { [ANN.downscale]: 'true', [ANN.original]: '3' } });
    expect(decideWorkload(asDown, policy, 'down', evening)).toMatchObject({
      action: 'none',
      why: expect.stringMatching(/already down/),
    });
    expect(decideWorkload(asDown, policy, 'up', morning)).toEqual({
      action: 'scale',
      to: 3,
      annotations: { [ANN.original]: null },
      why: 'uptime: restored 0 → 3',
    });
  });

  it('takes scope from the namespace annotation or config, and honours opt-out and exclusions', () => {
    expect(decideWorkload(w({ annotations: {} }), policy, 'down', evening)).toMatchObject({
      action: 'none',
      why: 'not in scope',
    });
    expect(
      decideWorkload(
        w({ annotations: {}, namespaceAnnotations: { [ANN.downscale]: 'true' } }),
        policy,
        'down',
        evening,
      ),
    ).toMatchObject({ action: 'scale' });
    expect(decideWorkload(w({ namespace: 'batch', annotations: {} }), policy, 'down', evening)).toMatchObject({
      action: 'scale',
    });
    expect(
      decideWorkload(w({ namespace: 'batch', annotations: { [ANN.downscale]: 'false' } }), policy, 'down', evening),
    ).toMatchObject({ action: 'none' });
    expect(decideWorkload(w({ namespace: 'kube-system' }), policy, 'down', evening)).toMatchObject({ action: 'none' });
    expect(
      decideWorkload(w({ annotations: { [ANN.downscale]: 'true', [ANN.exclude]: 'true' } }), policy, 'down', evening),
    ).toMatchObject({ action: 'none' });
    expect(
      decideWorkload(
        w({ annotations: { [ANN.downscale]: 'true', [ANN.excludeUntil]: '2026-12-01' } }),
        policy,
        'down',
        evening,
      ),
    ).toMatchObject({ action: 'none', why: 'excluded until 2026-12-01' });
    expect(
      decideWorkload(
        w({ annotations: { [ANN.downscale]: 'true', [ANN.excludeUntil]: '2026-11-01' } }),
        policy,
        'down',
        evening,
      ),
    ).toMatchObject({ action: 'scale' });
    expect(
      decideWorkload(
        w({ annotations: { [ANN.downscale]: 'true', [ANN.downtimeReplicas]: '1' } }),
        policy,
        'down',
        evening,
      ),
    ).toMatchObject({ action: 'scale', to: 1 });
  });

  it('lets uptime/downtime annotations override the timetable', () => {
    const lateShift = w({ annotations: { [ANN.downscale]: 'true', [ANN.uptime]: 'Mon-Fri 08:00-22:00 Asia/Kolkata' } });
    expect(decideWorkload(lateShift, policy, 'down', evening)).toMatchObject({ action: 'none' });
    expect(decideWorkload(lateShift, policy, 'down', ist('2026-11-30T22:30:00'))).toMatchObject({ action: 'scale' });
    const weekendOnly = w({
      annotations: { [ANN.downscale]: 'true', [ANN.downtime]: 'Sat-Sun 00:00-24:00 Asia/Kolkata' },
    });
    expect(decideWorkload(weekendOnly, policy, 'down', evening)).toMatchObject({ action: 'none' });
    expect(decideWorkload(weekendOnly, policy, 'up', ist('2026-12-05T08:00:00'))).toMatchObject({
      action: 'scale',
      to: 0,
    });
  });
});

describe('scale-in node choice', () => {
  const n = (node: string, pods: number, cpuMillis: number, annotations: Record<string, string> = {}) => ({
    node,
    instanceId: `i-${node}`,
    annotations,
    pods,
    cpuMillis,
    memoryBytes: cpuMillis * 1e6,
  });
  it('removes the emptiest nodes first and never a scale-down-disabled one', () => {
    const pick = pickNodesToRemove(
      [n('a', 5, 500), n('b', 1, 900), n('c', 1, 100), n('d', 0, 0, { [SCALE_DOWN_DISABLED]: 'true' })],
      2,
    );
    expect(pick.picked.map((p) => p.node)).toEqual(['c', 'b']);
    expect(pick.excluded).toEqual([{ node: 'd', reason: `annotated ${SCALE_DOWN_DISABLED}=true` }]);
    expect(pickNodesToRemove([n('a', 1, 1)], 3).picked).toHaveLength(1);
  });
});
