import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseEventBridgeEvent } from '../../../src/domain/events/eventbridge';
import { EVENT_RULES, patternMatches } from '../../../src/domain/events/patterns';

const fixtures = resolve(__dirname, '../../fixtures/events');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Record<string, unknown>;

const alarm = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-11-30T10:00:00Z',
  region: 'ap-south-1',
  resources: ['arn:aws:cloudwatch:ap-south-1:123456789012:alarm:node-not-ready'],
  detail: {
    alarmName: 'node-not-ready',
    state: { value: 'ALARM', reason: 'threshold crossed' },
    previousState: { value: 'OK' },
  },
};

describe('EventBridge rules shared with the parser', () => {
  const matching = (event: unknown) => EVENT_RULES.filter((r) => patternMatches(r.pattern, event)).map((r) => r.id);

  it.each([
    ['ec2-spot-instance-interruption-warning.json', 'SpotInterruptionWarningRule', 'spot-interruption-warning'],
    ['ec2-instance-rebalance-recommendation.json', 'RebalanceRecommendationRule', 'rebalance-recommendation'],
    ['aws-health-event-ec2-scheduled-change.json', 'HealthScheduledChangeRule', 'scheduled-change'],
    ['s3-object-created.json', 'BackupObjectCreatedRule', 's3-object-created'],
  ])('%s is caught by exactly %s and parsed as %s', (file, rule, kind) => {
    const event = fixture(file);
    expect(matching(event)).toEqual([rule]);
    const parsed = parseEventBridgeEvent(event);
    expect(parsed.ok && parsed.event.kind).toBe(kind);
  });

  it('state changes reach the queue only for the states eksflow acts on', () => {
    const pending = fixture('ec2-instance-state-change-notification.json');
    expect(matching(pending)).toEqual([]);
    const terminated = { ...pending, detail: { ...(pending.detail as object), state: 'terminated' } };
    expect(matching(terminated)).toEqual(['InstanceStateChangeRule']);
    const parsed = parseEventBridgeEvent(terminated);
    expect(parsed.ok && parsed.event.kind).toBe('instance-state-change');
  });

  it('AWS Health events that are not EC2 scheduled changes stay off the queue', () => {
    expect(matching(fixture('aws-health-event-ec2-issue-instance-store-degraded.json'))).toEqual([]);
  });

  it('CloudWatch alarm transitions match on the nested state value', () => {
    expect(matching(alarm)).toEqual(['AlarmStateChangeRule']);
    expect(matching({ ...alarm, detail: { ...alarm.detail, state: { value: 'INSUFFICIENT_DATA' } } })).toEqual([]);
  });

  it('the CloudFormation template carries exactly these patterns', () => {
    const template = parse(
      readFileSync(resolve(__dirname, '../../../deploy/cloudformation/eksflow-events.yaml'), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Properties: { EventPattern?: unknown } }>;
    };
    const rules = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
    expect(Object.fromEntries(rules.map(([id, r]) => [id, r.Properties.EventPattern]))).toEqual(
      Object.fromEntries(EVENT_RULES.map((r) => [r.id, r.pattern])),
    );
  });
});
