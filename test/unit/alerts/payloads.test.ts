import {
  emailMessage,
  pagerdutyEvent,
  pagerdutySeverity,
  slackDigestMessage,
  slackMessage,
  smsText,
  type AlertMessage,
} from '../../../src/domain/alerts/payloads';
import { pagerdutyEventSchema, slackWebhookSchema } from '../../../src/sandbox/receivers';
import { TEST_ROUTING_KEY } from './fixtures';

const base: AlertMessage = {
  alert: {
    severity: 'critical',
    type: 'scale_up_timeout',
    dedupKey: 'k1',
    summary: 'payments-mumbai: general-ondemand stuck at 2/4 <ready>',
    cluster: 'payments-mumbai',
    details: { nodegroup: 'general-ondemand', desired: 4, inService: 2 },
    links: [{ label: 'Report', url: 'https://reports.example/r1' }],
  },
  dedupKey: 'k1',
  action: 'trigger',
  level: 'primary',
  round: 1,
  count: 1,
  runUrl: 'http://localhost:8233/namespaces/default/workflows/alert%2Fk1',
  ackUrl: 'http://ingress/alerts/k1/ack?token=abc',
};

describe('Slack Block Kit messages', () => {
  it.each(['trigger', 'escalate', 'acknowledge', 'resolve'] as const)(
    '%s matches the incoming-webhook schema',
    (action) => {
      const msg = slackMessage({ ...base, action, round: action === 'escalate' ? 2 : 1, count: 3, by: 'asha' });
      expect(slackWebhookSchema.safeParse(msg).error?.issues).toBeUndefined();
    },
  );

  it('shows severity, cluster, summary (escaped) and a link to the Temporal UI run', () => {
    const msg = slackMessage(base);
    const json = JSON.stringify(msg);
    expect(json).toContain('critical');
    expect(json).toContain('payments-mumbai');
    expect(json).toContain('&lt;ready&gt;');
    expect(json).toContain(base.runUrl);
    expect(json).toContain(base.ackUrl!);
  });

  it('stays within Block Kit limits for very long input', () => {
    const long = {
      ...base,
      alert: {
        ...base.alert,
        summary: 'x'.repeat(1024),
        cluster: 'c'.repeat(256),
        details: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v'.repeat(500)])),
      },
    };
    expect(slackWebhookSchema.safeParse(slackMessage(long)).success).toBe(true);
    const lines = Array.from({ length: 80 }, (_, i) => ({
      severity: 'info' as const,
      type: 't',
      summary: `s${i}`,
      count: 1,
      runUrl: 'http://ui/x',
    }));
    expect(slackWebhookSchema.safeParse(slackDigestMessage(lines, 'label')).success).toBe(true);
  });
});

describe('PagerDuty Events v2', () => {
  it('trigger, acknowledge and resolve match the documented schema', () => {
    for (const action of ['trigger', 'escalate', 'acknowledge', 'resolve'] as const) {
      const event = {
        routing_key: TEST_ROUTING_KEY,
        ...pagerdutyEvent({ ...base, action }, '2026-03-02T09:00:00.000Z'),
      };
      expect(pagerdutyEventSchema.safeParse(event).error?.issues).toBeUndefined();
    }
  });

  it('maps severities to critical/error/warning/info', () => {
    expect(pagerdutySeverity('critical', 1)).toBe('critical');
    expect(pagerdutySeverity('warning', 1)).toBe('warning');
    expect(pagerdutySeverity('warning', 2)).toBe('error');
    expect(pagerdutySeverity('info', 3)).toBe('info');
  });

  it('rejects events PagerDuty would reject (the receiver schema is not a rubber stamp)', () => {
    expect(
      pagerdutyEventSchema.safeParse({
        routing_key: 'short',
        event_action: 'trigger',
        payload: { summary: 's', source: 'x', severity: 'critical' },
      }).success,
    ).toBe(false);
    expect(pagerdutyEventSchema.safeParse({ routing_key: TEST_ROUTING_KEY, event_action: 'resolve' }).success).toBe(
      false,
    );
    expect(
      pagerdutyEventSchema.safeParse({
        routing_key: TEST_ROUTING_KEY,
        event_action: 'trigger',
        payload: { summary: 's', source: 'x', severity: 'fatal' },
      }).success,
    ).toBe(false);
    expect(
      slackWebhookSchema.safeParse({ blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] }).success,
    ).toBe(false);
  });
});

describe('SNS messages', () => {
  it('keeps email subjects ASCII and under 100 characters, SMS short', () => {
    const m = { ...base, alert: { ...base.alert, summary: `ünïcode ${'y'.repeat(200)}` } };
    const { subject, body } = emailMessage(m);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(body).toContain('Dedup key:   k1');
    expect(smsText(m).length).toBeLessThanOrEqual(300);
  });
});
