import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { ENV_NAMES } from '../../src/config/env';
import { REPO_ROOT } from '../../src/sandbox/processes';
import {
  EKSFLOW_SHARED_ENV,
  STACK_ONLY_ENV,
  STACK_SERVICES,
  serviceEnvironment,
  type StackServiceName,
} from '../../src/sandbox/stack-services';

/** docker-compose.yml and `npm run stack` describe the same production shape. */
describe('npm run stack and docker-compose.yml', () => {
  const compose = parseDocument(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }).toJS({
    maxAliasCount: 100,
  }) as {
    services: Record<string, { environment?: Record<string, string>; deploy?: { replicas?: number } }>;
  };
  const eksflowServices = ['worker', 'ingress', 'schedules'] as const;

  it('run the same services, with as many workers', () => {
    expect(Object.keys(compose.services).sort()).toEqual(Object.keys(STACK_SERVICES).sort());
    expect(compose.services.worker!.deploy?.replicas).toBe(STACK_SERVICES.worker.replicas);
  });

  it.each(eksflowServices)('give %s the same environment variables', (name) => {
    const env = Object.keys(compose.services[name]!.environment ?? {}).sort();
    expect(env).toEqual([...STACK_SERVICES[name as StackServiceName].env!].sort());
  });

  it('name every secret variable the example config refers to, on every eksflow process', () => {
    const example = parse(readFileSync(join(REPO_ROOT, 'eksflow.example.yaml'), 'utf8')) as unknown;
    const named = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (/Env$/.test(k) && typeof x === 'string') named.add(x);
          walk(x);
        }
    };
    walk(example);
    expect(named.size).toBeGreaterThanOrEqual(4);
    for (const name of eksflowServices)
      for (const secret of named) expect(Object.keys(compose.services[name]!.environment ?? {})).toContain(secret);
  });

  it('set only variables eksflow reads (or names as secrets, or the AWS SDK reads)', () => {
    const known = new Set<string>([
      ...ENV_NAMES,
      'AWS_REGION',
      'EKSFLOW_SLACK_WEBHOOK_URL',
      'EKSFLOW_SLACK_WEBHOOK_URL_SECONDARY',
      'EKSFLOW_SLACK_WEBHOOK_URL_MANAGER',
      'PAGERDUTY_ROUTING_KEY',
      'PAGERDUTY_WEBHOOK_SECRET',
    ]);
    for (const v of [...EKSFLOW_SHARED_ENV, ...STACK_SERVICES.ingress.env!]) expect(known).toContain(v);
    for (const v of STACK_ONLY_ENV.filter((v) => v.startsWith('EKSFLOW_'))) expect(ENV_NAMES).toContain(v);
  });

  it('builds a process environment of exactly the declared variables, empty ones left unset', () => {
    const values = Object.fromEntries(EKSFLOW_SHARED_ENV.map((k) => [k, `v-${k}`]));
    values.PAGERDUTY_WEBHOOK_SECRET = '';
    const env = serviceEnvironment(
      'worker',
      { ...values, EKSFLOW_AWS_ENDPOINT: 'http://127.0.0.1:1', UNRELATED: 'x' },
      { PATH: '/bin', HOME: '/root', SECRET_OF_THE_PARENT: 'y' },
    );
    expect(env.TEMPORAL_ADDRESS).toBe('v-TEMPORAL_ADDRESS');
    expect(env.EKSFLOW_AWS_ENDPOINT).toBe('http://127.0.0.1:1');
    expect(env).not.toHaveProperty('PAGERDUTY_WEBHOOK_SECRET');
    expect(env).not.toHaveProperty('UNRELATED');
    expect(env).not.toHaveProperty('SECRET_OF_THE_PARENT');
    expect(() => serviceEnvironment('ingress', values, {})).toThrow(/EKSFLOW_INGRESS_PORT/);
  });
});
