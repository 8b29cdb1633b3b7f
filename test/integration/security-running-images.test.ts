import { CreateRepositoryCommand, PutImageCommand, StartImageScanCommand } from '@aws-sdk/client-ecr';
import { createSecurityActivities } from '../../activities/security';
import { reconcileNodegroupAsgs } from '../../src/sandbox/nodegroup-asg-reconciler';
import { seedCluster } from '../../src/sandbox/seed';
import { KubeTestCluster } from '../support/kube-fixtures';
import { testActivityDeps, testAwsFactory, testConfig, uniqueName } from '../support/stack';

/**
 * ECR scan findings of the images actually running: the scan lists the pods through the real
 * kube-apiserver (as the RBAC-bound eksflow user), keeps the ECR references, unions them with
 * `security.ecrImages` and reads each image's scan findings from moto's ECR.
 */
describe('security scan: ECR findings of the running images', () => {
  const aws = testAwsFactory();
  const account = String(600_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
  const region = 'ap-south-1';
  const name = uniqueName('secimg').toLowerCase();
  const tokenEnv = `EKSFLOW_TEST_KUBE_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  const host = `${account}.dkr.ecr.${region}.amazonaws.com`;
  // Assuming a role in the account puts moto's calls in that account (where the registry lives).
  const roleArn = `arn:aws:iam::${account}:role/eksflow-automation`;
  const repos = { api: `${name}/api`, job: `${name}/job`, cfg: `${name}/cfg`, idle: `${name}/idle` };
  let kube: KubeTestCluster;
  let ns: string;
  let jobDigest: string;

  const configFor = (withKube: boolean) =>
    testConfig({
      clusters: [
        {
          name,
          accountId: account,
          region,
          roleArn,
          ...(withKube ? { kubernetes: kube.kubernetesConfig(tokenEnv) } : {}),
          nodegroups: [
            {
              name: 'web',
              instanceTypes: ['m5.large'],
              businessHours: { min: 1, desired: 1, max: 2 },
              offHours: { min: 1, desired: 1, max: 2 },
            },
          ],
        },
      ],
      security: { sources: { inspector2: false, securityHub: false, ecr: true }, ecrImages: [`${repos.cfg}:1.0`] },
    });
  const scan = async (withKube: boolean) => {
    const config = configFor(withKube);
    const deps = testActivityDeps({ config, client: undefined as never, taskQueue: 'unused' });
    return createSecurityActivities(deps).scanClusterSecurity({ accountId: account, region, roleArn, cluster: name });
  };

  const push = async (repository: string, tag: string, seed: string): Promise<string> => {
    const ecr = aws.ecr({ accountId: account, region, roleArn });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: repository }));
    const out = await ecr.send(
      new PutImageCommand({
        repositoryName: repository,
        imageTag: tag,
        imageManifest: JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: {
            digest: `sha256:${seed.repeat(64)}`,
            size: 1,
            mediaType: 'application/vnd.docker.container.image.v1+json',
          },
          layers: [],
        }),
      }),
    );
    await ecr.send(new StartImageScanCommand({ repositoryName: repository, imageId: { imageTag: tag } }));
    return out.image!.imageId!.imageDigest!;
  };

  beforeAll(async () => {
    kube = new KubeTestCluster();
    const cluster = configFor(false).clusters[0]!;
    await seedCluster(aws, cluster);
    await reconcileNodegroupAsgs(aws, [cluster]);
    await push(repos.api, '2.1', 'a');
    jobDigest = await push(repos.job, '7', 'b');
    await push(repos.cfg, '1.0', 'c');
    await push(repos.idle, '9', 'd'); // in ECR but running nowhere: never looked up
    ns = await kube.namespace(`${name}-apps`);
    const pod = (podName: string, image: string, init?: string) =>
      kube.core.createNamespacedPod(ns, {
        metadata: { name: podName },
        spec: {
          containers: [{ name: 'main', image }],
          ...(init ? { initContainers: [{ name: 'init', image: init }] } : {}),
        },
      });
    await pod('api-1', `${host}/${repos.api}:2.1`, `${host}/${repos.job}:7@${jobDigest}`);
    await pod('api-2', `${host}/${repos.api}:2.1`);
    await pod('sidecar', 'nginx:1.27');
    await pod('ghost', `${host}/${name}/missing:1`); // running, but no such repository in ECR
  });

  afterAll(async () => {
    await kube?.cleanup();
  });

  const ecrResources = (r: Awaited<ReturnType<typeof scan>>) =>
    [...new Set(r.findings.filter((f) => f.source === 'ecr').map((f) => f.resource.split('@')[0]!))].sort();

  it('without Kubernetes access only the configured images are read', async () => {
    const r = await scan(false);
    expect(ecrResources(r)).toEqual([repos.cfg]);
    expect(r.problems.filter((p) => p.startsWith('ecr'))).toEqual([]);
  });

  it('with Kubernetes access the running ECR images (containers and init containers, once each) are added', async () => {
    const r = await scan(true);
    expect(ecrResources(r)).toEqual([repos.api, repos.cfg, repos.job].sort());
    // One image → one finding per CVE (moto reports one fixed fake CVE), even though two pods run it.
    expect(r.findings.filter((f) => f.source === 'ecr' && f.resource.startsWith(`${repos.api}@`))).toHaveLength(1);
    // The init container's digest reference is read by digest.
    expect(r.findings.find((f) => f.source === 'ecr' && f.resource.startsWith(`${repos.job}@`))!.resource).toBe(
      `${repos.job}@${jobDigest}`,
    );
    expect(r.problems.filter((p) => p.includes(name))).toEqual([
      `ecr: no scan results for ${host}/${name}/missing:1 in ${account}/${region}`,
    ]);
  });
});
