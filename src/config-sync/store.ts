import { parse as parseYaml } from 'yaml';
import { ssmGateway } from '../../activities/gateways/ssm';
import type { AwsClientFactory, AwsTarget } from '../aws/clients';
import type { EksflowEnv } from '../config/env';
import { ConfigError, parseConfig } from '../config/load';
import type { EksflowConfig } from '../config/schema';
import { configParameterName } from '../domain/config-sync/diff';

/** Where an environment's config parameter lives (account, region, role from the environment). */
export function configStoreTarget(env: EksflowEnv): AwsTarget {
  return {
    accountId: env.EKSFLOW_CONFIG_SSM_ACCOUNT ?? '000000000000',
    region: env.EKSFLOW_CONFIG_SSM_REGION,
    ...(env.EKSFLOW_CONFIG_SSM_ROLE_ARN ? { roleArn: env.EKSFLOW_CONFIG_SSM_ROLE_ARN } : {}),
  };
}

export type ParsedConfigText = { ok: true; config: EksflowConfig } | { ok: false; issues: string[] };

/** Validates config text (YAML or JSON) as eksflow would load it; the issues name the fields. */
export function parseConfigText(text: string, source: string): ParsedConfigText {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    return { ok: false, issues: [`(root): not valid YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  try {
    return { ok: true, config: parseConfig(raw, source) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, issues: err.issues };
    throw err;
  }
}

export interface StoredConfig {
  name: string;
  version: number;
  text: string;
  lastModified?: string;
}

/** Parameter Store holds the config text; one parameter per environment. */
export function configStore(aws: AwsClientFactory, target: AwsTarget, envName: string) {
  const ssm = ssmGateway(aws, target);
  const name = configParameterName(envName);
  return {
    name,
    async read(version?: number): Promise<StoredConfig | undefined> {
      const p = await ssm.get(version ? `${name}:${version}` : name, true);
      if (!p?.Value) return undefined;
      return { name, version: p.Version ?? 0, text: p.Value, lastModified: p.LastModifiedDate?.toISOString() };
    },
    /** Writes only when the text differs from the current version; returns the version in force. */
    async write(
      text: string,
      type: 'String' | 'SecureString',
    ): Promise<{ changed: boolean; version: number; previous?: number }> {
      if (Buffer.byteLength(text) > 8192)
        throw new ConfigError(
          `config is ${Buffer.byteLength(text)} bytes; Parameter Store holds at most 8192 (advanced tier)`,
        );
      const current = await this.read();
      if (current && current.text === text)
        return { changed: false, version: current.version, previous: current.version };
      const version = await ssm.put(name, text, type, 'eksflow configuration (eksflow config push)');
      return { changed: true, version, previous: current?.version };
    },
  };
}

/** A worker in `ssm` mode loads its config here at start; an invalid stored config stops it with the fields named. */
export async function loadConfigFromStore(
  aws: AwsClientFactory,
  env: EksflowEnv,
  version?: number,
): Promise<{ config: EksflowConfig; version: number }> {
  const store = configStore(aws, configStoreTarget(env), env.EKSFLOW_ENV);
  const stored = await store.read(version);
  if (!stored)
    throw new ConfigError(
      `no config in Parameter Store at ${store.name}${version ? `:${version}` : ''} (push one with \`eksflow config push\`)`,
    );
  const parsed = parseConfigText(stored.text, `${store.name}:${stored.version}`);
  if (!parsed.ok)
    throw new ConfigError(
      `${store.name}:${stored.version} is invalid:\n  ${parsed.issues.join('\n  ')}`,
      parsed.issues,
    );
  return { config: parsed.config, version: stored.version };
}
