import { z } from 'zod';
import type { AwsClientFactory } from '../aws/clients';
import { apiTokenSchema, type ApiTokenConfig } from '../config/api';
import type { AwsTarget, ClusterConfig } from '../config/clusters';
import { ValidationError } from '../errors';
import { findAsg, asgSize } from '../../activities/gateways/asg';
import { describeNodegroup } from '../../activities/gateways/nodegroups';
import { secretString } from '../../activities/gateways/secrets';
import type { CurrentSizes } from './status-page';

/**
 * The API process's own AWS reads, through the gateways: the status page's current node group
 * sizes and the API tokens kept in Secrets Manager.
 */
export function currentSizesFrom(aws: AwsClientFactory, clusters: ClusterConfig[]): CurrentSizes {
  return async (c) => {
    const cluster = clusters.find((x) => x.name === c.name && x.accountId === c.accountId && x.region === c.region);
    const out: Awaited<ReturnType<CurrentSizes>> = {};
    for (const ng of cluster?.nodegroups ?? []) {
      const target = {
        accountId: c.accountId,
        region: c.region,
        ...(cluster?.roleArn ? { roleArn: cluster.roleArn } : {}),
      };
      try {
        if (ng.kind === 'self-managed') {
          const g = await findAsg(aws, { target, asgName: ng.asgName! });
          out[ng.name] = g ? asgSize(g) : undefined;
        } else {
          out[ng.name] = (await describeNodegroup(aws, { target, cluster: c.name, nodegroup: ng.name })).size;
        }
      } catch {
        out[ng.name] = undefined;
      }
    }
    return out;
  };
}

/** API tokens from a Secrets Manager secret holding a JSON array of `{ name, sha256, role }`. */
export async function tokensFromSecret(
  aws: AwsClientFactory,
  target: AwsTarget,
  secretId: string,
): Promise<ApiTokenConfig[]> {
  const raw = await secretString(aws, target, secretId);
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    throw new ValidationError(`secret ${secretId}: not JSON (expected an array of { name, sha256, role })`);
  }
  const parsed = z.array(apiTokenSchema).safeParse(json);
  if (!parsed.success) throw new ValidationError(`secret ${secretId}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
