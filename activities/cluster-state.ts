import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ActivityDeps } from './deps';
import { heartbeatIfActivity, recordMutation, withLivenessHeartbeat } from './audit';
import { kubernetesGateways } from './kubernetes';
import type { KubernetesGateway } from './gateways/kubernetes';
import { kmsGateway } from './gateways/kms';
import { s3Gateway } from './gateways/s3';
import { parseInput } from './input';
import { NotFoundError } from '../src/errors';
import type { AwsTarget, ClusterConfig } from '../src/config/clusters';
import type { ClusterStateKind } from '../src/config/backups';
import { clusterKeyOf } from '../src/domain/scaling/types';
import { expandTemplate, istDate } from '../src/domain/logs/plan';
import {
  CHECKSUM_METADATA,
  EXPORT_API_VERSION,
  checkExportObject,
  clusterStatePrefix,
  exportableObject,
  manifestKeyOf,
  type EncryptedKindDocument,
  type ExportManifest,
  type ExportedKindDocument,
  type ObjectCheck,
} from '../src/domain/backups/cluster-state';

export interface ClusterStateExportResult {
  cluster: string;
  /** Why nothing was exported (no Kubernetes access, export disabled). */
  skipped?: string;
  bucket?: string;
  prefix?: string;
  objects: ExportManifest['objects'];
  dryRun: boolean;
}

export type BackupObjectVerification = {
  bucket: string;
  key: string;
  /** ok: intact; corrupt: see `problem`; missing: gone before it was read; ignored: not an eksflow export. */
  status: 'ok' | 'corrupt' | 'missing' | 'ignored';
  sha256?: string;
  etag?: string;
} & Partial<Extract<ObjectCheck, { ok: true }>> & { problem?: string; detail?: string };

const sha256 = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex');

/** How each kind is listed, and the apiVersion its items carry. */
const LISTERS: Record<
  ClusterStateKind | 'Secret',
  { apiVersion: string; list: (k: KubernetesGateway, ns?: string) => Promise<unknown[]>; namespaced: boolean }
> = {
  Deployment: { apiVersion: 'apps/v1', list: (k, ns) => k.listDeployments(ns), namespaced: true },
  StatefulSet: { apiVersion: 'apps/v1', list: (k, ns) => k.listStatefulSets(ns), namespaced: true },
  Service: { apiVersion: 'v1', list: (k, ns) => k.listServices(ns), namespaced: true },
  ConfigMap: { apiVersion: 'v1', list: (k, ns) => k.listConfigMaps(ns), namespaced: true },
  Secret: { apiVersion: 'v1', list: (k, ns) => k.listSecrets(ns), namespaced: true },
  CustomResourceDefinition: {
    apiVersion: 'apiextensions.k8s.io/v1',
    list: (k) => k.listCustomResourceDefinitions(),
    namespaced: false,
  },
};

const targetOf = (c: ClusterConfig): AwsTarget => ({
  accountId: c.accountId,
  region: c.region,
  ...(c.roleArn ? { roleArn: c.roleArn } : {}),
});

/**
 * The backup's cluster-state export (one JSON document per kind, a manifest with every object's
 * SHA-256) and the verification of a stored export object (what an S3 `Object Created` event starts).
 */
