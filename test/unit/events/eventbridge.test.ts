import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEventBridgeEvent, parseEventBridgeJson } from '../../../src/domain/events/eventbridge';
import { actionsFor } from '../../../src/domain/events/actions';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'events', `${name}.json`), 'utf8'));

describe('EventBridge events parsed at the edge (AWS sample payloads)', () => {
  it('parses the spot interruption warning and starts spot-interruption for its instance', () => {
    const r = parseEventBridgeEvent(fixture('ec2-spot-instance-interruption-warning'));
    expect(r).toEqual({
      ok: true,
      event: expect.objectContaining({
        kind: 'spot-interruption-warning',
        instanceId: 'i-0b662ef9931388ba0',
        instanceAction: 'terminate',
        time: '1970-01-01T00:00:00Z',
        account: '<account_number>',
      }),
    });
    if (!r.ok) throw new Error(r.error);
    expect(actionsFor(r.event)).toEqual([
      {
        type: 'start-interruption',
        trigger: {
          kind: 'spot-interruption-warning',
          eventId: '1e5527d7-bb36-4607-3370-4164db56a40e',
          instanceId: 'i-0b662ef9931388ba0',
          time: '1970-01-01T00:00:00Z',
          region: 'us-east-1',
          account: '<account_number>',
        },
      },
    ]);
  });

  it('parses the rebalance recommendation', () => {
    const r = parseEventBridgeEvent(fixture('ec2-instance-rebalance-recommendation'));
    if (!r.ok) throw new Error(r.error);
    expect(r.event.kind).toBe('rebalance-recommendation');
    expect(actionsFor(r.event)[0]).toMatchObject({
      type: 'start-interruption',
      trigger: { kind: 'rebalance-recommendation', instanceId: 'i-0b662ef9931388ba0' },
    });
  });

  it('a state change to pending is a no-op, to terminated a signal to the running workflow', () => {
    const raw = fixture('ec2-instance-state-change-notification');
    const pending = parseEventBridgeEvent(raw);
    if (!pending.ok) throw new Error(pending.error);
    expect(actionsFor(pending.event)).toEqual([{ type: 'none', reason: 'instance i-abcd1111 is pending' }]);
    const terminated = parseEventBridgeEvent({ ...raw, detail: { ...raw.detail, state: 'terminated' } });
    if (!terminated.ok) throw new Error(terminated.error);
    expect(actionsFor(terminated.event)).toEqual([
      { type: 'signal-instance-state', instanceId: 'i-abcd1111', state: 'terminated' },
    ]);
  });

  it('an AWS Health EC2 scheduled change starts one workflow per affected instance; an issue event is a no-op', () => {
    const sched = parseEventBridgeEvent(fixture('aws-health-event-ec2-scheduled-change'));
    if (!sched.ok) throw new Error(sched.error);
    expect(sched.event).toMatchObject({
      kind: 'scheduled-change',
      instanceIds: ['i-12345678'],
      eventTypeCode: 'AWS_EC2_DEDICATED_HOST_NETWORK_MAINTENANCE_SCHEDULED',
    });
    expect(actionsFor(sched.event)).toEqual([
      expect.objectContaining({
        type: 'start-interruption',
        trigger: expect.objectContaining({ kind: 'scheduled-change', instanceId: 'i-12345678' }),
      }),
    ]);
    const issue = parseEventBridgeEvent(fixture('aws-health-event-ec2-issue-instance-store-degraded'));
    if (!issue.ok) throw new Error(issue.error);
    expect(issue.event).toMatchObject({ kind: 'ignored', unsupported: false });
    expect(actionsFor(issue.event)[0].type).toBe('none');
  });

  it('an unknown (source, detail-type) is a no-op kind, not an error', () => {
    const r = parseEventBridgeEvent({
      ...fixture('ec2-instance-rebalance-recommendation'),
      'detail-type': 'EC2 Fleet Spot Instance Request Change',
    });
    expect(r).toMatchObject({
      ok: true,
      event: { kind: 'ignored', unsupported: true, detailType: 'EC2 Fleet Spot Instance Request Change' },
    });
  });

  it('rejects malformed events with a message naming the field', () => {
    const warning = fixture('ec2-spot-instance-interruption-warning');
    const noTime = parseEventBridgeEvent({ ...warning, time: undefined });
    expect(noTime.ok).toBe(false);
    if (!noTime.ok) expect(noTime.error).toMatch(/time/);
    const badInstance = parseEventBridgeEvent({
      ...warning,
      detail: { 'instance-id': 'vm-1', 'instance-action': 'terminate' },
    });
    expect(badInstance.ok).toBe(false);
    if (!badInstance.ok) expect(badInstance.error).toMatch(/instance-id/);
    const notJson = parseEventBridgeJson('{"version":');
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.error).toMatch(/not JSON/);
    expect(parseEventBridgeEvent([1, 2]).ok).toBe(false);
  });
});
