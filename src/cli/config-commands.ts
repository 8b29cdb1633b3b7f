import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AuditLog } from '../audit';
import { awsClientFactoryFromEnv } from '../aws/clients';
import { configStoreFor, diffConfig, pullConfig, pushConfigText } from '../client/config-sync';
import { readEnv, type EksflowEnv } from '../config/env';
import { ConfigError, loadConfigFile } from '../config/load';
import { UsageError } from './usage-error';

function storeFor(env: EksflowEnv, envName?: string) {
  if (envName !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(envName))
    throw new UsageError(
      `--env must be letters, digits, _ . - (it becomes part of an SSM parameter name), got "${envName}"`,
    );
  const e = envName ? { ...env, EKSFLOW_ENV: envName } : env;
  return configStoreFor(awsClientFactoryFromEnv(e), e);
}

function readLocal(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
}

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('Configuration commands');

  config
    .command('validate')
    .description('Validate eksflow.yaml (path from EKSFLOW_CONFIG or --file) and print a summary')
    .option('-f, --file <path>', 'config file')
    .action((opts: { file?: string }) => {
      const path = opts.file ?? readEnv().EKSFLOW_CONFIG;
      const cfg = loadConfigFile(path);
      const groups = cfg.clusters.reduce((n, c) => n + c.nodegroups.length, 0);
      process.stdout.write(`${path}: OK — ${cfg.clusters.length} clusters, ${groups} node groups\n`);
    });

  config
    .command('push')
    .description(
      'Validate the config file and store it in Parameter Store (/eksflow/<env>/config); nothing is written when it is invalid or unchanged',
    )
    .option('-f, --file <path>', 'config file (default EKSFLOW_CONFIG)')
    .option('--env <name>', 'environment (default EKSFLOW_ENV)')
    .option(
      '--type <type>',
      'String or SecureString (the config holds secret names only, never values)',
      'SecureString',
    )
    .action(async (opts: { file?: string; env?: string; type: string }) => {
      if (opts.type !== 'String' && opts.type !== 'SecureString')
        throw new UsageError(`--type must be String or SecureString, got "${opts.type}"`);
      const env = readEnv();
      const path = opts.file ?? env.EKSFLOW_CONFIG;
      loadConfigFile(path); // an invalid file is never pushed: this throws with the fields named
      const text = readLocal(path);
      const store = storeFor(env, opts.env);
      const r = await pushConfigText(store, text, opts.type, path);
      if (!r.changed) {
        process.stdout.write(`${store.name}: unchanged (version ${r.version})\n`);
        return;
      }
      new AuditLog(resolve(env.EKSFLOW_AUDIT_LOG)).record({
        action: 'ssm:PutParameter',
        target: store.name,
        detail: {
          version: r.version,
          previous: r.previous ?? null,
          file: resolve(path),
          bytes: Buffer.byteLength(text),
        },
      });
      process.stdout.write(
        `${store.name}: version ${r.version} stored${r.previous ? ` (was ${r.previous})` : ''}; workers in ssm mode apply it once the config watcher has validated it\n`,
      );
    });

  config
    .command('pull')
    .description('Fetch the stored config (latest or --version) and write it to a file (or stdout)')
    .option('-o, --out <path>', 'write here (default: stdout)')
    .option('--env <name>', 'environment (default EKSFLOW_ENV)')
    .option('--param-version <n>', 'a specific parameter version')
    .action(async (opts: { out?: string; env?: string; paramVersion?: string }) => {
      const version = opts.paramVersion === undefined ? undefined : Number(opts.paramVersion);
      if (version !== undefined && (!Number.isInteger(version) || version < 1))
        throw new UsageError(`--param-version must be a positive integer, got "${opts.paramVersion}"`);
      const store = storeFor(readEnv(), opts.env);
      const stored = await pullConfig(store, version);
      if (!stored) throw new UsageError(`nothing stored at ${store.name}${version ? `:${version}` : ''}`);
      if (!stored.valid)
        process.stderr.write(
          `eksflow: warning: ${store.name}:${stored.version} is invalid (workers will not apply it):\n  ${stored.issues.join('\n  ')}\n`,
        );
      if (opts.out) {
        writeFileSync(opts.out, stored.text);
        process.stdout.write(`${store.name}:${stored.version} → ${opts.out}\n`);
      } else process.stdout.write(stored.text);
    });

  config
    .command('diff')
    .description('Show how the config file differs from the stored config')
    .option('-f, --file <path>', 'config file (default EKSFLOW_CONFIG)')
    .option('--env <name>', 'environment (default EKSFLOW_ENV)')
    .action(async (opts: { file?: string; env?: string }) => {
      const env = readEnv();
      const path = opts.file ?? env.EKSFLOW_CONFIG;
      const local = readLocal(path);
      const store = storeFor(env, opts.env);
      const { storedVersion, diff: text } = await diffConfig(store, local);
      if (storedVersion === undefined)
        process.stdout.write(
          `${store.name}: nothing stored yet; \`eksflow config push\` would store ${path} as version 1\n`,
        );
      else if (!text) process.stdout.write(`${store.name}:${storedVersion} and ${path} are identical\n`);
      else process.stdout.write(`--- ${store.name}:${storedVersion}\n+++ ${path}\n${text}`);
    });
}
