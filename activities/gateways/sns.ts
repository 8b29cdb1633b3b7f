import { PublishCommand } from '@aws-sdk/client-sns';
import type { AwsClientFactory } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { AwsTarget } from '../../src/config/clusters';

/** SNS: the only code that publishes (email topics, transactional SMS). Callers record deliveries. */
export async function publishToTopic(
  aws: AwsClientFactory,
  target: AwsTarget,
  topicArn: string,
  subject: string,
  body: string,
): Promise<string | undefined> {
  const out = await awsCall(`SNS Publish ${topicArn}`, () =>
    aws.sns(target).send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: body })),
  );
  return out.MessageId;
}

export async function publishSms(
  aws: AwsClientFactory,
  target: AwsTarget,
  phoneNumber: string,
  text: string,
): Promise<string | undefined> {
  const out = await awsCall('SNS Publish (SMS)', () =>
    aws.sns(target).send(
      new PublishCommand({
        PhoneNumber: phoneNumber,
        Message: text,
        MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
      }),
    ),
  );
  return out.MessageId;
}
