import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { KMSClient } from '@aws-sdk/client-kms';
import { PricingClient } from '@aws-sdk/client-pricing';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AwsTarget } from '../config/clusters';
import type { EksflowEnv } from '../config/env';
import { AccessDeniedError } from '../errors';
import { awsCallCounterPlugin } from './call-counter';

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
  /** false: calls are not counted (a benchmark's own seeding and sandbox helpers). Default true. */
  countCalls?: boolean;
}

interface ClientCtor<C> {
  new (config: Record<string, unknown>): C;
}

/** Every client the factory builds counts its calls (src/aws/call-counter.ts). */
function counted<C>(client: C, on = true): C {
  if (!on) return client;
  (client as unknown as { middlewareStack: { use(p: typeof awsCallCounterPlugin): void } }).middlewareStack.use(
    awsCallCounterPlugin,
  );
  return client;
}

/**
 * The one place that builds AWS SDK v3 clients. Clients are cached per (service, account,
 * region, role) so sockets and assumed-role sessions are reused across activity calls.
 * Nothing else in the code knows whether it talks to AWS or to the sandbox.
 */
export class AwsClientFactory {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly settings: AwsClientSettings = {}) {}

  eks(t: AwsTarget): EKSClient {
    return this.client('eks', EKSClient, t);
  }
  ec2(t: AwsTarget): EC2Client {
    return this.client('ec2', EC2Client, t);
  }
  /**
   * EC2 without the SDK's own retries, for a mutation whose retry must go through the caller's
   * idempotency check (CreateFleet: AWS dedupes on its ClientToken, moto does not, so an answer lost
   * under load and retried by the SDK would launch a second fleet there; the activity's retry scans
   * the replacement tag first).
   */
  ec2NoRetry(t: AwsTarget): EC2Client {
    return this.client('ec2-no-retry', EC2Client, t, { maxAttempts: 1 });
  }
  autoScaling(t: AwsTarget): AutoScalingClient {
    return this.client('autoscaling', AutoScalingClient, t);
  }
  cloudwatch(t: AwsTarget): CloudWatchClient {
    return this.client('cloudwatch', CloudWatchClient, t);
  }
  sns(t: AwsTarget): SNSClient {
    return this.client('sns', SNSClient, t);
  }
  sqs(t: AwsTarget): SQSClient {
    return this.client('sqs', SQSClient, t);
  }
  secretsManager(t: AwsTarget): SecretsManagerClient {
    return this.client('secretsmanager', SecretsManagerClient, t);
  }
  iam(t: AwsTarget): IAMClient {
    return this.client('iam', IAMClient, t);
  }
  ssm(t: AwsTarget): SSMClient {
    return this.client('ssm', SSMClient, t);
  }
  logs(t: AwsTarget): CloudWatchLogsClient {
    return this.client('logs', CloudWatchLogsClient, t);
  }
  /** Path-style addressing: the sandbox endpoint (moto) cannot resolve bucket subdomains. */
  s3(t: AwsTarget): S3Client {
    return this.client('s3', S3Client, t, this.settings.endpoint ? { forcePathStyle: true } : {});
  }
  ecr(t: AwsTarget): ECRClient {
    return this.client('ecr', ECRClient, t);
  }
  inspector2(t: AwsTarget): Inspector2Client {
    return this.client('inspector2', Inspector2Client, t);
  }
  securityHub(t: AwsTarget): SecurityHubClient {
    return this.client('securityhub', SecurityHubClient, t);
  }
  kms(t: AwsTarget): KMSClient {
    return this.client('kms', KMSClient, t);
  }

  /** S3 in the worker's own account (reports; no role assumed); path-style against the sandbox endpoint. */
  reportsS3(region: string): S3Client {
    const key = `s3/${region}`;
    let client = this.cache.get(key) as S3Client | undefined;
    if (!client) {
      client = counted(
        new S3Client({
          region,
          endpoint: this.settings.endpoint,
          forcePathStyle: this.settings.endpoint !== undefined,
          credentials: this.settings.credentials,
          maxAttempts: this.settings.maxAttempts ?? 3,
        }),
        this.settings.countCalls,
      );
      this.cache.set(key, client);
    }
    return client;
  }

  /** The Pricing API lives in us-east-1 (and a few other regions) whatever the fleet's region. */
  pricing(region = 'us-east-1'): PricingClient {
    const key = `pricing/${region}`;
    let client = this.cache.get(key) as PricingClient | undefined;
    if (!client) {
      client = counted(
        new PricingClient({
          region,
          endpoint: this.settings.pricingEndpoint,
          credentials: this.settings.credentials,
          maxAttempts: this.settings.maxAttempts ?? 3,
        }),
        this.settings.countCalls,
      );
      this.cache.set(key, client);
    }
    return client;
  }

  private client<C>(service: string, Ctor: ClientCtor<C>, t: AwsTarget, extra: Record<string, unknown> = {}): C {
    const key = `${service}/${t.accountId}/${t.region}/${t.roleArn ?? ''}`;
    let client = this.cache.get(key) as C | undefined;
    if (!client) {
      client = counted(
        new Ctor({
          region: t.region,
          endpoint: this.settings.endpoint,
          credentials: this.credentialsFor(t),
          maxAttempts: this.settings.maxAttempts ?? 3,
          ...extra,
        }),
        this.settings.countCalls,
      );
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
      if (!c?.AccessKeyId || !c.SecretAccessKey)
        throw new AccessDeniedError(`AssumeRole ${t.roleArn} returned no credentials`);
      cached = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
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
