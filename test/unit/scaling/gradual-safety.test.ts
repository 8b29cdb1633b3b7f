import { nodegroupSchema } from '../../../src/config/clusters';
import { gradualSteps, stepOffsetsMs } from '../../../src/domain/scaling/gradual';
import { checkScaleDownStep, requiredNodes } from '../../../src/domain/scaling/safety';
import { cpuMillis, memoryBytes } from '../../../src/domain/scaling/k8s-quantity';

describe('gradual scale-down', () => {
  it('steps down in N steps, rounding towards the start, ending exactly at the target', () => {
    expect(gradualSteps({ min: 2, desired: 6, max: 12 }, { min: 0, desired: 1, max: 12 }, 3)).toEqual([
      { min: 2, desired: 5, max: 12 },
      { min: 1, desired: 3, max: 12 },
      { min: 0, desired: 1, max: 12 },
    ]);
    expect(
      gradualSteps({ min: 1, desired: 4, max: 8 }, { min: 1, desired: 4, max: 8 }, 3).every((s) => s.desired === 4),
    ).toBe(true);
    expect(gradualSteps({ min: 2, desired: 6, max: 8 }, { min: 1, desired: 2, max: 8 }, 1)).toEqual([
      { min: 1, desired: 2, max: 8 },
    ]);
  });

  it('keeps min <= desired <= max in every step', () => {
    for (const s of gradualSteps({ min: 2, desired: 10, max: 10 }, { min: 0, desired: 0, max: 4 }, 4)) {
      expect(s.min).toBeLessThanOrEqual(s.desired);
      expect(s.desired).toBeLessThanOrEqual(s.max);
    }
  });

  it('spreads the steps across the window, first at the start and last at the end', () => {
    expect(stepOffsetsMs(3, 30 * 60_000)).toEqual([0, 15 * 60_000, 30 * 60_000]);
    expect(stepOffsetsMs(1, 30 * 60_000)).toEqual([0]);
  });
});

describe('scale-down safety checks', () => {
  const ng = nodegroupSchema.parse({
    name: 'api',
    instanceTypes: ['m5.large'],
    floor: 2,
    businessHours: { min: 2, desired: 6, max: 8 },
    offHours: { min: 1, desired: 1, max: 8 },
  });

  it('blocks a step below the floor, with a reason and a recommendation', () => {
    const v = checkScaleDownStep(ng, { min: 1, desired: 1, max: 8 }, { known: false, reason: 'no Kubernetes API' });
    expect(v.allowed).toBe(false);
    expect(v.reason).toMatch(/below the floor 2/);
    expect(v.recommendation).toMatch(/lower its floor/);
  });

  it('reports the workload check as skipped when requests are unknown, and allows the step', () => {
    const v = checkScaleDownStep(
      ng,
      { min: 1, desired: 3, max: 8 },
      { known: false, reason: 'no Kubernetes API configured' },
    );
    expect(v.allowed).toBe(true);
    expect(v.checks.find((c) => c.name === 'workload-requests')).toEqual({
      name: 'workload-requests',
      status: 'skipped',
      detail: 'no Kubernetes API configured',
    });
  });

  it('blocks a step below the capacity running workloads request', () => {
    const v = checkScaleDownStep(
      ng,
      { min: 1, desired: 3, max: 8 },
      { known: true, requiredNodes: 4, detail: '10 pods' },
    );
    expect(v.allowed).toBe(false);
    expect(v.reason).toMatch(/request 4 nodes/);
    expect(v.recommendation).toMatch(/--desired 4/);
    expect(
      checkScaleDownStep(ng, { min: 1, desired: 4, max: 8 }, { known: true, requiredNodes: 4, detail: '10 pods' })
        .allowed,
    ).toBe(true);
  });

  it('computes required nodes from CPU and memory requests', () => {
    expect(cpuMillis('1500m')).toBe(1500);
    expect(cpuMillis('2')).toBe(2000);
    expect(memoryBytes('1Gi')).toBe(2 ** 30);
    expect(memoryBytes('500M')).toBe(5e8);
    expect(
      requiredNodes({ cpuMillis: 3500, memoryBytes: 2 ** 30 }, { cpuMillis: 1930, memoryBytes: 7 * 2 ** 30 }),
    ).toBe(2);
    expect(
      requiredNodes({ cpuMillis: 100, memoryBytes: 15 * 2 ** 30 }, { cpuMillis: 1930, memoryBytes: 7 * 2 ** 30 }),
    ).toBe(3);
    expect(() => cpuMillis('lots')).toThrow(/not a Kubernetes quantity/);
  });
});
