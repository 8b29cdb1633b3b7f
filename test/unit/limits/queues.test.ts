import {
  awsMutationQueue,
  dispatchRateFor,
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
    expect(queues.map((q) => [q.kind, q.taskQueue, q.ratePerSecond]).sort()).toEqual(
      [
        ['aws-mutations', 'q-aws-111111111111-ap-south-1', 4.2],
        ['aws-mutations', 'q-aws-222222222222-eu-west-1', 4.2],
        ['pagerduty', pagerdutyQueue('q', { routingKeyEnv: 'PD_PRIMARY' }), 0.933],
        ['pagerduty', pagerdutyQueue('q', { secretId: 'pd/manager' }), 0.933],
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
