import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeRuleCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { parseEventBridgeJson } from '../../src/domain/events/eventbridge';
import { EVENT_RULES } from '../../src/domain/events/patterns';
import { REPO_ROOT, toolPath } from '../../src/sandbox/processes';
import { eventually } from '../support/eventually';
import { testAwsClientConfig, uniqueName } from '../support/stack';

const TEMPLATE = join(REPO_ROOT, 'deploy/cloudformation/eksflow-events.yaml');
// A region of its own: the stack's IAM role names are per region and this test owns them.
const REGION = 'eu-north-1';

describe('CloudFormation events stack', () => {
  it('passes cfn-lint', async () => {
    const res = await promisify(execFile)(toolPath('cfn-lint'), ['--format', 'parseable', TEMPLATE]).catch(
      (err: { stdout?: string; code?: number }) => ({ stdout: err.stdout ?? String(err), stderr: '', code: err.code }),
    );
    expect(res.stdout.trim()).toBe('');
  });

  describe('deployed into moto', () => {
    const cfn = new CloudFormationClient(testAwsClientConfig(REGION));
    const events = new EventBridgeClient(testAwsClientConfig(REGION));
    const sqs = new SQSClient(testAwsClientConfig(REGION));
    const stackName = uniqueName('eksflow-events');
    const queueName = uniqueName('eksflow-q');
    let queueUrl = '';

    beforeAll(async () => {
      await cfn.send(
        new CreateStackCommand({
          StackName: stackName,
          TemplateBody: readFileSync(TEMPLATE, 'utf8'),
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Parameters: [{ ParameterKey: 'QueueName', ParameterValue: queueName }],
        }),
      );
      const stack = await eventually(
        async () => (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0],
        (s) => s?.StackStatus === 'CREATE_COMPLETE',
        `stack ${stackName} CREATE_COMPLETE`,
      );
      queueUrl = stack?.Outputs?.find((o) => o.OutputKey === 'QueueUrl')?.OutputValue ?? '';
    });

    afterAll(async () => {
      await cfn.send(new DeleteStackCommand({ StackName: stackName }));
    });

    it('creates the queue, the dead-letter queue, one rule per event kind and the roles', async () => {
      expect(queueUrl).toContain(queueName);
      const resources =
        (await cfn.send(new ListStackResourcesCommand({ StackName: stackName }))).StackResourceSummaries ?? [];
      const created = resources.map((r) => r.LogicalResourceId);
      expect(created).toEqual(
        expect.arrayContaining([
          'EventsQueue',
          'EventsDeadLetterQueue',
          'WorkerRole',
          'ClusterRole',
          ...EVENT_RULES.map((r) => r.id),
        ]),
      );
      for (const rule of EVENT_RULES) {
        const physical = resources.find((r) => r.LogicalResourceId === rule.id)?.PhysicalResourceId;
        const described = await events.send(new DescribeRuleCommand({ Name: physical }));
        expect(JSON.parse(described.EventPattern ?? '{}')).toEqual(rule.pattern);
      }
    });

    it('delivers a spot interruption warning put on the bus to the queue the ingress polls', async () => {
      const instanceId = `i-0${Math.floor(Math.random() * 1e15)
        .toString(16)
        .padStart(15, '0')
        .slice(0, 15)}`;
      const fixture = JSON.parse(
        readFileSync(join(REPO_ROOT, 'test/fixtures/events/ec2-spot-instance-interruption-warning.json'), 'utf8'),
      ) as { detail: Record<string, string> };
      const put = await events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'aws.ec2',
              DetailType: 'EC2 Spot Instance Interruption Warning',
              Detail: JSON.stringify({ ...fixture.detail, 'instance-id': instanceId }),
              Resources: [`arn:aws:ec2:${REGION}:123456789012:instance/${instanceId}`],
            },
          ],
        }),
      );
      expect(put.FailedEntryCount ?? 0).toBe(0);
      const seen: Message[] = [];
      const mine = await eventually(
        async () => {
          const got = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          seen.push(...(got.Messages ?? []));
          return seen.find((m) => (m.Body ?? '').includes(instanceId));
        },
        (m) => m !== undefined,
        `the event for ${instanceId} in ${queueUrl}`,
      );
      // moto 5.2.5 leaves `account` out of the event it delivers to SQS (EventBridge always sends it).
      const delivered = JSON.parse(mine?.Body ?? '{}') as Record<string, unknown>;
      const parsed = parseEventBridgeJson(JSON.stringify({ account: '123456789012', ...delivered }));
      expect(parsed.ok ? 'parsed' : `${parsed.error} in ${mine?.Body}`).toBe('parsed');
      expect(parsed.ok && parsed.event).toMatchObject({
        kind: 'spot-interruption-warning',
        instanceId,
        region: REGION,
      });
    });
  });
});
