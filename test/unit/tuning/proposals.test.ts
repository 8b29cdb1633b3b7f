import { nodegroupSchema } from '../../../src/config/clusters';
import {
  businessWindowEnd,
  familyLadder,
  percentile,
  proposalId,
  proposeForGroup,
  stats,
  validateDecision,
  type InstanceSpec,
  type ProposeInput,
  type ProposalStatus,
  type TuningProposal,
} from '../../../src/domain/tuning/proposals';

// Monday 2 March 2026, 14:00 IST (08:30Z): the 14:00 run.
const NOW = Date.UTC(2026, 2, 2, 8, 30);
const SIX_PM_IST = Date.UTC(2026, 2, 2, 12, 30);
const HOUR = 3_600_000;
const cal = { businessDays: [1, 2, 3, 4, 5], holidays: [] as string[] };

const catalogue: Record<string, InstanceSpec> = {
  'm5.large': { vcpu: 2, memoryGiB: 8, usdPerHour: 0.096 },
  'm5.xlarge': { vcpu: 4, memoryGiB: 16, usdPerHour: 0.192 },
  'm5.2xlarge': { vcpu: 8, memoryGiB: 32, usdPerHour: 0.384 },
  'm5.metal': { vcpu: 96, memoryGiB: 384, usdPerHour: 4.608 },
  'c5.large': { vcpu: 2, memoryGiB: 4, usdPerHour: 0.085 },
};
const flat = (v: number, n = 168) => Array.from({ length: n }, () => v);
const ng = (over: Record<string, unknown> = {}) =>
  nodegroupSchema.parse({
    name: 'web',
    instanceTypes: ['m5.large'],
    businessHours: { min: 2, desired: 4, max: 8 },
    offHours: { min: 1, desired: 1, max: 8 },
    ...over,
  });
const input = (over: Partial<ProposeInput> = {}): ProposeInput => ({
  clusterKey: '111111111111/eu-west-1/prod',
  cluster: 'prod',
  ng: ng(),
  cpu: flat(50),
  memory: flat(10),
  catalogue,
  monthlyHours: { business: 200, off: 500 },
  calendar: cal,
  nowMs: NOW,
  expiryHours: 2,
  ...over,
});
const proposal = (over: Partial<ProposeInput> = {}): TuningProposal => {
  const out = proposeForGroup(input(over));
  if (!('proposal' in out)) throw new Error(`expected a proposal, got: ${out.skipped}`);
  return out.proposal;
};
const skipped = (over: Partial<ProposeInput> = {}): string => {
  const out = proposeForGroup(input(over));
  if (!('skipped' in out)) throw new Error(`expected no proposal, got: ${out.proposal.summary}`);
  return out.skipped;
};

describe('percentile and stats', () => {
  it('nearest rank over the finite values', () => {
    const v = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(v, 95)).toBe(19);
    expect(percentile(v, 50)).toBe(10);
    expect(percentile(v, 100)).toBe(20);
    expect(percentile([NaN, 3, Infinity, 1], 50)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
    expect(stats([5, NaN, 7, 9])).toEqual({ p50: 7, p95: 9, points: 3 });
  });
});

describe('familyLadder', () => {
  it('lists the same family smallest first, without metal', () => {
    expect(familyLadder('m5.xlarge', catalogue)).toEqual(['m5.large', 'm5.xlarge', 'm5.2xlarge']);
    expect(familyLadder('c5.large', catalogue)).toEqual(['c5.large']);
  });
});

describe('businessWindowEnd', () => {
  it('is 18:00 IST today during a business day', () => {
    expect(businessWindowEnd(NOW, cal)).toBe(SIX_PM_IST);
  });
  it('is the next business day after 18:00, skipping weekends and holidays', () => {
    expect(businessWindowEnd(Date.UTC(2026, 2, 2, 13, 30), cal)).toBe(SIX_PM_IST + 24 * HOUR);
    // Friday 6 March 19:00 IST → Monday 9 March 18:00 IST.
    expect(businessWindowEnd(Date.UTC(2026, 2, 6, 13, 30), cal)).toBe(Date.UTC(2026, 2, 9, 12, 30));
    expect(businessWindowEnd(Date.UTC(2026, 2, 6, 13, 30), { ...cal, holidays: ['2026-03-09'] })).toBe(
      Date.UTC(2026, 2, 10, 12, 30),
    );
  });
});

