import { joinedCluster } from '../../../src/domain/cleanup/joined';
import { assess, type CandidateRules, type ResourceFact } from '../../../src/domain/cleanup/candidates';
import { deletable, planCleanup, totals, type PlanSettings } from '../../../src/domain/cleanup/plan';
import { elasticIpMonthlyUsd, snapshotMonthlyUsd, volumeMonthlyUsd } from '../../../src/domain/cleanup/prices';

const AT = '2026-11-30T13:30:00.000Z'; // 19:00 IST
const rules: CandidateRules = {
  volumeMinAgeDays: 7,
  includePvcVolumes: false,
  instanceJoinGraceMinutes: 30,
  snapshotHorizonDays: { daily: 372, short: 28 },
  defaultHorizonDays: 372,
};
const daysAgo = (d: number) => new Date(Date.parse(AT) - d * 86_400_000).toISOString();
const minutesAgo = (m: number) => new Date(Date.parse(AT) - m * 60_000).toISOString();

const volume = (id: string, over: Partial<Extract<ResourceFact, { kind: 'volumes' }>> = {}): ResourceFact => ({
  kind: 'volumes',
  id,
  tags: {},
  state: 'available',
  createTime: daysAgo(10),
  sizeGiB: 100,
  volumeType: 'gp3',
  attachedTo: [],
  ...over,
});
const instance = (over: Partial<Extract<ResourceFact, { kind: 'instances' }>> = {}): ResourceFact => ({
  kind: 'instances',
  id: 'i-0aaaaaaaaaaaaaaa1',
  tags: {},
  state: 'running',
  instanceType: 'm5.large',
  launchTime: minutesAgo(120),
  purpose: 'replacement',
  interruptedInstanceId: 'i-0bbbbbbbbbbbbbbb1',
  interruptedState: 'gone',
  group: { desired: 3, inService: 3 },
  usdPerHour: 0.096,
  ...over,
});

describe('prices', () => {
  it('prices EBS, snapshots and public IPv4 per month', () => {
    expect(volumeMonthlyUsd('gp3', 100)).toBe(8);
    expect(volumeMonthlyUsd('gp2', 100)).toBe(10);
    expect(volumeMonthlyUsd('io2', 10)).toBe(1.25);
    expect(volumeMonthlyUsd('unknown', 10)).toBe(1); // gp2's price
    expect(snapshotMonthlyUsd(100)).toBe(5);
    expect(elasticIpMonthlyUsd()).toBe(3.65);
  });
});

