import type { AddressInfo } from 'node:net';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { sha256Hex } from '../../src/api/auth';
import { currentSizesFrom, tokensFromSecret } from '../../src/api/aws-reads';
import { buildIngressServer } from '../../src/ingress/server';
import { seedCluster } from '../../src/sandbox/seed';
import { scalingCluster } from '../support/scaling-fixtures';
import { connectDevServer, testAwsFactory, testConfig, uniqueName } from '../support/stack';

/** API tokens kept in Secrets Manager (moto) and the status page's current sizes, read through the gateways. */
describe('operator API reads from AWS (moto)', () => {
  const aws = testAwsFactory();
  const target = { accountId: '123456789012', region: 'ap-south-1' };

  test('tokens from a Secrets Manager secret authenticate with their role; a malformed secret is refused', async () => {
    const id = uniqueName('eksflow-api-tokens');
    const token = 'secret-kept-token-0123456789abcdef';
    await aws.secretsManager(target).send(
      new CreateSecretCommand({
        Name: id,
        SecretString: JSON.stringify([{ name: 'portal', role: 'viewer', sha256: sha256Hex(token) }]),
      }),
    );
    const tokens = await tokensFromSecret(aws, target, id);
    expect(tokens).toEqual([{ name: 'portal', role: 'viewer', sha256: sha256Hex(token) }]);

    const bad = uniqueName('eksflow-api-tokens-bad');
    await aws
      .secretsManager(target)
      .send(new CreateSecretCommand({ Name: bad, SecretString: '[{"name":"x","role":"root","sha256":"plain"}]' }));
    await expect(tokensFromSecret(aws, target, bad)).rejects.toThrow(/role|sha256/);

    const stack = await connectDevServer();
    const config = testConfig({ clusters: [scalingCluster('it-api-secret')] });
    const app = buildIngressServer({
      client: stack.client,
      taskQueue: uniqueName('it-api-secret'),
      token: 'secret-ingress-token-0123456789',
      config,
      api: { reportsDir: '/nonexistent', temporalUiUrl: 'http://localhost:8233', extraTokens: tokens },
    });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const get = await fetch(`${base}/api/v1/config`, { headers: { authorization: `Bearer ${token}` } });
      expect(get.status).toBe(200);
      const post = await fetch(`${base}/api/v1/schedules/apply`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(post.status).toBe(403);
    } finally {
      await app.close();
      await stack.close();
    }
  });

  test('current node group sizes come from EKS and the Auto Scaling group', async () => {
    const cluster = testConfig({ clusters: [scalingCluster('it-api-sizes')] }).clusters[0]!;
    await seedCluster(aws, cluster);
    const sizes = await currentSizesFrom(aws, [cluster])(cluster);
    expect(Object.keys(sizes).sort()).toEqual(['batch', 'general', 'workers']);
    for (const s of Object.values(sizes))
      expect(s).toEqual({ min: expect.any(Number), desired: expect.any(Number), max: expect.any(Number) });
  });
});
