import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: a request signed more than this far from now, either way, is refused. */
export const slackSignatureWindowSeconds = 300;

export type SignatureCheck =
  | { ok: true; signature: string }
  | { ok: false; reason: 'missing' | 'stale' | 'invalid' };

/** `v0=<hex HMAC-SHA256(secret, "v0:<timestamp>:<raw body>")>`, as Slack signs its requests. */
export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * Verifies X-Slack-Signature over the raw body bytes, before anything parses them. The comparison is constant-time
 * and happens only after the timestamp is known to be fresh, so a stale request costs no HMAC.
 */
export function verifySlackSignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  now: Date;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'stale' };
  const skew = Math.abs(input.now.getTime() / 1000 - Number(timestamp));
  if (skew > slackSignatureWindowSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(slackSignature(input.secret, timestamp, input.rawBody));
  const presented = Buffer.from(signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: 'invalid' };
  }
  return { ok: true, signature };
}