describe('proposalId', () => {
  it('is URL-safe, per IST day, and tells clusters of the same name apart', () => {
    const a = proposalId('111111111111/eu-west-1/prod', 'prod', 'web', NOW);
    expect(a).toMatch(/^2026-03-02\.prod\.web\.[0-9a-f]{6}$/);
    expect(proposalId('222222222222/eu-west-1/prod', 'prod', 'web', NOW)).not.toBe(a);
    expect(proposalId('111111111111/eu-west-1/prod', 'prod', 'web', NOW + 24 * HOUR)).toMatch(/^2026-03-03\./);
  });
});

describe('proposeForGroup', () => {
  it('over-provisioned (desired mode): fewer business-hours nodes, sized for the target', () => {
    const p = proposal({ cpu: flat(20), memory: flat(10) });
    expect(p.kind).toBe('business-size');
    expect(p.direction).toBe('down');
    expect(p.current).toEqual({ instanceType: 'm5.large', businessHours: { min: 2, desired: 4, max: 8 } });
    // ceil(4 × 20 / 60) = 2
    expect(p.proposed).toEqual({ instanceType: 'm5.large', businessHours: { min: 2, desired: 2, max: 8 } });
    expect(p.projectedPct).toBe(40);
    // 2 nodes fewer × $0.096 × 200 business hours
    expect(p.monthlyCostChangeUsd).toBe(-38.4);
    expect(p.evidence).toEqual({
      cpu: { p50: 20, p95: 20, points: 168 },
      memory: { p50: 10, p95: 10, points: 168 },
      demandPct: 20,
      bindingResource: 'cpu',
    });
    expect(p.summary).toBe('prod/web: business-hours desired 4 → 2 (cpu p95 20%; ~40% after), −$38/month');
    expect(p.createdAtMs).toBe(NOW);
    expect(p.holdUntilMs).toBe(SIX_PM_IST);
    expect(p.expiresAtMs).toBe(NOW + 2 * HOUR);
  });

  it('the expiry never outlives the business window', () => {
    expect(proposal({ cpu: flat(20), expiryHours: 12 }).expiresAtMs).toBe(SIX_PM_IST);
  });

  it('a lowered desired also lowers min, never below the floor or 1', () => {
    expect(proposal({ cpu: flat(5) }).proposed.businessHours).toEqual({ min: 1, desired: 1, max: 8 });
    const floored = proposal({ cpu: flat(5), ng: ng({ floor: 3 }) });
    expect(floored.proposed.businessHours).toEqual({ min: 2, desired: 3, max: 8 });
    expect(floored.monthlyCostChangeUsd).toBe(-19.2);
  });

  it('under-provisioned: more business-hours nodes while the max allows', () => {
    const p = proposal({ cpu: flat(90) });
    expect(p.direction).toBe('up');
    // ceil(4 × 90 / 60) = 6
    expect(p.proposed.businessHours).toEqual({ min: 2, desired: 6, max: 8 });
    expect(p.projectedPct).toBe(60);
    expect(p.monthlyCostChangeUsd).toBe(38.4);
  });

  it('the forecast peak (upper 80%) counts as CPU demand', () => {
    const p = proposal({ cpu: flat(50), forecastPeakCpu: 85 });
    expect(p.evidence.forecastPeakCpu).toBe(85);
    expect(p.evidence.demandPct).toBe(85);
    // ceil(4 × 85 / 60) = 6
    expect(p.proposed.businessHours.desired).toBe(6);
    expect(p.summary).toContain('cpu p95 50%, forecast CPU peak 85%');
  });

  it('memory can bind', () => {
    const p = proposal({ cpu: flat(40), memory: flat(88) });
    expect(p.evidence.bindingResource).toBe('memory');
    // ceil(4 × 88 / 60) = 6
    expect(p.proposed.businessHours.desired).toBe(6);
    expect(p.summary).toContain('memory p95 88%');
    expect(skipped({ cpu: flat(10), memory: flat(70) })).toBe('web: memory 70% is within 30–80%');
  });

  it('beyond the max: the next larger type of the family at the same counts', () => {
    const p = proposal({ cpu: flat(95), ng: ng({ businessHours: { min: 2, desired: 6, max: 6 } }) });
    expect(p.kind).toBe('instance-type');
    expect(p.direction).toBe('up');
    expect(p.proposed).toEqual({ instanceType: 'm5.xlarge', businessHours: { min: 2, desired: 6, max: 6 } });
    expect(p.projectedPct).toBe(47.5);
    // (0.192 − 0.096) × (6 × 200 + 1 × 500) node-hours
    expect(p.monthlyCostChangeUsd).toBe(163.2);
  });

  it('at the floor: the next smaller type when it lands under the target', () => {
    const p = proposal({
      cpu: flat(10),
      memory: flat(10),
      ng: ng({ instanceTypes: ['m5.xlarge'], businessHours: { min: 2, desired: 2, max: 4 }, floor: 2 }),
    });
    expect(p.kind).toBe('instance-type');
    expect(p.proposed.instanceType).toBe('m5.large');
    expect(p.projectedPct).toBe(20);
    // (0.096 − 0.192) × (2 × 200 + 1 × 500)
    expect(p.monthlyCostChangeUsd).toBe(-86.4);
    expect(p.summary).toBe('prod/web: instance type m5.xlarge → m5.large (cpu p95 10%; ~20% after), −$86/month');
  });

  it('bounds mode (an autoscaler owns desired): only type changes', () => {
    const p = proposal({
      cpu: flat(25),
      memory: flat(20),
      ng: ng({ instanceTypes: ['m5.xlarge'], scalingMode: 'bounds' }),
    });
    expect(p.kind).toBe('instance-type');
    expect(p.projectedPct).toBe(50);
    expect(skipped({ cpu: flat(25), ng: ng({ scalingMode: 'bounds' }) })).toBe(
      'web: cpu p95 25%, but m5.large is the smallest m5 type',
    );
  });

  it('no smaller type when it would run above the target', () => {
    expect(
      skipped({
        cpu: flat(29),
        memory: flat(20),
        ng: ng({ instanceTypes: ['m5.xlarge'], scalingMode: 'bounds' }),
        settings: { targetPct: 50, highPct: 80, lowPct: 30, minPoints: 24 },
      }),
    ).toBe('web: cpu p95 29%, but m5.large would run at 58% (target 50%)');
  });

  it('says why there is no proposal', () => {
    expect(skipped()).toBe('web: cpu 50% is within 30–80%');
    expect(skipped({ cpu: flat(10, 23) })).toBe('web: 23 CPU datapoints in the window, 24 needed');
    expect(skipped({ cpu: flat(10), ng: ng({ instanceTypes: ['x9.large'], scalingMode: 'bounds' }) })).toBe(
      'web: x9.large is not in the price table (vCPU/memory unknown), no type change proposed',
    );
  });

  it('an unknown price leaves the cost change out', () => {
    const p = proposal({ cpu: flat(20), catalogue: { 'm5.large': { vcpu: 2, memoryGiB: 8 } } });
    expect(p.monthlyCostChangeUsd).toBeUndefined();
    expect(p.summary).toContain('cost change unknown (no price)');
  });
});

