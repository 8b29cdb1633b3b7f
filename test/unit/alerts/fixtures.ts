import type { EksflowConfig } from '../../../src/config/schema';
import { parseConfig } from '../../../src/config/load';

/** A 32-character PagerDuty routing key for tests (the Events API checks the length). */
export const TEST_ROUTING_KEY = 'R0UTINGKEYR0UTINGKEYR0UTINGKEY01';

/**
 * A config with a three-level ladder, each level with its own Slack webhook env var, for alert
 * tests. `prefix` keeps env var names unique per test file (they share one process).
 */
export function alertsTestConfig(opts: {
  prefix: string;
  pagerdutyUrl: string;
  emailTopicArn?: string;
  snsRegion?: string;
  extra?: Record<string, unknown>;
}): EksflowConfig {
  const p = opts.prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return parseConfig(
    {
      clusters: [
        {
          name: 'alerts-test',
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
        },
      ],
      timetable: { holidays: ['2030-01-01'] },
      notifications: {
        temporalUiUrl: 'http://localhost:8233',
        channels: {
          slack: { webhookUrlEnv: `${p}_SLACK_PRIMARY` },
          pagerduty: { routingKeyEnv: `${p}_PD_KEY`, eventsUrl: opts.pagerdutyUrl },
          sns: {
            region: opts.snsRegion ?? 'ap-south-1',
            accountId: '123456789012',
            smsNumbers: ['+919800000001'],
            emailTopicArn: opts.emailTopicArn,
          },
        },
        escalationLevels: [
          { name: 'primary' },
          { name: 'secondary', slack: { webhookUrlEnv: `${p}_SLACK_SECONDARY` }, smsNumbers: ['+919800000002'] },
          { name: 'manager', slack: { webhookUrlEnv: `${p}_SLACK_MANAGER` }, smsNumbers: ['+919800000003'] },
        ],
        ...opts.extra,
      },
    },
    'alerts test config',
  );
}

/** The env var names alertsTestConfig uses, for tests to fill with receiver URLs. */
export function alertsTestEnvNames(prefix: string) {
  const p = prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return {
    slackPrimary: `${p}_SLACK_PRIMARY`,
    slackSecondary: `${p}_SLACK_SECONDARY`,
    slackManager: `${p}_SLACK_MANAGER`,
    pagerdutyKey: `${p}_PD_KEY`,
  };
}
