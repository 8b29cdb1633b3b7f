import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  AWS_SERVICES,
  awsMutationQueue,
  awsServiceMutationQueue,
  dispatchRateFor,
  knownMutations,
  mutationServiceOf,
  pagerdutyQueue,
  shortHash,
  worstCaseInWindow,
} from '../../../src/domain/limits/queues';
import { limitedQueuesFor } from '../../../src/worker-queues';
import { testConfig } from '../../support/stack';

describe('dispatch rates that keep an API limit with the server partitions bursts', () => {
  it.each([
    [{ events: 120, windowSeconds: 60 }, 4],
    [{ events: 120, windowSeconds: 60 }, 1],
    [{ events: 50, windowSeconds: 10 }, 4],
    [{ events: 10, windowSeconds: 5 }, 4],
    [{ events: 1000, windowSeconds: 1 }, 4],
    [{ events: 7, windowSeconds: 1 }, 2],
  ])('%j over %i partitions: the worst window stays within the limit, close to it', (limit, partitions) => {
    const rate = dispatchRateFor(limit, partitions);
    expect(rate).toBeGreaterThan(0);
    expect(worstCaseInWindow(rate, limit.windowSeconds, partitions)).toBeLessThanOrEqual(limit.events);
    // Not needlessly slow: a little more rate would break the limit or is within rounding.
    expect(worstCaseInWindow(rate + 0.05, limit.windowSeconds, partitions)).toBeGreaterThan(limit.events - 1);
  });

  it('PagerDuty 120/min over 4 partitions: 1.933 events per second', () => {
    expect(dispatchRateFor({ events: 120, windowSeconds: 60 }, 4)).toBe(1.933);
  });

  it('a limit no rate can keep (one burst per partition already exceeds it) gives 0', () => {
    expect(dispatchRateFor({ events: 4, windowSeconds: 60 }, 4)).toBe(0);
  });
});

