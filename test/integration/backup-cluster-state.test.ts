import { join } from 'node:path';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { CreateKeyCommand, DecryptCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities';
import { createClusterStateActivities, type BackupObjectVerification } from '../../activities/cluster-state';
import { kubeConfigFor } from '../../activities/gateways/kubernetes';
import type { AlertInput } from '../../src/domain/alerts/types';
import type { EncryptedKindDocument, ExportManifest } from '../../src/domain/backups/cluster-state';
import { istDate } from '../../src/domain/logs/plan';
import { buildIngressServer } from '../../src/ingress/server';
import { startSqsPoller } from '../../src/ingress/sqs-poller';
import type { BackupsResult } from '../../workflows/backups/backups';
import { eventually } from '../support/eventually';
import { KubeTestCluster } from '../support/kube-fixtures';
import {
  connectDevServer,
  startTestWorker,
  testActivityDeps,
  testAwsFactory,
  testConfig,
  uniqueName,
  type TestWorker,
} from '../support/stack';

const SECRETS_ROLE = join(__dirname, '..', '..', 'deploy', 'rbac', 'eksflow-backup-secrets.yaml');
/**
 * The nightly backup's cluster-state export against the real kube-apiserver (as the RBAC-bound
 * eksflow user) into moto's S3, Secrets encrypted with a data key from moto's KMS; and the S3
 * `Object Created` event, over the HTTP ingress and through an SQS queue in moto, starting the
 * verification that reads the object back (a corrupted object → an alert naming it).
 */
describe('cluster-state export and backup-object verification', () => {
  const aws = testAwsFactory();
  const accountId = String(700_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
  const region = 'us-east-1';
  const target = { accountId, region };
  const bucket = `eksflow-backups-${accountId}-${region}`;
  const name = uniqueName('it-cstate').toLowerCase();
  const tokenEnv = `EKSFLOW_TEST_KUBE_TOKEN_${Math.floor(Math.random() * 1e9)}`;
  const taskQueue = uniqueName('it-cstate');
  const token = 'it-cstate-token-0123456789';
  const crdGroup = `${name.replace(/[^a-z0-9]/g, '')}.it.eksflow.io`;
  const crdName = `widgets.${crdGroup}`;
  const secretValue = 'hunter2-do-not-leak';
  const alerts: AlertInput[] = [];
  let kube: KubeTestCluster;
  let apiext: k8s.ApiextensionsV1Api;
  let ns: string;
  let kmsKeyId: string;
  let stack: Awaited<ReturnType<typeof connectDevServer>>;
  let worker: TestWorker;
  let app: FastifyInstance;
  let baseUrl: string;
  let poller: ReturnType<typeof startSqsPoller>;
  let queueUrl: string;
  let config: ReturnType<typeof testConfig>;
  const s3 = aws.s3(target);

  const clusterOf = (clusterName: string, clusterState: Record<string, unknown>) => ({
    name: clusterName,
    accountId,
    region,
    kubernetes: kube.kubernetesConfig(tokenEnv),
    nodegroups: [
      {
        name: 'general',
        instanceTypes: ['m5.large'],
        businessHours: { min: 1, desired: 1, max: 2 },
        offHours: { min: 1, desired: 1, max: 2 },
      },
    ],
    ...clusterState,
  });

  beforeAll(async () => {
    kube = new KubeTestCluster();
    // Secrets are exported here: the opt-in role, removed again in afterAll (the API server is shared).
    await kube.apply(SECRETS_ROLE);
    const admin = kubeConfigFor('test', kube.endpoints.url, kube.endpoints.adminToken, {
      caFile: kube.endpoints.caFile,
    });
    apiext = admin.makeApiClient(k8s.ApiextensionsV1Api);
    ns = await kube.namespace(`${name}-apps`);
    await kube.apps.createNamespacedDeployment(ns, {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    });
    await kube.core.createNamespacedService(ns, {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await kube.core.createNamespacedConfigMap(ns, { metadata: { name: 'web-settings' }, data: { mode: 'night' } });
    await kube.core.createNamespacedSecret(ns, {
      metadata: { name: 'web-db' },
      stringData: { password: secretValue },
    });
    await apiext.createCustomResourceDefinition({
      metadata: { name: crdName },
      spec: {
        group: crdGroup,
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
          },
        ],
      },
    });
    kmsKeyId = (await aws.kms(target).send(new CreateKeyCommand({ Description: 'eksflow it backups' }))).KeyMetadata!
      .KeyId!;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    config = testConfig({
      clusters: [clusterOf(name, {})],
      backups: { clusterState: { namespaces: [ns], includeSecrets: true, kmsKeyId } },
    });
    stack = await connectDevServer();
    worker = await startTestWorker({
      connection: stack.nativeConnection,
      client: stack.client,
      taskQueue,
      config,
      aws,
      extra: (deps) => ({
        activities: {
          ...createActivities(deps),
          raiseAlert: async (a: AlertInput) => {
            alerts.push(a);
            return { workflowId: `alert/${a.dedupKey}` };
          },
        },
      }),
    });
    app = buildIngressServer({ client: stack.client, taskQueue, token, config });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const sqs = aws.sqs(target);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('it-cstate-events') }))).QueueUrl!;
    poller = startSqsPoller({ sqs, queueUrl, client: stack.client, taskQueue, waitTimeSeconds: 1 });
  }, 120_000);

  afterAll(async () => {
    await poller?.stop();
    await app?.close();
    await worker?.stop();
    await stack?.close();
    await apiext?.deleteCustomResourceDefinition(crdName).catch(() => undefined);
    await kube?.unapply(SECRETS_ROLE);
    await kube?.cleanup();
  });

  const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
  const getObject = async (key: string) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await out.Body!.transformToString(), metadata: out.Metadata ?? {} };
  };
  const objectCreated = (key: string, id: string) => ({
    version: '0',
    id,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: accountId,
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 1, etag: id.replace(/-/g, ''), sequencer: id.replace(/-/g, '').toUpperCase() },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: accountId,
      'source-ip-address': '10.0.0.1',
      reason: 'PutObject',
    },
  });
  /** The verification the event started (the SQS poller starts it a moment after the send). */
  const verificationOf = async (key: string, id: string) => {
    const handle = stack.client.workflow.getHandle(
      `backup-verify/${bucket}/${key}@${id.replace(/-/g, '').toUpperCase()}`,
    );
    await eventually(
      () =>
        handle.describe().then(
          () => true,
          () => false,
        ),
      (started) => started,
      `the verification of ${key}`,
    );
    return (await handle.result()) as BackupObjectVerification;
  };
  const post = (event: object) =>
    fetch(`${baseUrl}/events/eventbridge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(event),
    });

  let prefix = '';

  it('exports the selected kinds of the namespace and the CRDs as JSON with checksums; Secrets only encrypted', async () => {
    const workflowId = `backups/it/${name}`;
    const result = (await stack.client.workflow.execute('backups', {
      taskQueue,
      workflowId,
      args: [{ restoreDrill: 'never' }],
    })) as BackupsResult;
    expect(result.failures).toEqual([]);
    const cs = result.clusters[0]!.clusterState!;
    expect('error' in cs).toBe(false);
    if ('error' in cs) return;
    prefix = `cluster-state/${name}/${istDate(Date.parse(result.takenAt))}/`;
    expect(cs).toMatchObject({ bucket, prefix });
    expect(cs.objects.map((o) => [o.resource, o.items, o.encrypted])).toEqual([
      ['Deployment', 1, false],
      ['StatefulSet', 0, false],
      ['Service', 1, false],
      ['ConfigMap', expect.any(Number), false],
      ['CustomResourceDefinition', expect.any(Number), false],
      ['Secret', 1, true],
    ]);

    for (const o of cs.objects) {
      const { body, metadata } = await getObject(o.key);
      expect(metadata.sha256).toBe(sha256(body));
      expect(o.sha256).toBe(sha256(body));
      expect(body).not.toContain(secretValue);
      expect(body).not.toContain(Buffer.from(secretValue).toString('base64'));
    }
    const deployments = JSON.parse((await getObject(`${prefix}deployments.json`)).body) as {
      items: { kind: string; metadata: { name: string; namespace: string; managedFields?: unknown } }[];
    };
    expect(deployments.items.map((d) => [d.kind, d.metadata.namespace, d.metadata.name])).toEqual([
      ['Deployment', ns, 'web'],
    ]);
    expect(deployments.items[0]!.metadata.managedFields).toBeUndefined();
    const configMaps = JSON.parse((await getObject(`${prefix}configmaps.json`)).body) as {
      items: { metadata: { name: string }; data?: Record<string, string> }[];
    };
    expect(configMaps.items.find((c) => c.metadata.name === 'web-settings')?.data).toEqual({ mode: 'night' });
    const crds = JSON.parse((await getObject(`${prefix}customresourcedefinitions.json`)).body) as {
      items: { metadata: { name: string } }[];
    };
    expect(crds.items.map((c) => c.metadata.name)).toContain(crdName);

    // The Secret export opens only with KMS: decrypt the data key, then the document.
    const enc = JSON.parse((await getObject(`${prefix}secrets.json`)).body) as EncryptedKindDocument;
    expect(enc).toMatchObject({ kind: 'EncryptedClusterStateExport', resource: 'Secret', kmsKeyId });
    const dataKey = (
      await aws.kms(target).send(new DecryptCommand({ CiphertextBlob: Buffer.from(enc.encryptedDataKey, 'base64') }))
    ).Plaintext!;
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(dataKey), Buffer.from(enc.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(enc.authTag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(enc.ciphertext, 'base64')), decipher.final()]).toString();
    const secrets = JSON.parse(plain) as { items: { metadata: { name: string }; data: Record<string, string> }[] };
    expect(secrets.items.map((s) => s.metadata.name)).toEqual(['web-db']);
    expect(Buffer.from(secrets.items[0]!.data.password!, 'base64').toString()).toBe(secretValue);

    const manifest = JSON.parse((await getObject(`${prefix}manifest.json`)).body) as ExportManifest;
    expect(manifest.objects).toEqual(cs.objects);
    const audit = readFileSync(worker.deps.audit.path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; target: string });
    expect(
      audit.filter((a) => a.action === 's3:PutObject' && a.target.startsWith(`s3://${bucket}/${prefix}`)),
    ).toHaveLength(7);
  }, 120_000);

  it('never lists Secrets unless includeSecrets; a dry run writes nothing', async () => {
    const other = `${name}-nosecrets`;
    const deps = testActivityDeps({
      config: testConfig({ clusters: [clusterOf(other, {})], backups: { clusterState: { namespaces: [ns] } } }),
      client: stack.client,
      taskQueue,
      aws,
    });
    const acts = createClusterStateActivities(deps);
    const takenAt = new Date().toISOString();
    const dry = await acts.exportClusterState({
      clusterKey: `${accountId}/${region}/${other}`,
      runKey: 'it-dry',
      takenAt,
      dryRun: true,
    });
    expect(dry.objects.map((o) => o.resource)).not.toContain('Secret');
    await expect(getObject(`${dry.prefix}manifest.json`)).rejects.toThrow();
    const real = await acts.exportClusterState({
      clusterKey: `${accountId}/${region}/${other}`,
      runKey: 'it',
      takenAt,
    });
    expect(real.objects.map((o) => o.resource)).toEqual([
      'Deployment',
      'StatefulSet',
      'Service',
      'ConfigMap',
      'CustomResourceDefinition',
    ]);
    await expect(getObject(`${real.prefix}secrets.json`)).rejects.toThrow();
  }, 60_000);

  it('an Object Created event over HTTP verifies the object; a corrupted object raises an alert', async () => {
    expect(prefix).not.toBe('');
    const okId = `ok-${Math.floor(Math.random() * 1e9)}`;
    expect((await post(objectCreated(`${prefix}deployments.json`, okId))).status).toBe(202);
    expect(await verificationOf(`${prefix}deployments.json`, okId)).toMatchObject({
      status: 'ok',
      kind: 'ClusterStateExport',
      items: 1,
    });

    // Bit rot: the body changes, the recorded checksum does not.
    const key = `${prefix}configmaps.json`;
    const { body, metadata } = await getObject(key);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body.replace('night', 'NIGHT'), Metadata: metadata }),
    );
    const badId = `bad-${Math.floor(Math.random() * 1e9)}`;
    expect((await post(objectCreated(key, badId))).status).toBe(202);
    expect(await verificationOf(key, badId)).toMatchObject({ status: 'corrupt', problem: 'checksum-mismatch' });
    expect(alerts.filter((a) => a.dedupKey === `backup-corrupt/${bucket}/${key}`)).toEqual([
      expect.objectContaining({ type: 'backup_corrupt', severity: 'critical', summary: expect.stringContaining(key) }),
    ]);
    // A redelivered event starts nothing new.
    expect((await post(objectCreated(key, badId))).status).toBe(202);
    expect(alerts.filter((a) => a.dedupKey === `backup-corrupt/${bucket}/${key}`)).toHaveLength(1);
  }, 60_000);

  it('the same events through the SQS queue: intact → ok, unparseable with a matching checksum → alert', async () => {
    const okId = `sqs-ok-${Math.floor(Math.random() * 1e9)}`;
    const sqs = aws.sqs(target);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(objectCreated(`${prefix}services.json`, okId)),
      }),
    );
    expect(await verificationOf(`${prefix}services.json`, okId)).toMatchObject({ status: 'ok', items: 1 });

    // Truncated on write, its checksum recorded over the truncated bytes: the checksum holds, the parse fails.
    const key = `${prefix}truncated.json`;
    const truncated = '{"apiVersion":"eksflow.io/v1","kind":"ClusterStateExport","items":[{"kind":"Dep';
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: truncated, Metadata: { sha256: sha256(truncated) } }),
    );
    const badId = `sqs-bad-${Math.floor(Math.random() * 1e9)}`;
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(objectCreated(key, badId)) }),
    );
    expect(await verificationOf(key, badId)).toMatchObject({ status: 'corrupt', problem: 'not-json' });
    await eventually(
      () => alerts.map((a) => a.dedupKey),
      (keys) => keys.includes(`backup-corrupt/${bucket}/${key}`),
      'the backup_corrupt alert',
    );

    // An object outside the export prefix is not eksflow's: ignored, no alert.
    const otherId = `sqs-other-${Math.floor(Math.random() * 1e9)}`;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(objectCreated('notes/readme.txt', otherId)),
      }),
    );
    expect(await verificationOf('notes/readme.txt', otherId)).toMatchObject({ status: 'ignored' });
  }, 60_000);
});
