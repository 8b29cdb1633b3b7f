import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * The report bucket: HTML and JSON reports under `reports/<id>.<ext>`, encrypted at rest (SSE-KMS
 * with the configured key, SSE-S3 otherwise). The ingress reads the HTML back for
 * `GET /reports/:id`. Writing the same report twice writes the same bytes (idempotent).
 */
export interface ReportBucket {
  s3: S3Client;
  bucket: string;
  kmsKeyId?: string;
}

export function reportKey(id: string, ext: 'html' | 'json'): string {
  return `reports/${id}.${ext}`;
}

export async function putReportObject(
  b: ReportBucket,
  id: string,
  ext: 'html' | 'json',
  body: string,
): Promise<string> {
  const key = reportKey(id, ext);
  await b.s3.send(
    new PutObjectCommand({
      Bucket: b.bucket,
      Key: key,
      Body: body,
      ContentType: ext === 'html' ? 'text/html; charset=utf-8' : 'application/json',
      ...(b.kmsKeyId
        ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: b.kmsKeyId }
        : { ServerSideEncryption: 'AES256' as const }),
    }),
  );
  return `s3://${b.bucket}/${key}`;
}

/** The report's HTML, or undefined when there is no such report. */
export async function getReportHtml(b: ReportBucket, id: string): Promise<string | undefined> {
  try {
    const res = await b.s3.send(new GetObjectCommand({ Bucket: b.bucket, Key: reportKey(id, 'html') }));
    return await res.Body?.transformToString('utf-8');
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}
