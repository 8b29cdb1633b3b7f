import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';

/** KMS data keys for client-side (envelope) encryption: the plaintext key never leaves the process. */
export function kmsGateway(aws: AwsClientFactory, target: AwsTarget) {
  const kms = aws.kms(target);
  return {
    /** A fresh AES-256 data key: its plaintext (use, then drop) and the KMS-encrypted copy (store). */
    async dataKey(keyId: string): Promise<{ plaintext: Uint8Array; encrypted: Uint8Array; keyArn?: string }> {
      const out = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error(`KMS GenerateDataKey for ${keyId} returned no key`);
      return { plaintext: out.Plaintext, encrypted: out.CiphertextBlob, keyArn: out.KeyId };
    },
    async decrypt(encrypted: Uint8Array): Promise<Uint8Array> {
      const out = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted }));
      if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
      return out.Plaintext;
    },
  };
}