describe('candidates', () => {
  const reason = (f: ResourceFact) => {
    const a = assess(f, rules, AT);
    return [a.candidate, a.reason];
  };

  it('volumes: unattached and older than N days; PVC volumes only when enabled', () => {
    expect(reason(volume('vol-1'))).toEqual([true, 'unattached, created 10.0 days ago']);
    expect(reason(volume('vol-2', { createTime: daysAgo(2) }))).toEqual([false, 'unattached but only 2.0 days old']);
    expect(reason(volume('vol-3', { state: 'in-use', attachedTo: ['i-1'] }))).toEqual([false, 'volume is in-use']);
    const pvc = volume('vol-4', { tags: { 'kubernetes.io/created-for/pvc/name': 'data-0' } });
    expect(reason(pvc)).toEqual([
      false,
      'created for PVC data-0 (may still be bound; cleanup.includePvcVolumes is false)',
    ]);
    expect(assess(pvc, { ...rules, includePvcVolumes: true }, AT).candidate).toBe(true);
    expect(assess(volume('vol-1'), rules, AT).monthlyUsd).toBe(8);
  });

  it("snapshots: only eksflow's, past their policy's horizon (taken-at tag first, else start time)", () => {
    const snap = (tags: Record<string, string>, startTime = daysAgo(400), state = 'completed'): ResourceFact => ({
      kind: 'snapshots',
      id: 'snap-1',
      tags,
      state,
      startTime,
      sizeGiB: 20,
    });
    expect(reason(snap({}))).toEqual([false, 'not made by eksflow']);
    expect(reason(snap({ 'eksflow:backup-of': 'vol-1', 'eksflow:backup-policy': 'daily' }))).toEqual([
      true,
      '400.0 days old, past policy daily retention of 372 days',
    ]);
    expect(
      reason(snap({ 'eksflow:backup-of': 'vol-1', 'eksflow:backup-policy': 'daily', 'eksflow:taken-at': daysAgo(30) })),
    ).toEqual([false, 'within policy daily retention (30.0 ≤ 372 days)']);
    expect(reason(snap({ 'eksflow:backup-of': 'vol-1', 'eksflow:backup-policy': 'short' }, daysAgo(30)))).toEqual([
      true,
      '30.0 days old, past policy short retention of 28 days',
    ]);
    expect(reason(snap({ 'eksflow:backup-of': 'vol-1', 'eksflow:backup-policy': 'gone' }, daysAgo(373)))).toEqual([
      true,
      '373.0 days old, past policy gone retention of 372 days',
    ]);
    expect(reason(snap({ 'eksflow:backup-of': 'vol-1' }, daysAgo(400), 'pending'))).toEqual([
      false,
      'snapshot is pending',
    ]);
  });

  it('Elastic IPs, network interfaces and launch templates', () => {
    expect(reason({ kind: 'elasticIps', id: 'eipalloc-1', tags: {}, publicIp: '3.3.3.3' })).toEqual([
      true,
      'Elastic IP 3.3.3.3 not associated',
    ]);
    expect(
      reason({ kind: 'elasticIps', id: 'eipalloc-2', tags: {}, publicIp: '3.3.3.4', associationId: 'eipassoc-1' }),
    ).toEqual([false, 'associated']);
    const eni = {
      kind: 'networkInterfaces' as const,
      id: 'eni-1',
      tags: {},
      status: 'available',
      interfaceType: 'interface',
      requesterManaged: false,
      description: 'aws-K8S-i-1',
    };
    expect(reason(eni)).toEqual([true, 'available (unattached): aws-K8S-i-1']);
    expect(reason({ ...eni, status: 'in-use' })).toEqual([false, 'interface is in-use']);
    expect(reason({ ...eni, requesterManaged: true })).toEqual([false, 'managed by an AWS service']);
    expect(reason({ ...eni, interfaceType: 'nat_gateway' })).toEqual([false, 'interface type nat_gateway']);
    const lt = {
      kind: 'launchTemplates' as const,
      id: 'lt-1',
      tags: {},
      name: 'eks-1',
      createTime: daysAgo(3),
      cluster: 'prod',
      nodegroup: 'old',
      nodegroupExists: false,
      usedBy: [],
    };
    expect(reason(lt)).toEqual([true, 'node group prod/old was deleted']);
    expect(reason({ ...lt, nodegroupExists: true })).toEqual([false, 'node group prod/old exists']);
    expect(reason({ ...lt, usedBy: ['asg-1'] })).toEqual([false, 'used by asg-1']);
    expect(reason({ ...lt, cluster: undefined })).toEqual([false, 'not a node group template']);
  });

  it('instances eksflow launched: purpose gone once the interrupted instance is gone and the group is back at capacity, or never joined', () => {
    expect(reason(instance())).toEqual([
      true,
      'replacement for i-0bbbbbbbbbbbbbbb1 (gone); group back at capacity 3/3',
    ]);
    // A spot replacement eksflow attached to its group is the group's capacity: never a leftover.
    expect(reason(instance({ tags: { 'eksflow:attached-to': 'asg-1' } }))).toEqual([
      false,
      'attached to Auto Scaling group asg-1',
    ]);
    expect(reason(instance({ interruptedState: 'running' }))).toEqual([
      false,
      'interrupted instance i-0bbbbbbbbbbbbbbb1 is running',
    ]);
    expect(reason(instance({ group: { desired: 3, inService: 2 } }))).toEqual([
      false,
      'group below capacity (2/3 InService): still needed',
    ]);
    expect(reason(instance({ group: undefined }))).toEqual([false, 'node group capacity unknown']);
    expect(reason(instance({ interruptedState: 'running', joinedCluster: false, purpose: 'fallback' }))).toEqual([
      true,
      'fallback for i-0bbbbbbbbbbbbbbb1 never joined the cluster (120 min)',
    ]);
    expect(reason(instance({ interruptedState: 'running', joinedCluster: false, launchTime: minutesAgo(10) }))[0]).toBe(
      false,
    );
    expect(reason(instance({ state: 'terminated' }))).toEqual([false, 'instance is terminated']);
    expect(assess(instance(), rules, AT).monthlyUsd).toBe(70.08);
  });

  it('reads protection and the cleanup-after tag', () => {
    const a = assess(
      volume('vol-1', { tags: { 'eksflow:protect': '', 'eksflow:cleanup-after': '2026-11-30T00:00:00Z' } }),
      rules,
      AT,
    );
    expect(a).toMatchObject({ protected: true, cleanupAfter: '2026-11-30T00:00:00.000Z' });
    expect(assess(volume('vol-1', { tags: { 'eksflow:cleanup-after': 'soon' } }), rules, AT).cleanupAfter).toBe(
      'invalid',
    );
  });
});

