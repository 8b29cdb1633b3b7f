import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { PricingClient } from '@aws-sdk/client-pricing';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AwsTarget } from '../config/clusters';
import type { EksflowEnv } from '../config/env';
import { AccessDeniedError } from '../errors';

export type { AwsTarget };

export interface AwsClientSettings {
  /** Sandbox endpoint (moto). When set, every client except Pricing talks to it. */
  endpoint?: string;
  /** Pricing API endpoint (the sandbox's local GetProducts server). */
  pricingEndpoint?: string;
  /** Static credentials (sandbox/tests); the default credential chain when absent. */
  credentials?: AwsCredentialIdentity;
  /** Retry attempts the SDK makes itself before an activity retry takes over. */
  maxAttempts?: number;
}

interface ClientCtor<C> {
  new (config: Record<string, unknown>): C;
}

/**
 * The one place that builds AWS SDK v3 clients. Clients are cached per (service, account,
 * region, role) so sockets and assumed-role sessions are reused across activity calls.
 * Nothing else in the code knows whether it talks to AWS or to the sandbox.
 */
export class AwsClientFactory {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly settings: AwsClientSettings = {}) {}

  eks(t: AwsTarget): EKSClient { return this.client('eks', EKSClient, t); }
  ec2(t: AwsTarget): EC2Client { return this.client('ec2', EC2Client, t); }
  autoScaling(t: AwsTarget): AutoScalingClient { return this.client('autoscaling', AutoScalingClient, t); }
  cloudwatch(t: AwsTarget): CloudWatchClient { return this.client('cloudwatch', CloudWatchClient, t); }
  sns(t: AwsTarget): SNSClient { return this.client('sns', SNSClient, t); }
  sqs(t: AwsTarget): SQSClient { return this.client('sqs', SQSClient, t); }
  secretsManager(t: AwsTarget): SecretsManagerClient { return this.client('secretsmanager', SecretsManagerClient, t); }

  /** The Pricing API lives in us-east-1 (and a few other regions) whatever the fleet's region. */
  pricing(region = 'us-east-1'): PricingClient {
    const key = `pricing/${region}`;
    let client = this.cache.get(key) as PricingClient | undefined;
    if (!client) {
      client = new PricingClient({
        region,
        endpoint: this.settings.pricingEndpoint,
        credentials: this.settings.credentials,
        maxAttempts: this.settings.maxAttempts ?? 3,
      });
      this.cache.set(key, client);
    }
    return client;
  }

  private client<C>(service: string, Ctor: ClientCtor<C>, t: AwsTarget): C {
    const key = `${service}/${t.accountId}/${t.region}/${t.roleArn ?? ''}`;
    let client = this.cache.get(key) as C | undefined;
    if (!client) {
      client = new Ctor({
        region: t.region,
        endpoint: this.settings.endpoint,
        credentials: this.credentialsFor(t),
        maxAttempts: this.settings.maxAttempts ?? 3,
      });
      this.cache.set(key, client);
    }
    return client;
  }

  private credentialsFor(t: AwsTarget): AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined {
    if (!t.roleArn) return this.settings.credentials;
    const sts = this.client('sts', STSClient, { accountId: t.accountId, region: t.region });
    let cached: AwsCredentialIdentity | undefined;
    // Refresh a few minutes before expiry so a long activity never holds stale credentials.
    return async () => {
      if (cached?.expiration && cached.expiration.getTime() - Date.now() > 5 * 60_000) return cached;
      const out = await sts.send(
        new AssumeRoleCommand({ RoleArn: t.roleArn, RoleSessionName: `eksflow-${t.accountId}`, DurationSeconds: 3600 }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new AccessDeniedError(`AssumeRole ${t.roleArn} returned no credentials`);
      cached = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
      return cached;
    };
  }
}

/** Credentials moto accepts; never used against AWS. */
export const SANDBOX_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The factory for a process's environment: the sandbox endpoints when set, else real AWS. */
export function awsClientFactoryFromEnv(env: EksflowEnv): AwsClientFactory {
  return new AwsClientFactory({
    endpoint: env.EKSFLOW_AWS_ENDPOINT,
    pricingEndpoint: env.EKSFLOW_PRICING_ENDPOINT,
    // The sandbox (moto) takes any credentials; real AWS uses the default chain.
    credentials: env.EKSFLOW_AWS_ENDPOINT ? SANDBOX_CREDENTIALS : undefined,
  });
}
