import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { BackupObjectVerification } from '../../activities/cluster-state';
import { raiseAlert } from '../lib/alerts';
import { awsRead } from '../lib/presets';

const read = proxyActivities<Activities>(awsRead);

export interface BackupObjectVerificationInput {
  bucket: string;
  key: string;
  accountId: string;
  region: string;
  /** From the event, for the record (the object is read back, not trusted from the event). */
  etag?: string;
  size?: number;
}

/**
 * Started by an S3 `Object Created` event on the backup bucket (ingress HTTP or SQS): reads the
 * object back, checks it parses and its SHA-256 matches the one recorded with it (and in its
 * manifest); a corrupt object raises an alert naming the key and the problem.
 */
export async function backupObjectVerification(
  input: BackupObjectVerificationInput,
): Promise<BackupObjectVerification> {
  const result = await read.verifyBackupObject({
    bucket: input.bucket,
    key: input.key,
    accountId: input.accountId,
    region: input.region,
  });
  if (result.status === 'corrupt') {
    try {
      await raiseAlert({
        severity: 'critical',
        type: 'backup_corrupt',
        dedupKey: `backup-corrupt/${input.bucket}/${input.key}`,
        summary: `Backup object s3://${input.bucket}/${input.key} failed verification: ${result.problem ?? ''}`,
        details: {
          bucket: input.bucket,
          key: input.key,
          problem: result.problem ?? '',
          detail: result.detail ?? '',
          ...(result.sha256 ? { sha256: result.sha256 } : {}),
        },
      });
    } catch (err) {
      log.warn('backup_corrupt alert failed', { error: String(err) });
    }
  }
  return result;
}