describe('two-phase plan', () => {
  const modes = (m: 'report' | 'tag' | 'delete'): PlanSettings['modes'] => ({
    volumes: m,
    snapshots: m,
    elasticIps: m,
    networkInterfaces: m,
    launchTemplates: m,
    instances: m,
  });
  const settings = (m: 'report' | 'tag' | 'delete'): PlanSettings => ({
    modes: modes(m),
    graceHours: 24,
    networkInterfaceMinAgeHours: 48,
  });
  const tagged = (after: string) => ({ 'eksflow:cleanup-after': after });

  it('report mode only reports; tag mode tags and never deletes; delete mode deletes expired candidates only', () => {
    const facts: ResourceFact[] = [
      volume('vol-new'),
      volume('vol-expired', { tags: tagged('2026-11-29T13:30:00Z') }),
      volume('vol-waiting', { tags: tagged('2026-12-01T00:00:00Z') }),
      volume('vol-reused', { state: 'in-use', attachedTo: ['i-1'], tags: tagged('2026-11-29T13:30:00Z') }),
      volume('vol-protected', { tags: { 'eksflow:protect': 'yes', ...tagged('2026-11-29T00:00:00Z') } }),
      volume('vol-bad-tag', { tags: tagged('tomorrow') }),
    ];
    const a = facts.map((f) => assess(f, rules, AT));
    const types = (m: 'report' | 'tag' | 'delete') =>
      planCleanup(a, AT, settings(m)).actions.map((x) => `${x.type}:${x.id}`);
    expect(types('report')).toEqual([
      'report:vol-bad-tag',
      'report:vol-expired',
      'report:vol-new',
      'report:vol-waiting',
    ]);
    expect(types('tag')).toEqual([
      'tag:vol-bad-tag',
      'wait:vol-expired',
      'tag:vol-new',
      'untag:vol-reused',
      'wait:vol-waiting',
    ]);
    expect(types('delete')).toEqual([
      'tag:vol-bad-tag',
      'delete:vol-expired',
      'tag:vol-new',
      'untag:vol-reused',
      'wait:vol-waiting',
    ]);
    const plan = planCleanup(a, AT, settings('delete'));
    expect(plan.protectedCandidates).toEqual(['volumes/vol-protected']);
    expect(plan.actions.find((x) => x.id === 'vol-new')!.cleanupAfter).toBe('2026-12-01T13:30:00.000Z');
  });

  it('tags network interfaces with the longer of the grace and their minimum unused age', () => {
    const eni = assess(
      {
        kind: 'networkInterfaces',
        id: 'eni-1',
        tags: {},
        status: 'available',
        interfaceType: 'interface',
        requesterManaged: false,
        description: '',
      },
      rules,
      AT,
    );
    expect(planCleanup([eni], AT, settings('delete')).actions[0]).toMatchObject({
      type: 'tag',
      cleanupAfter: '2026-12-02T13:30:00.000Z',
    });
  });

  it('modes apply per kind', () => {
    const a = [
      assess(volume('vol-1', { tags: tagged('2026-11-01T00:00:00Z') }), rules, AT),
      assess(
        { kind: 'elasticIps', id: 'eipalloc-1', tags: tagged('2026-11-01T00:00:00Z'), publicIp: '1.2.3.4' },
        rules,
        AT,
      ),
    ];
    const plan = planCleanup(a, AT, { ...settings('report'), modes: { ...modes('report'), elasticIps: 'delete' } });
    expect(plan.actions.map((x) => `${x.type}:${x.id}`)).toEqual(['delete:eipalloc-1', 'report:vol-1']);
  });

  it('deletable only when candidate, unprotected and the tag has expired (exactly at the time counts)', () => {
    const base = assess(volume('vol-1', { tags: tagged(AT) }), rules, AT);
    expect(deletable(base, AT)).toBe(true);
    expect(deletable(base, '2026-11-30T13:29:59.999Z')).toBe(false);
    expect(deletable({ ...base, protected: true }, AT)).toBe(false);
    expect(deletable({ ...base, candidate: false }, AT)).toBe(false);
    expect(deletable({ ...base, cleanupAfter: undefined }, AT)).toBe(false);
  });

  it('totals: candidates and $/month found, and reclaimed only for what was really deleted', () => {
    const a = [
      assess(volume('vol-1', { tags: tagged('2026-11-01T00:00:00Z') }), rules, AT),
      assess(volume('vol-2', { tags: tagged('2026-11-01T00:00:00Z'), volumeType: 'gp2' }), rules, AT),
      assess({ kind: 'elasticIps', id: 'eipalloc-1', tags: {}, publicIp: '1.2.3.4' }, rules, AT),
    ];
    const plan = planCleanup(a, AT, settings('delete'));
    expect(totals(plan.actions, new Set(['volumes/vol-1']))).toEqual({
      candidates: 3,
      tagged: 1,
      deleted: 1,
      candidateUsdMonth: 21.65,
      reclaimedUsdMonth: 8,
    });
  });
});

describe('joinedCluster', () => {
  const i = { instanceId: 'i-0abc0000000000001', privateDnsName: 'ip-10-0-1-5.ap-south-1.compute.internal' };
  it('matches a node by providerID or by the private DNS name, and nothing else', () => {
    expect(joinedCluster(i, [{ name: 'x', providerID: 'aws:///ap-south-1a/i-0abc0000000000001' }])).toBe(true);
    expect(joinedCluster(i, [{ name: 'IP-10-0-1-5.ap-south-1.compute.internal' }])).toBe(true);
    expect(
      joinedCluster(i, [
        { name: 'ip-10-0-1-6.ap-south-1.compute.internal', providerID: 'aws:///ap-south-1a/i-0abc00000000000012' },
        { name: 'y', providerID: 'aws:///ap-south-1a/i-0abc0000000000002' },
      ]),
    ).toBe(false);
    expect(joinedCluster({ instanceId: i.instanceId, privateDnsName: '' }, [{ name: '' }])).toBe(false);
    expect(joinedCluster(i, [])).toBe(false);
  });
});
