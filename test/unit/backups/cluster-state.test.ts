import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backupsSchema } from '../../../src/config/backups';
import {
  checkExportObject,
  clusterStatePrefix,
  exportableObject,
  manifestKeyOf,
} from '../../../src/domain/backups/cluster-state';
import { actionsFor } from '../../../src/domain/events/actions';
import { parseEventBridgeEvent } from '../../../src/domain/events/eventbridge';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const doc = JSON.stringify({ apiVersion: 'eksflow.io/v1', kind: 'ClusterStateExport', items: [{}, {}] });

describe('cluster-state export format', () => {
  it('keys live under <prefix>/<cluster>/<date>/ with the manifest beside them', () => {
    const p = clusterStatePrefix('cluster-state', 'payments', '2026-12-01');
    expect(p).toBe('cluster-state/payments/2026-12-01/');
    expect(manifestKeyOf(`${p}deployments.json`)).toBe(`${p}manifest.json`);
  });

  it('drops managedFields and names the kind, even where the listed model carries kind: undefined', () => {
    const o = exportableObject(
      { kind: undefined, metadata: { name: 'web', managedFields: [{ manager: 'x' }] }, spec: { replicas: 2 } },
      'apps/v1',
      'Deployment',
    );
    expect(o).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } });
  });

  it('an object is intact only when its checksum matches (metadata and manifest) and it parses as an export', () => {
    expect(checkExportObject({ body: doc, actualSha256: sha(doc), recordedSha256: sha(doc) })).toEqual({
      ok: true,
      kind: 'ClusterStateExport',
      items: 2,
    });
    expect(checkExportObject({ body: doc, actualSha256: sha(doc) })).toMatchObject({
      ok: false,
      problem: 'checksum-missing',
    });
    expect(checkExportObject({ body: doc, actualSha256: sha(doc), recordedSha256: sha('other') })).toMatchObject({
      ok: false,
      problem: 'checksum-mismatch',
    });
    expect(
      checkExportObject({ body: doc, actualSha256: sha(doc), recordedSha256: sha(doc), manifestSha256: sha('x') }),
    ).toMatchObject({ ok: false, problem: 'checksum-mismatch', detail: expect.stringContaining('manifest') });
    expect(
      checkExportObject({ body: '{"a":', actualSha256: sha('{"a":'), recordedSha256: sha('{"a":') }),
    ).toMatchObject({
      ok: false,
      problem: 'not-json',
    });
    const foreign = '{"kind":"Other"}';
    expect(
      checkExportObject({ body: foreign, actualSha256: sha(foreign), recordedSha256: sha(foreign) }),
    ).toMatchObject({
      ok: false,
      problem: 'not-an-export',
    });
  });

  it('Secrets are only exported with a KMS key (the field named)', () => {
    const bad = backupsSchema.safeParse({ clusterState: { includeSecrets: true } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['clusterState', 'kmsKeyId'] });
    expect(backupsSchema.parse({}).clusterState).toMatchObject({ enabled: true, includeSecrets: false });
    expect(backupsSchema.parse({}).clusterState.kinds).not.toContain('Secret');
    expect(backupsSchema.safeParse({ clusterState: { kinds: ['Secret'] } }).success).toBe(false);
  });
});

describe('S3 Object Created (EventBridge)', () => {
  const event = JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/events/s3-object-created.json'), 'utf8'),
  ) as Record<string, unknown>;

  it('parses to the bucket and key and becomes one verification', () => {
    const parsed = parseEventBridgeEvent(event);
    expect(parsed).toMatchObject({
      ok: true,
      event: {
        kind: 's3-object-created',
        bucket: 'eksflow-backups-123456789012-ap-south-1',
        key: 'cluster-state/payments-mumbai/2026-12-01/deployments.json',
        sequencer: '00617F08299329D189',
      },
    });
    if (!parsed.ok) return;
    expect(actionsFor(parsed.event)).toEqual([{ type: 'verify-backup-object', object: parsed.event }]);
  });

  it('an event without the object key is rejected naming the field', () => {
    const parsed = parseEventBridgeEvent({ ...event, detail: { bucket: { name: 'b-bucket' }, object: {} } });
    expect(parsed).toMatchObject({ ok: false, error: expect.stringContaining('object.key') });
  });
});