describe('validateDecision', () => {
  const status = (over: Partial<ProposalStatus> = {}): ProposalStatus => ({
    proposal: proposal({ cpu: flat(20) }),
    state: 'pending',
    ...over,
  });
  it('accepts a well-formed decision on a pending, unexpired proposal', () => {
    expect(validateDecision(status(), NOW, 'approve', { by: 'alice' })).toEqual({ by: 'alice' });
    expect(validateDecision(status(), NOW, 'reject', { by: 'bob', reason: 'peak week' })).toEqual({
      by: 'bob',
      reason: 'peak week',
    });
  });
  it('refuses a bad, late or second decision', () => {
    expect(() => validateDecision(status(), NOW, 'reject', { by: 'bob' })).toThrow(/invalid reject: reason/);
    expect(() => validateDecision(status(), NOW, 'approve', { by: '' })).toThrow(/invalid approve: by/);
    expect(() => validateDecision(status(), NOW, 'approve', { by: 'a', extra: 1 })).toThrow(/invalid approve/);
    expect(() =>
      validateDecision(status({ state: 'approved', decidedBy: 'alice' }), NOW, 'reject', { by: 'b', reason: 'x' }),
    ).toThrow(/already approved by alice/);
    expect(() => validateDecision(status(), NOW + 2 * HOUR, 'approve', { by: 'alice' })).toThrow(/has expired/);
  });
});
