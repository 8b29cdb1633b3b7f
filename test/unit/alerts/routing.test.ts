import { parseConfig } from '../../../src/config/load';
import { istLabel, istParts, isBusinessTime, nextBusinessStart } from '../../../src/domain/alerts/business-hours';
import {
  alertWorkflowId,
  dedupKeyFromAlertId,
  MAX_DEDUP_KEY_LENGTH,
  normalizeDedupKey,
} from '../../../src/domain/alerts/dedup';
import {
  buildAlertPlan,
  levelIndexFor,
  resolveRoute,
  routeAt,
  shouldDefer,
  targetsFor,
} from '../../../src/domain/alerts/routing';
import { redactSecrets, redactUrl } from '../../../src/domain/alerts/redact';
import { ackToken, verifyAckToken, verifyPagerDutySignature } from '../../../src/domain/alerts/ack-token';
import { createHmac } from 'node:crypto';

const cluster = {
  name: 'c',
  accountId: '123456789012',
  region: 'ap-south-1',
  nodegroups: [
    {
      name: 'ng',
      instanceTypes: ['m5.large'],
      businessHours: { min: 1, desired: 1, max: 2 },
      offHours: { min: 0, desired: 0, max: 2 },
    },
  ],
};
const cfg = (notifications: unknown = {}, holidays: string[] = []) =>
  parseConfig({ clusters: [cluster], timetable: { holidays }, notifications }, 'test');
/** An instant given as IST wall-clock time. */
const ist = (iso: string) => Date.parse(`${iso}+05:30`);

