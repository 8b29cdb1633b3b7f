/**
 * Dedup keys identify an incident: the same key while the alert is open merges into it. They
 * become part of a workflow id (`alert/<key>`) and PagerDuty's `dedup_key` (≤ 255 chars), so
 * they are normalised once, here, and used everywhere in that form.
 */
export const MAX_DEDUP_KEY_LENGTH = 255;
export const ALERT_WORKFLOW_PREFIX = 'alert/';
export const DIGEST_WORKFLOW_PREFIX = 'alert-digest/';

/** FNV-1a 32-bit, hex: a deterministic short hash usable inside workflows (no crypto there). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Trims, collapses whitespace to `-`, keeps `[A-Za-z0-9._:/@=-]` and replaces anything else by
 * `_`. Keys longer than 255 characters keep their start and get a hash of the whole key, so
 * two long keys differing only at the end stay distinct.
 */
export function normalizeDedupKey(raw: string): string {
  const cleaned = raw
    .trim()
    .replace(/\s+/g, '-')
    .replace(/[^A-Za-z0-9._:/@=-]/g, '_');
  if (cleaned.length === 0) throw new Error('dedup key is empty');
  if (cleaned.length <= MAX_DEDUP_KEY_LENGTH) return cleaned;
  const hash = fnv1a(cleaned);
  return `${cleaned.slice(0, MAX_DEDUP_KEY_LENGTH - hash.length - 1)}~${hash}`;
}

export function alertWorkflowId(dedupKey: string): string {
  return `${ALERT_WORKFLOW_PREFIX}${normalizeDedupKey(dedupKey)}`;
}

/** Accepts either `alert/<key>` or the bare key (CLI and HTTP callers may give either). */
export function dedupKeyFromAlertId(id: string): string {
  return normalizeDedupKey(id.startsWith(ALERT_WORKFLOW_PREFIX) ? id.slice(ALERT_WORKFLOW_PREFIX.length) : id);
}