describe('limited queue names', () => {
  it('derive from the base queue and the key reference, never a secret value', () => {
    expect(pagerdutyQueue('eksflow', { routingKeyEnv: 'PD_KEY' })).toBe(
      `eksflow-pagerduty-env-pd-key-${shortHash('env:PD_KEY')}`,
    );
    expect(pagerdutyQueue('eksflow', { secretId: 'prod/pd' })).not.toBe(
      pagerdutyQueue('eksflow', { routingKeyEnv: 'prod/pd' }),
    );
    expect(awsMutationQueue('eksflow', { accountId: '123456789012', region: 'ap-south-1' })).toBe(
      'eksflow-aws-123456789012-ap-south-1',
    );
    expect(awsServiceMutationQueue('eksflow', { accountId: '123456789012', region: 'ap-south-1' }, 'eks')).toBe(
      'eksflow-aws-eks-123456789012-ap-south-1',
    );
  });

  it('service queues of one account/region are distinct from each other and from every legacy queue', () => {
    const targets = [
      { accountId: '111111111111', region: 'ap-south-1' },
      { accountId: '111111111111', region: 'eu-west-1' },
      { accountId: '222222222222', region: 'ap-south-1' },
    ];
    const names = targets.flatMap((t) => [
      awsMutationQueue('q', t),
      ...AWS_SERVICES.map((s) => awsServiceMutationQueue('q', t, s)),
    ]);
    expect(new Set(names).size).toBe(targets.length * (AWS_SERVICES.length + 1));
    // Deterministic: the same inputs always name the same queue (workflow replay depends on it).
    expect(awsServiceMutationQueue('q', targets[0]!, 'autoscaling')).toBe(
      awsServiceMutationQueue('q', { ...targets[0]! }, 'autoscaling'),
    );
  });

  it('a config gives one queue per PagerDuty routing key and per account/region, with rates from limits', () => {
    const ng = {
      name: 'ng',
      instanceTypes: ['m5.large'],
      businessHours: { min: 1, desired: 2, max: 4 },
      offHours: { min: 0, desired: 1, max: 4 },
    };
    const config = testConfig({
      clusters: [
        { name: 'a', accountId: '111111111111', region: 'ap-south-1', nodegroups: [ng] },
        { name: 'b', accountId: '111111111111', region: 'ap-south-1', nodegroups: [ng] },
        { name: 'c', accountId: '222222222222', region: 'eu-west-1', nodegroups: [ng] },
      ],
      notifications: {
        channels: { pagerduty: { routingKeyEnv: 'PD_PRIMARY' } },
        escalationLevels: [{ name: 'primary' }, { name: 'manager', pagerduty: { secretId: 'pd/manager' } }],
      },
      limits: { pagerduty: { events: 60, windowSeconds: 60 } },
    });
    const queues = limitedQueuesFor(config, 'q');
    expect(queues.map((q) => [q.kind, q.service ?? '', q.taskQueue, q.ratePerSecond]).sort()).toEqual(
      [
        ['aws-mutations', 'legacy', 'q-aws-111111111111-ap-south-1', 4.2],
        ['aws-mutations', 'ec2', 'q-aws-ec2-111111111111-ap-south-1', 4.2],
        ['aws-mutations', 'eks', 'q-aws-eks-111111111111-ap-south-1', 27.2],
        ['aws-mutations', 'autoscaling', 'q-aws-autoscaling-111111111111-ap-south-1', 4.2],
        ['aws-mutations', 'legacy', 'q-aws-222222222222-eu-west-1', 4.2],
        ['aws-mutations', 'ec2', 'q-aws-ec2-222222222222-eu-west-1', 4.2],
        ['aws-mutations', 'eks', 'q-aws-eks-222222222222-eu-west-1', 27.2],
        ['aws-mutations', 'autoscaling', 'q-aws-autoscaling-222222222222-eu-west-1', 4.2],
        ['pagerduty', '', pagerdutyQueue('q', { routingKeyEnv: 'PD_PRIMARY' }), 0.933],
        ['pagerduty', '', pagerdutyQueue('q', { secretId: 'pd/manager' }), 0.933],
      ].sort(),
    );
  });

  it('config rejects a limit smaller than one burst per partition', () => {
    const ng = {
      name: 'ng',
      instanceTypes: ['m5.large'],
      businessHours: { min: 1, desired: 2, max: 4 },
      offHours: { min: 0, desired: 1, max: 4 },
    };
    expect(() =>
      testConfig({
        clusters: [{ name: 'a', accountId: '111111111111', region: 'ap-south-1', nodegroups: [ng] }],
        limits: { pagerduty: { events: 4, windowSeconds: 60 } },
      }),
    ).toThrow(/pagerduty.events must exceed taskQueuePartitions/);
  });
});

const ng = {
  name: 'ng',
  instanceTypes: ['m5.large'],
  businessHours: { min: 1, desired: 2, max: 4 },
  offHours: { min: 0, desired: 1, max: 4 },
};

