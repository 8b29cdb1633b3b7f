import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { captureCli } from '../support/cli-capture';
import { motoEndpoint, testAwsFactory, uniqueName } from '../support/stack';

const CONFIG = `clusters:
  - name: prod
    accountId: "123456789012"
    region: ap-south-1
    nodegroups:
      - name: web
        instanceTypes: [m5.large]
        businessHours: { min: 1, desired: 2, max: 3 }
        offHours: { min: 1, desired: 1, max: 3 }
`;

/** `eksflow config push|pull|diff` against moto's Parameter Store, in-process. */
describe('eksflow config push|pull|diff (moto SSM)', () => {
  const envName = uniqueName('cfg');
  const name = `/eksflow/${envName}/config`;
  const dir = mkdtempSync(join(tmpdir(), 'eksflow-cfg-'));
  const file = join(dir, 'eksflow.yaml');
  const ssm = testAwsFactory().ssm({ accountId: '000000000000', region: 'us-east-1' });
  let cli: ReturnType<typeof captureCli>;

  beforeAll(() => {
    writeFileSync(file, CONFIG);
    cli = captureCli({
      EKSFLOW_CONFIG: file,
      EKSFLOW_ENV: envName,
      EKSFLOW_AWS_ENDPOINT: motoEndpoint(),
      EKSFLOW_AUDIT_LOG: join(dir, 'audit.jsonl'),
    });
  });
  afterAll(() => cli.restore());

  it('diff before anything is stored; push stores version 1 (SecureString) and records it; a second push changes nothing', async () => {
    expect(await cli.run('config', 'diff')).toBe(0);
    expect(cli.out).toBe(`${name}: nothing stored yet; \`eksflow config push\` would store ${file} as version 1\n`);
    expect(await cli.run('config', 'push')).toBe(0);
    expect(cli.out).toBe(
      `${name}: version 1 stored; workers in ssm mode apply it once the config watcher has validated it\n`,
    );
    const p = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter!;
    expect(p).toMatchObject({ Type: 'SecureString', Value: CONFIG, Version: 1 });
    expect(await cli.run('config', 'push')).toBe(0);
    expect(cli.out).toBe(`${name}: unchanged (version 1)\n`);
    const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'ssm:PutParameter',
        target: name,
        detail: expect.objectContaining({ version: 1, previous: null }),
      }),
    ]);
  });

  it('an invalid file is never pushed: the field is named and the parameter stays as it was', async () => {
    writeFileSync(file, CONFIG.replace('ap-south-1', 'mumbai'));
    expect(await cli.run('config', 'push')).toBe(2);
    expect(cli.err).toMatch(/clusters\[0\]\.region: an AWS region/);
    expect((await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter!.Version).toBe(1);
    writeFileSync(file, CONFIG);
  });

  it('diff shows local changes; push stores version 2; pull writes the stored text (and a given version)', async () => {
    writeFileSync(file, CONFIG.replace('desired: 2', 'desired: 3'));
    expect(await cli.run('config', 'diff')).toBe(0);
    expect(cli.out).toBe(
      `--- ${name}:1\n+++ ${file}\n       - name: web\n         instanceTypes: [m5.large]\n-        businessHours: { min: 1, desired: 2, max: 3 }\n+        businessHours: { min: 1, desired: 3, max: 3 }\n         offHours: { min: 1, desired: 1, max: 3 }\n`,
    );
    expect(await cli.run('config', 'push', '--type', 'String')).toBe(0);
    expect(cli.out).toMatch(/version 2 stored \(was 1\)/);
    const out = join(dir, 'pulled.yaml');
    expect(await cli.run('config', 'pull', '--out', out, '--param-version', '1')).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(CONFIG);
    expect(await cli.run('config', 'pull')).toBe(0);
    expect(cli.out).toContain('desired: 3');
    expect(await cli.run('config', 'diff')).toBe(0);
    expect(cli.out).toBe(`${name}:2 and ${file} are identical\n`);
  });

  it('pull of a stored config that is invalid warns and names the field', async () => {
    await ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: CONFIG.replace('m5.large', 'large'),
        Type: 'String',
        Overwrite: true,
      }),
    );
    expect(await cli.run('config', 'pull')).toBe(0);
    expect(cli.err).toMatch(
      /warning: .*:3 is invalid \(workers will not apply it\):\n\s+clusters\[0\]\.nodegroups\[0\]\.instanceTypes\[0\]: an EC2 instance type/,
    );
    expect(await cli.run('config', 'push', '--type', 'Plain')).toBe(2);
    expect(cli.err).toMatch(/--type must be String or SecureString/);
  });
});
