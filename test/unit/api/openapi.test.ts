import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { buildOpenApi } from '../../../src/api/openapi';
import { OPERATIONS } from '../../../src/api/operations';
import { snsStringToSign } from '../../../src/api/sns';

describe('the generated OpenAPI document', () => {
  const spec = buildOpenApi(OPERATIONS) as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; operationId: string }>>;
    components: { schemas: Record<string, unknown> };
  };

  test('every $ref points at a component that exists', () => {
    const refs = [...JSON.stringify(spec).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(spec.components.schemas[ref.split('/').pop()!]).toBeDefined();
    }
  });

  test('every path template parameter is declared, and operation ids are unique', () => {
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(spec.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(methods)) {
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)).toEqual(names);
      }
    }
    expect(ids.size).toBe(OPERATIONS.length);
  });
});

describe('SNS string to sign', () => {
  test('Notification: Subject only when present, fields in the documented order', () => {
    const base = { Type: 'Notification' as const, MessageId: 'm1', TopicArn: 'arn:t', Message: 'hi', Timestamp: 't0' };
    const extra = { SignatureVersion: '1' as const, Signature: 's', SigningCertURL: 'https://x' };
    expect(snsStringToSign({ ...base, ...extra })).toBe(
      'Message\nhi\nMessageId\nm1\nTimestamp\nt0\nTopicArn\narn:t\nType\nNotification\n',
    );
    expect(snsStringToSign({ ...base, ...extra, Subject: 'sub' })).toContain('MessageId\nm1\nSubject\nsub\nTimestamp');
  });

  test('a signature over the string verifies with the signer key only', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const m = {
      Type: 'SubscriptionConfirmation' as const,
      MessageId: 'm2',
      TopicArn: 'arn:t',
      Message: 'confirm',
      Timestamp: 't1',
      Token: 'tok',
      SubscribeURL: 'https://sns.ap-south-1.amazonaws.com/?Action=ConfirmSubscription',
      SignatureVersion: '2' as const,
      Signature: '',
      SigningCertURL: 'https://sns.ap-south-1.amazonaws.com/cert.pem',
    };
    const sig = createSign('RSA-SHA256').update(snsStringToSign(m)).sign(privateKey, 'base64');
    expect(createVerify('RSA-SHA256').update(snsStringToSign(m)).verify(publicKey, sig, 'base64')).toBe(true);
    expect(
      createVerify('RSA-SHA256')
        .update(snsStringToSign({ ...m, Token: 'other' }))
        .verify(publicKey, sig, 'base64'),
    ).toBe(false);
  });
});
