import { createHmac } from 'node:crypto';
import { safeEqual } from '../alerts/ack-token';

/**
 * Report links a person can open from Slack or an email: `<public url>/reports/<id>?token=<hmac>`
 * served by the ingress, where the token is HMAC-SHA256(ingress secret, "report:<id>"), so a link
 * opens exactly that report and the secret never leaves the process. Node-only (crypto).
 */
export const REPORT_ID = /^(cost|spot)-\d{8}-\d{6}IST$/;

export function reportToken(secret: string, id: string): string {
  return createHmac('sha256', secret).update(`report:${id}`).digest('hex');
}

export function verifyReportToken(secret: string, id: string, token: string): boolean {
  return safeEqual(reportToken(secret, id), token);
}

export function reportUrl(publicUrl: string, secret: string, id: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/reports/${encodeURIComponent(id)}?token=${reportToken(secret, id)}`;
}
