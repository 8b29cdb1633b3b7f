/**
 * The cluster-state export's file format and checks, pure: object keys, the document each kind
 * becomes, its checksum, and the verification an `Object Created` event triggers.
 */

export const EXPORT_API_VERSION = 'eksflow.io/v1';
/** Object metadata key (x-amz-meta-sha256) holding the hex SHA-256 of the stored body. */
export const CHECKSUM_METADATA = 'sha256';
export const MANIFEST_NAME = 'manifest.json';

export interface ExportedKindDocument {
  apiVersion: typeof EXPORT_API_VERSION;
  kind: 'ClusterStateExport';
  cluster: string;
  resource: string;
  exportedAt: string;
  items: unknown[];
}

/** A Secret export: the document above, AES-256-GCM encrypted with a KMS data key. */
export interface EncryptedKindDocument {
  apiVersion: typeof EXPORT_API_VERSION;
  kind: 'EncryptedClusterStateExport';
  cluster: string;
  resource: string;
  exportedAt: string;
  kmsKeyId: string;
  /** The data key as KMS returned it encrypted (base64): only KMS Decrypt turns it back. */
  encryptedDataKey: string;
  iv: string;
  authTag: string;
  ciphertext: string;
}

export interface ExportManifest {
  apiVersion: typeof EXPORT_API_VERSION;
  kind: 'ClusterStateManifest';
  cluster: string;
  date: string;
  exportedAt: string;
  runKey: string;
  objects: { key: string; resource: string; items: number; sha256: string; bytes: number; encrypted: boolean }[];
}

/** `<prefix>/<cluster>/<date>/`: one folder per cluster and (IST) day. */
export function clusterStatePrefix(prefix: string, cluster: string, date: string): string {
  return `${prefix}/${cluster}/${date}/`;
}

/** A listed object as it is exported: without the server's bookkeeping (managedFields), with its kind. */
export function exportableObject(obj: unknown, apiVersion: string, kind: string): Record<string, unknown> {
  const o = { ...(obj as Record<string, unknown>) };
  const meta = { ...((o.metadata as Record<string, unknown> | undefined) ?? {}) };
  delete meta.managedFields;
  return { ...o, apiVersion, kind, metadata: meta };
}

export type ObjectCheck =
  | { ok: true; kind: string; items?: number }
  | { ok: false; problem: 'checksum-missing' | 'checksum-mismatch' | 'not-json' | 'not-an-export'; detail: string };

/**
 * Whether a stored export object is intact: its body hashes to the SHA-256 recorded with it (and
 * in the manifest, when the manifest lists it) and parses as one of eksflow's export documents.
 */
export function checkExportObject(input: {
  body: string;
  /** The body's SHA-256 as computed by the reader. */
  actualSha256: string;
  /** The object's metadata checksum. */
  recordedSha256?: string;
  /** The manifest's checksum of this key, when a manifest lists it. */
  manifestSha256?: string;
}): ObjectCheck {
  if (!input.recordedSha256)
    return { ok: false, problem: 'checksum-missing', detail: `no ${CHECKSUM_METADATA} metadata on the object` };
  if (input.recordedSha256 !== input.actualSha256)
    return {
      ok: false,
      problem: 'checksum-mismatch',
      detail: `body SHA-256 ${input.actualSha256} ≠ recorded ${input.recordedSha256}`,
    };
  if (input.manifestSha256 && input.manifestSha256 !== input.actualSha256)
    return {
      ok: false,
      problem: 'checksum-mismatch',
      detail: `body SHA-256 ${input.actualSha256} ≠ manifest ${input.manifestSha256}`,
    };
  let doc: unknown;
  try {
    doc = JSON.parse(input.body);
  } catch (err) {
    return { ok: false, problem: 'not-json', detail: (err as Error).message };
  }
  const d = doc as { apiVersion?: unknown; kind?: unknown; items?: unknown; objects?: unknown };
  if (d?.apiVersion !== EXPORT_API_VERSION || typeof d.kind !== 'string')
    return {
      ok: false,
      problem: 'not-an-export',
      detail: `apiVersion ${String(d?.apiVersion)}, kind ${String(d?.kind)}`,
    };
  if (d.kind === 'ClusterStateExport' && Array.isArray(d.items))
    return { ok: true, kind: d.kind, items: d.items.length };
  if (d.kind === 'ClusterStateManifest' && Array.isArray(d.objects))
    return { ok: true, kind: d.kind, items: d.objects.length };
  if (d.kind === 'EncryptedClusterStateExport') {
    const e = d as Partial<EncryptedKindDocument>;
    if (e.encryptedDataKey && e.iv && e.authTag && typeof e.ciphertext === 'string') return { ok: true, kind: d.kind };
  }
  return { ok: false, problem: 'not-an-export', detail: `kind ${d.kind} without its fields` };
}

/** The manifest key of the folder an export object is in. */
export function manifestKeyOf(key: string): string {
  return `${key.slice(0, key.lastIndexOf('/') + 1)}${MANIFEST_NAME}`;
}
