/**
 * Redaction of secrets from anything that leaves an activity (error messages, logs). Values are
 * replaced by `[redacted]`; URLs also lose their path and query, where webhook tokens live.
 */
export const REDACTED = '[redacted]';

export function redactSecrets(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** `https://hooks.slack.com/services/T/B/X` → `https://hooks.slack.com/[redacted]`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}
