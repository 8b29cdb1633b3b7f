import { decodeRaiseMarker, encodeRaiseMarker, planRaise, planUndo } from '../../../src/domain/interruption/capacity';
import {
  interruptionDeadlineMs,
  planResponse,
  secondsLeft,
  type GroupFacts,
} from '../../../src/domain/interruption/plan';
import { fleetOverrides, similarInstanceTypes } from '../../../src/domain/interruption/replacement';
import { shippedPriceTable } from '../../../src/data/pricing';

const group = (over: Partial<GroupFacts> = {}): GroupFacts => ({
  kind: 'self-managed',
  capacityType: 'SPOT',
  strategy: 'raise-capacity',
  onRebalance: 'notify',
  inAsg: true,
  ...over,
});

describe('interruption deadline', () => {
  it('is the event time plus 120 s', () => {
    expect(interruptionDeadlineMs('2026-03-01T10:00:00Z')).toBe(Date.parse('2026-03-01T10:02:00Z'));
    expect(secondsLeft(Date.parse('2026-03-01T10:02:00Z'), Date.parse('2026-03-01T10:01:15.400Z'))).toBe(45);
    expect(secondsLeft(1000, 5000)).toBe(0);
    expect(() => interruptionDeadlineMs('yesterday')).toThrow(/not a date/);
  });
});

describe('planResponse', () => {
  const warning = { kind: 'spot-interruption-warning' as const };
  const rebalance = { kind: 'rebalance-recommendation' as const };
  it('notifies only for an instance of no configured group', () => {
    expect(planResponse(warning, undefined)).toMatchObject({ mode: 'notify-only' });
  });
  it('leaves EKS managed spot groups to EKS capacity rebalancing, watching the deadline', () => {
    expect(planResponse(warning, group({ kind: 'eks-managed' }))).toEqual({ mode: 'watch-eks', hardDeadline: true });
    expect(planResponse(rebalance, group({ kind: 'eks-managed', onRebalance: 'act' }))).toMatchObject({
      mode: 'notify-only',
    });
  });
  it('replaces self-managed capacity itself with the group strategy; standalone instances by fleet', () => {
    expect(planResponse(warning, group())).toEqual({ mode: 'replace', strategy: 'raise-capacity', hardDeadline: true });
    expect(planResponse(warning, group({ strategy: 'ec2-fleet' }))).toEqual({
      mode: 'replace',
      strategy: 'ec2-fleet',
      hardDeadline: true,
    });
    expect(planResponse(warning, group({ inAsg: false }))).toEqual({
      mode: 'replace',
      strategy: 'ec2-fleet',
      hardDeadline: true,
    });
  });
  it('follows onRebalance for rebalance recommendations and scheduled changes, without a hard deadline', () => {
    expect(planResponse(rebalance, group())).toMatchObject({ mode: 'notify-only' });
    expect(planResponse({ kind: 'scheduled-change' }, group({ onRebalance: 'act' }))).toEqual({
      mode: 'replace',
      strategy: 'raise-capacity',
      hardDeadline: false,
    });
  });
});

describe('replacement instance types', () => {
  const catalogue = Object.fromEntries(
    shippedPriceTable().rows.map((r) => [r.instanceType, { vcpu: r.vcpu, memoryGiB: r.memoryGiB }]),
  );
  it('puts configured types first, then same-architecture types with equal vCPU and 1–2× memory, the interrupted type last', () => {
    const types = similarInstanceTypes({
      interruptedType: 'm5.large',
      configuredTypes: ['m5.large', 'm5a.large'],
      catalogue,
    });
    expect(types[0]).toBe('m5a.large');
    expect(types[types.length - 1]).toBe('m5.large');
    expect(types).toEqual(expect.arrayContaining(['m6i.large', 'm5n.large', 't3.large', 'r5.large']));
    expect(types).not.toContain('c5.large'); // half the memory
    expect(types).not.toContain('m6g.large'); // arm64 cannot run an x86 node image
    expect(types).not.toContain('m5.xlarge'); // twice the vCPU
    expect(types.length).toBeLessThanOrEqual(8);
  });
  it('stays on Graviton for a Graviton node', () => {
    const types = similarInstanceTypes({ interruptedType: 'm6g.large', configuredTypes: ['m6g.large'], catalogue });
    expect(types.every((t) => /g\./.test(t))).toBe(true);
    expect(types).toContain('m7g.large');
  });
  it('spreads overrides over every subnet', () => {
    expect(fleetOverrides(['a.large', 'b.large'], ['s1', 's2'])).toEqual([
      { InstanceType: 'a.large', SubnetId: 's1' },
      { InstanceType: 'a.large', SubnetId: 's2' },
      { InstanceType: 'b.large', SubnetId: 's1' },
      { InstanceType: 'b.large', SubnetId: 's2' },
    ]);
    expect(() => fleetOverrides(['a.large'], [])).toThrow(/no subnets/);
  });
});

describe('capacity raise and undo', () => {
  it('raises desired by one, and max only when at max', () => {
    expect(planRaise({ min: 1, desired: 3, max: 6 })).toEqual({
      state: 'raising',
      before: { desired: 3, max: 6 },
      target: { desired: 4, max: 6 },
    });
    expect(planRaise({ min: 1, desired: 6, max: 6 })).toEqual({
      state: 'raising',
      before: { desired: 6, max: 6 },
      target: { desired: 7, max: 7 },
    });
  });
  it('undoes relative to the current size and restores max only if untouched', () => {
    const raised = { ...planRaise({ min: 1, desired: 6, max: 6 }), state: 'raised' as const };
    expect(planUndo({ min: 1, desired: 7, max: 7 }, raised).target).toEqual({ desired: 6, max: 6 });
    // Someone scaled to 9 (max 10) meanwhile: take our one back, leave their max.
    expect(planUndo({ min: 1, desired: 9, max: 10 }, raised).target).toEqual({ desired: 8, max: 10 });
    // Never below min.
    expect(planUndo({ min: 2, desired: 2, max: 7 }, raised).target).toEqual({ desired: 2, max: 6 });
  });
  it('round-trips the ASG tag marker and rejects anything else', () => {
    const m = { state: 'raised' as const, before: { desired: 3, max: 4 }, target: { desired: 4, max: 5 } };
    expect(encodeRaiseMarker(m)).toBe('raised:3:4:4:5');
    expect(decodeRaiseMarker('raised:3:4:4:5')).toEqual(m);
    expect(decodeRaiseMarker('raised:3:4')).toBeUndefined();
    expect(decodeRaiseMarker(undefined)).toBeUndefined();
  });
});
