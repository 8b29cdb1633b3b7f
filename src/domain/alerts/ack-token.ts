import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Per-alert acknowledgement tokens: HMAC-SHA256(ingress secret, "ack:<dedup key>"). A link in a
 * Slack message or email can acknowledge exactly that alert and nothing else, and the secret
 * itself never leaves the process. Node-only (crypto): never import from workflow code.
 */
export function ackToken(secret: string, dedupKey: string): string {
  return createHmac('sha256', secret).update(`ack:${dedupKey}`).digest('hex');
}

/** Constant-time comparison of two secrets of possibly different length. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  // Compare digests so differing lengths take the same time and never throw.
  const ha = createHmac('sha256', 'eksflow-compare').update(ab).digest();
  const hb = createHmac('sha256', 'eksflow-compare').update(bb).digest();
  return timingSafeEqual(ha, hb) && ab.length === bb.length;
}

export function verifyAckToken(secret: string, dedupKey: string, token: string): boolean {
  return safeEqual(ackToken(secret, dedupKey), token);
}

/** PagerDuty v3 webhooks: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]`, HMAC-SHA256 of the raw body. */
export function verifyPagerDutySignature(secret: string, rawBody: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return header
    .split(',')
    .map((s) => s.trim())
    .some((sig) => safeEqual(sig, expected));
}