describe('notification config', () => {
  it('defaults to the original design: critical → pagerduty+slack+sms 300 s ×3; warning → slack+email 900 s ×2; info → email 3600 s ×1', () => {
    const n = cfg().notifications;
    expect(n.routes.critical).toEqual({
      channels: ['pagerduty', 'slack', 'sms'],
      escalateAfterSeconds: 300,
      rounds: 3,
      offHours: 'immediate',
    });
    expect(n.routes.warning).toEqual({
      channels: ['slack', 'email'],
      escalateAfterSeconds: 900,
      rounds: 2,
      offHours: 'digest',
    });
    expect(n.routes.info).toEqual({ channels: ['email'], escalateAfterSeconds: 3600, rounds: 1, offHours: 'digest' });
    expect(n.businessHours).toMatchObject({ days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' });
  });

  it('overrides one field of a severity and keeps the rest', () => {
    expect(cfg({ routes: { warning: { rounds: 5 } } }).notifications.routes.warning).toEqual({
      channels: ['slack', 'email'],
      escalateAfterSeconds: 900,
      rounds: 5,
      offHours: 'digest',
    });
  });

  it.each([
    [{ routes: { critical: { channels: ['fax'] } } }, 'notifications.routes.critical.channels[0]'],
    [{ businessHours: { start: '25:00' } }, 'notifications.businessHours.start'],
    [{ channels: { slack: { webhookUrl: 'https://hooks.slack.com/services/x' } } }, 'notifications.channels.slack'],
    [{ channels: { sns: { smsNumbers: ['9800000001'] } } }, 'notifications.channels.sns.smsNumbers[0]'],
    [{ escalationLevels: [{ name: 'a' }, { name: 'a' }] }, 'notifications.escalationLevels[1].name'],
  ])('rejects %j naming the field', (notifications, field) => {
    expect(() => cfg(notifications)).toThrow(field);
  });
});

describe('business hours (IST)', () => {
  const bh = buildAlertPlan({
    notifications: cfg({}, ['2026-03-03']).notifications,
    timetableHolidays: ['2026-03-03'],
    type: 't',
    uiBaseUrl: 'http://ui',
    namespace: 'default',
    fallbackAws: { accountId: '1', region: 'r' },
  }).businessHours;

  it('knows IST calendar fields without time zone data', () => {
    expect(istParts(ist('2026-03-02T00:10:00'))).toMatchObject({ date: '2026-03-02', weekday: 1, minuteOfDay: 10 });
    expect(istLabel(ist('2026-03-02T09:00:00'))).toBe('2026-03-02T09:00+05:30');
  });

  it('is inside 09:00–18:00 on weekdays that are not holidays', () => {
    expect(isBusinessTime(ist('2026-03-02T09:00:00'), bh)).toBe(true); // Monday
    expect(isBusinessTime(ist('2026-03-02T17:59:00'), bh)).toBe(true);
    expect(isBusinessTime(ist('2026-03-02T18:00:00'), bh)).toBe(false);
    expect(isBusinessTime(ist('2026-03-02T08:59:00'), bh)).toBe(false);
    expect(isBusinessTime(ist('2026-03-03T10:00:00'), bh)).toBe(false); // holiday
    expect(isBusinessTime(ist('2026-03-07T10:00:00'), bh)).toBe(false); // Saturday
  });

  it('finds the next 09:00 IST on a business day: skips the night, weekends and holidays', () => {
    expect(nextBusinessStart(ist('2026-03-02T20:00:00'), bh)).toBe(ist('2026-03-04T09:00:00')); // Tue is a holiday
    expect(nextBusinessStart(ist('2026-03-06T19:00:00'), bh)).toBe(ist('2026-03-09T09:00:00')); // Fri → Mon
    expect(nextBusinessStart(ist('2026-03-05T08:00:00'), bh)).toBe(ist('2026-03-05T09:00:00'));
    expect(nextBusinessStart(ist('2026-03-05T09:00:00'), bh)).toBe(ist('2026-03-06T09:00:00'));
  });
});

describe('routing', () => {
  const n = cfg({
    rules: [
      { type: 'spot_interruption', when: 'off-hours', channels: ['slack'], offHours: 'immediate' },
      { type: 'cost_report', channels: ['email'], rounds: 0 },
      { severity: 'critical', offHours: 'digest' },
    ],
    escalationLevels: [{ name: 'primary' }, { name: 'secondary', smsNumbers: ['+919800000002'] }],
    channels: { sns: { smsNumbers: ['+919800000001'] }, slack: { webhookUrlEnv: 'SLACK_URL' } },
  }).notifications;

  it('applies the first matching rule by type, severity and business hours', () => {
    expect(resolveRoute(n, 'spot_interruption', 'warning', false)).toMatchObject({
      channels: ['slack'],
      offHours: 'immediate',
    });
    expect(resolveRoute(n, 'spot_interruption', 'warning', true)).toMatchObject({
      channels: ['slack', 'email'],
      offHours: 'digest',
    });
    expect(resolveRoute(n, 'cost_report', 'info', true)).toMatchObject({
      channels: ['email'],
      rounds: 0,
      escalateAfterSeconds: 3600,
    });
  });

  it('never digests a critical alert, whatever a rule says', () => {
    expect(resolveRoute(n, 'x', 'critical', false).offHours).toBe('immediate');
  });

  it('plans levels with their own targets and no secret values', () => {
    const plan = buildAlertPlan({
      notifications: n,
      timetableHolidays: [],
      type: 'x',
      uiBaseUrl: 'http://ui/',
      namespace: 'default',
      fallbackAws: { accountId: '123456789012', region: 'ap-south-1' },
    });
    expect(plan.levels.map((l) => l.name)).toEqual(['primary', 'secondary']);
    expect(targetsFor(plan.levels[1], ['sms', 'slack'])).toEqual([
      { kind: 'sms', numbers: ['+919800000002'], aws: { accountId: '123456789012', region: 'ap-south-1' } },
      { kind: 'slack', webhookUrlEnv: 'SLACK_URL' },
    ]);
    expect(plan.ui.baseUrl).toBe('http://ui');
    expect(shouldDefer(plan, 'warning', ist('2026-03-02T22:00:00'))).toBe(true);
    expect(shouldDefer(plan, 'warning', ist('2026-03-02T11:00:00'))).toBe(false);
    expect(shouldDefer(plan, 'critical', ist('2026-03-02T22:00:00'))).toBe(false);
    expect(routeAt(plan, 'info', ist('2026-03-02T11:00:00')).business).toBe(true);
  });

  it('climbs one level per escalation and stays at the top', () => {
    expect([0, 1, 2, 3, 4].map((i) => levelIndexFor(i, 3))).toEqual([0, 1, 2, 2, 2]);
  });
});

describe('dedup keys', () => {
  it('normalises whitespace and odd characters, keeps the safe ones', () => {
    expect(normalizeDedupKey('  scale up/prod:ng-1  ')).toBe('scale-up/prod:ng-1');
    expect(normalizeDedupKey('a"b<c>')).toBe('a_b_c_');
    expect(alertWorkflowId('k 1')).toBe('alert/k-1');
    expect(dedupKeyFromAlertId('alert/k-1')).toBe('k-1');
    expect(() => normalizeDedupKey('   ')).toThrow('empty');
  });

  it('caps keys at 255 characters and keeps long keys that differ only at the end distinct', () => {
    const a = normalizeDedupKey(`${'x'.repeat(300)}a`);
    const b = normalizeDedupKey(`${'x'.repeat(300)}b`);
    expect(a).toHaveLength(MAX_DEDUP_KEY_LENGTH);
    expect(a).not.toBe(b);
  });
});

describe('secrets', () => {
  it('redacts secret values and webhook URL paths', () => {
    expect(
      redactSecrets('POST https://hooks.slack.com/services/T/B/XYZ failed', [
        'https://hooks.slack.com/services/T/B/XYZ',
      ]),
    ).toBe('POST [redacted] failed');
    expect(redactUrl('https://hooks.slack.com/services/T/B/XYZ')).toBe('https://hooks.slack.com/[redacted]');
  });

  it('ack tokens are per alert and checked in constant time', () => {
    const t = ackToken('secret-secret-secret', 'k1');
    expect(verifyAckToken('secret-secret-secret', 'k1', t)).toBe(true);
    expect(verifyAckToken('secret-secret-secret', 'k2', t)).toBe(false);
    expect(verifyAckToken('secret-secret-secret', 'k1', t.slice(1))).toBe(false);
    expect(verifyAckToken('secret-secret-secret', 'k1', '')).toBe(false);
  });

  it('verifies PagerDuty v3 signatures, including one of several', () => {
    const body = '{"event":{}}';
    const sig = `v1=${createHmac('sha256', 'pd').update(body).digest('hex')}`;
    expect(verifyPagerDutySignature('pd', body, sig)).toBe(true);
    expect(verifyPagerDutySignature('pd', body, `v1=abc, ${sig}`)).toBe(true);
    expect(verifyPagerDutySignature('pd', `${body} `, sig)).toBe(false);
    expect(verifyPagerDutySignature('pd', body, undefined)).toBe(false);
  });
});
