import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventBridgeEvent } from '../../../src/domain/events/eventbridge';
import { actionsFor } from '../../../src/domain/events/actions';
import { alarmWorkflowId } from '../../../src/domain/health/checks';

const sample = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', 'cloudwatch-alarm-state-change.json'), 'utf8'),
);

describe('CloudWatch Alarm State Change events', () => {
  test('the documented sample parses into an alarm with its metric and state time', () => {
    const r = parseEventBridgeEvent(sample);
    expect(r).toEqual({
      ok: true,
      event: expect.objectContaining({
        kind: 'cloudwatch-alarm',
        alarmName: 'ServerCpuTooHigh',
        state: 'ALARM',
        previousState: 'OK',
        alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
        stateAtMs: Date.parse('2019-10-02T17:04:40.989Z'),
        metric: {
          namespace: 'AWS/EC2',
          name: 'CPUUtilization',
          dimensions: { InstanceId: 'i-12345678901234567' },
          stat: 'Average',
          periodSeconds: 300,
        },
      }),
    });
    expect(actionsFor((r as { ok: true; event: never }).event)).toEqual([
      { type: 'alarm-state', alarm: expect.objectContaining({ state: 'ALARM' }) },
    ]);
  });
  test('INSUFFICIENT_DATA is no action; a bad state is an error naming the field; no resources → ARN built from the name', () => {
    const insufficient = structuredClone(sample);
    insufficient.detail.state.value = 'INSUFFICIENT_DATA';
    const r = parseEventBridgeEvent(insufficient);
    expect(r.ok && actionsFor(r.event)[0].type).toBe('none');
    const bad = structuredClone(sample);
    bad.detail.state.value = 'RED';
    const b = parseEventBridgeEvent(bad);
    expect(b.ok).toBe(false);
    expect(!b.ok && b.error).toContain('state.value');
    const noRes = structuredClone(sample);
    noRes.resources = [];
    const n = parseEventBridgeEvent(noRes);
    expect(n.ok && n.event.kind === 'cloudwatch-alarm' && n.event.alarmArn).toBe(
      'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
    );
  });
  test('workflow ids are per alarm ARN and readable', () => {
    const a = alarmWorkflowId('arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh');
    expect(a).toMatch(/^cw-alarm\/ServerCpuTooHigh-[0-9a-f]{8}$/);
    expect(alarmWorkflowId('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ServerCpuTooHigh')).not.toBe(a);
  });
});