describe('which AWS service queue a mutation goes to (decided in workflow code)', () => {
  const managed = { ref: { kind: 'eks-managed', nodegroup: 'ng' } };
  const selfManaged = { ref: { kind: 'self-managed', nodegroup: 'ng', asgName: 'asg' } };

  it.each([
    ['applyNodegroupSize', managed, 'eks'],
    ['applyNodegroupSize', undefined, 'eks'],
    ['applyGroupSize', managed, 'eks'],
    ['applyGroupSize', selfManaged, 'autoscaling'],
    // No ref (or an unknown kind) is treated as EKS managed, as applyGroupSize itself does.
    ['applyGroupSize', {}, 'eks'],
    ['applyGroupSize', undefined, 'eks'],
    ['applyGroupSize', null, 'eks'],
    ['applyGroupSize', { ref: null }, 'eks'],
    ['applyGroupSize', { ref: { kind: 7 } }, 'eks'],
    ['terminateAsgInstance', selfManaged, 'autoscaling'],
    ['raiseGroupCapacity', {}, 'autoscaling'],
    ['undoCapacityRaise', {}, 'autoscaling'],
    ['launchFleet', {}, 'ec2'],
    ['terminateLaunched', {}, 'ec2'],
    ['createDrillVolume', {}, 'ec2'],
    ['deleteDrillVolume', {}, 'ec2'],
    // Unknown activities take EC2's (the smallest documented) bucket; prototype names are not activities.
    ['someNewMutation', {}, 'ec2'],
    ['toString', {}, 'ec2'],
    ['constructor', {}, 'ec2'],
    ['__proto__', {}, 'ec2'],
  ])('%s(%j) → %s', (activity, input, service) => {
    expect(mutationServiceOf(activity, input)).toBe(service);
  });

  it('every service a mutation can choose is one of the polled services', () => {
    const inputs = [undefined, {}, { ref: { kind: 'eks-managed' } }, { ref: { kind: 'self-managed' } }];
    for (const a of [...knownMutations(), 'unknown'])
      for (const i of inputs) expect(AWS_SERVICES).toContain(mutationServiceOf(a, i));
  });

  it('every activity a workflow runs through awsFor(...).mutate is in the table (none falls to the default by accident)', () => {
    const root = join(__dirname, '../../../workflows');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(root);
    const used = new Set<string>();
    for (const f of files)
      for (const m of readFileSync(f, 'utf8').matchAll(/awsFor\([^)]*\)\s*\.mutate\s*\.(\w+)/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((a) => !knownMutations().includes(a))).toEqual([]);
  });

  it('the worker polls every queue a workflow can choose, for every account/region, plus the legacy queue', () => {
    const config = testConfig({
      clusters: [
        { name: 'a', accountId: '111111111111', region: 'ap-south-1', nodegroups: [ng] },
        { name: 'b', accountId: '333333333333', region: 'us-east-1', nodegroups: [ng] },
      ],
    });
    const polled = new Set(limitedQueuesFor(config, 'base').map((q) => q.taskQueue));
    const inputs = [undefined, { ref: { kind: 'eks-managed' } }, { ref: { kind: 'self-managed' } }];
    for (const c of config.clusters) {
      expect(polled).toContain(awsMutationQueue('base', c));
      for (const a of [...knownMutations(), 'unknown'])
        for (const i of inputs) expect(polled).toContain(awsServiceMutationQueue('base', c, mutationServiceOf(a, i)));
    }
  });

  it('each service has its own rate from config, EKS and Auto Scaling independent of EC2', () => {
    const config = testConfig({
      clusters: [{ name: 'a', accountId: '111111111111', region: 'ap-south-1', nodegroups: [ng] }],
      limits: {
        awsMutations: { events: 50, windowSeconds: 10 },
        eksMutations: { events: 120, windowSeconds: 60 },
        autoscalingMutations: { events: 1000, windowSeconds: 1 },
      },
    });
    const rate = (s: string) => limitedQueuesFor(config, 'q').find((q) => q.service === s)?.ratePerSecond;
    expect(rate('ec2')).toBe(dispatchRateFor({ events: 50, windowSeconds: 10 }, 4));
    expect(rate('legacy')).toBe(rate('ec2'));
    expect(rate('eks')).toBe(1.933);
    expect(rate('autoscaling')).toBe(dispatchRateFor({ events: 1000, windowSeconds: 1 }, 4));
  });

  it('defaults: EC2 mutating bucket 50/10 s → 4.2/s; EKS 300/10 s → 27.2/s (200 node groups inside 10 s); Auto Scaling 50/10 s', () => {
    const config = testConfig({
      clusters: [{ name: 'a', accountId: '111111111111', region: 'ap-south-1', nodegroups: [ng] }],
    });
    const byService = Object.fromEntries(
      limitedQueuesFor(config, 'q')
        .filter((q) => q.kind === 'aws-mutations')
        .map((q) => [q.service, q.ratePerSecond]),
    );
    expect(byService).toEqual({ legacy: 4.2, ec2: 4.2, eks: 27.2, autoscaling: 4.2 });
    expect(worstCaseInWindow(27.2, 10, 4)).toBeLessThanOrEqual(300);
  });

  it('config rejects an EKS or Auto Scaling limit smaller than one burst per partition', () => {
    for (const k of ['eksMutations', 'autoscalingMutations'])
      expect(() =>
        testConfig({
          clusters: [{ name: 'a', accountId: '111111111111', region: 'ap-south-1', nodegroups: [ng] }],
          limits: { [k]: { events: 3, windowSeconds: 10 } },
        }),
      ).toThrow(new RegExp(`${k}.events must exceed taskQueuePartitions`));
  });
});