export function createClusterStateActivities(deps: ActivityDeps) {
  const cfg = () => deps.config.backups.clusterState;

  async function exportClusterState(input: {
    clusterKey: string;
    runKey: string;
    takenAt: string;
    dryRun?: boolean;
  }): Promise<ClusterStateExportResult> {
    const i = parseInput(
      z
        .object({
          clusterKey: z.string().min(1),
          runKey: z.string().min(1).max(200),
          takenAt: z.iso.datetime({ offset: true }),
          dryRun: z.boolean().optional(),
        })
        .strict(),
      input,
      'exportClusterState',
    );
    const dryRun = i.dryRun ?? false;
    const c = deps.config.clusters.find((x) => clusterKeyOf(x) === i.clusterKey);
    if (!c) throw new NotFoundError(`no configured cluster ${i.clusterKey}`);
    const conf = cfg();
    const none = (skipped: string): ClusterStateExportResult => ({
      cluster: i.clusterKey,
      skipped,
      objects: [],
      dryRun,
    });
    if (!conf.enabled) return none('backups.clusterState.enabled is false');
    if (!c.kubernetes) return none('no Kubernetes access configured');
    const k = await kubernetesGateways(deps).forCluster(c);
    const bucket = expandTemplate(conf.bucket, { accountId: c.accountId, region: c.region });
    const date = istDate(Date.parse(i.takenAt));
    const prefix = clusterStatePrefix(conf.prefix, c.name, date);
    const s3 = s3Gateway(deps.aws, targetOf(c));
    if (!dryRun && !(await s3.bucketExists(bucket)))
      throw new NotFoundError(`cluster-state bucket ${bucket} does not exist (backups.clusterState.bucket)`);
    const exportedAt = deps.now().toISOString();
    const kinds: (ClusterStateKind | 'Secret')[] = [...conf.kinds, ...(conf.includeSecrets ? ['Secret' as const] : [])];
    const objects: ExportManifest['objects'] = [];

    for (const kind of kinds) {
      heartbeatIfActivity(kind);
      const l = LISTERS[kind];
      const raw =
        l.namespaced && conf.namespaces
          ? (await Promise.all(conf.namespaces.map((ns) => l.list(k, ns)))).flat()
          : await l.list(k);
      const items = raw.map((o) => exportableObject(o, l.apiVersion, kind));
      const doc: ExportedKindDocument = {
        apiVersion: EXPORT_API_VERSION,
        kind: 'ClusterStateExport',
        cluster: c.name,
        resource: kind,
        exportedAt,
        items,
      };
      let body = JSON.stringify(doc);
      const encrypted = kind === 'Secret';
      if (encrypted) body = JSON.stringify(await encrypt(c, conf.kmsKeyId!, doc, body));
      const key = `${prefix}${kind.toLowerCase()}s.json`;
      const entry = {
        key,
        resource: kind,
        items: items.length,
        sha256: sha256(body),
        bytes: Buffer.byteLength(body),
        encrypted,
      };
      objects.push(entry);
      if (dryRun) continue;
      await s3.put(bucket, key, body, 'application/json', { [CHECKSUM_METADATA]: entry.sha256 });
      recordMutation(deps.audit, 's3:PutObject', `s3://${bucket}/${key}`, {
        cluster: i.clusterKey,
        resource: kind,
        items: items.length,
        sha256: entry.sha256,
        encrypted,
        runKey: i.runKey,
      });
    }
    const manifest: ExportManifest = {
      apiVersion: EXPORT_API_VERSION,
      kind: 'ClusterStateManifest',
      cluster: c.name,
      date,
      exportedAt,
      runKey: i.runKey,
      objects,
    };
    if (!dryRun) {
      const body = JSON.stringify(manifest, null, 1);
      const key = manifestKeyOf(`${prefix}x`);
      await s3.put(bucket, key, body, 'application/json', { [CHECKSUM_METADATA]: sha256(body) });
      recordMutation(deps.audit, 's3:PutObject', `s3://${bucket}/${key}`, {
        cluster: i.clusterKey,
        objects: objects.length,
        runKey: i.runKey,
      });
    }
    return { cluster: i.clusterKey, bucket, prefix, objects, dryRun };
  }

  /** Envelope encryption: AES-256-GCM under a fresh KMS data key, stored with the key's encrypted copy. */
  async function encrypt(
    c: ClusterConfig,
    keyId: string,
    doc: ExportedKindDocument,
    plaintext: string,
  ): Promise<EncryptedKindDocument> {
    const dk = await kmsGateway(deps.aws, targetOf(c)).dataKey(keyId);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(dk.plaintext), iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    dk.plaintext.fill(0);
    return {
      apiVersion: EXPORT_API_VERSION,
      kind: 'EncryptedClusterStateExport',
      cluster: doc.cluster,
      resource: doc.resource,
      exportedAt: doc.exportedAt,
      kmsKeyId: keyId,
      encryptedDataKey: Buffer.from(dk.encrypted).toString('base64'),
      iv: iv.toString('base64'),
      authTag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  /**
   * Reads an export object back: intact when its body hashes to the SHA-256 recorded with it (and
   * in its folder's manifest) and parses as an eksflow export. Objects outside the configured
   * prefix are `ignored` (the bucket may hold other things).
   */
  async function verifyBackupObject(input: {
    bucket: string;
    key: string;
    accountId: string;
    region: string;
  }): Promise<BackupObjectVerification> {
    const i = parseInput(
      z
        .object({
          bucket: z.string().min(3).max(63),
          key: z.string().min(1).max(1024),
          accountId: z.string().regex(/^\d{12}$/),
          region: z.string().min(1),
        })
        .strict(),
      input,
      'verifyBackupObject',
    );
    const base = { bucket: i.bucket, key: i.key };
    if (!i.key.startsWith(`${cfg().prefix}/`))
      return { ...base, status: 'ignored', detail: 'outside the export prefix' };
    const cluster = deps.config.clusters.find((c) => c.accountId === i.accountId && c.region === i.region);
    const target: AwsTarget = cluster ? targetOf(cluster) : { accountId: i.accountId, region: i.region };
    const s3 = s3Gateway(deps.aws, target);
    const obj = await s3.read(i.bucket, i.key);
    if (!obj) return { ...base, status: 'missing' };
    const actual = sha256(obj.body);
    let manifestSha256: string | undefined;
    const manifestKey = manifestKeyOf(i.key);
    if (manifestKey !== i.key) {
      const m = await s3.read(i.bucket, manifestKey);
      try {
        const parsed = m ? (JSON.parse(m.body) as ExportManifest) : undefined;
        manifestSha256 = parsed?.objects?.find((o) => o.key === i.key)?.sha256;
      } catch {
        // A broken manifest is reported when its own event is verified.
      }
    }
    const check = checkExportObject({
      body: obj.body,
      actualSha256: actual,
      recordedSha256: obj.metadata[CHECKSUM_METADATA],
      manifestSha256,
    });
    const found = { ...base, sha256: actual, ...(obj.etag ? { etag: obj.etag } : {}) };
    return check.ok
      ? { ...found, status: 'ok', kind: check.kind, ...(check.items !== undefined ? { items: check.items } : {}) }
      : { ...found, status: 'corrupt', problem: check.problem, detail: check.detail };
  }

  return {
    exportClusterState: (a: Parameters<typeof exportClusterState>[0]) =>
      withLivenessHeartbeat(() => exportClusterState(a)),
    verifyBackupObject,
  };
}
