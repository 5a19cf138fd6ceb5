// The partner webhook's request signature (DESIGN.md "Serving"): X-Timestamp is epoch
// seconds, X-Signature is `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with the
// partner's secret. Signing the timestamp with the body makes a captured request useless
// outside the replay window.
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PREFIX = 'sha256=';
const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const EPOCH_SECONDS = /^\d{1,12}$/;

/**
 * The X-Signature header value for a request body sent at `timestampSeconds`.
 *
 * @example signRequest('whsec_…', 1764150000, Buffer.from('[]')) // 'sha256=5d1f…'
 */
export function signRequest(secret: string, timestampSeconds: number | string, body: Uint8Array | string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

/**
 * Whether `header` is a valid signature of the body by `secret`, compared in constant time.
 *
 * @example verifySignature(secret, '1764150000', body, 'sha256=5d1f…') // true
 */
export function verifySignature(secret: string, timestamp: string, body: Uint8Array, header: string): boolean {
  if (!header.startsWith(SIGNATURE_PREFIX)) return false;
  const given = header.slice(SIGNATURE_PREFIX.length);
  if (!HEX_SHA256.test(given)) return false;
  const expected = signRequest(secret, timestamp, body).slice(SIGNATURE_PREFIX.length);
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), Buffer.from(expected, 'hex'));
}

/** Why a timestamp header is not acceptable, or undefined when it is inside the window. */
export function timestampProblem(header: string | undefined, nowMs: number, windowSeconds: number): string | undefined {
  if (header === undefined || header === '') return 'X-Timestamp header is missing (epoch seconds)';
  if (!EPOCH_SECONDS.test(header)) return 'X-Timestamp must be epoch seconds, e.g. 1764150000';
  const skewSeconds = Math.abs(nowMs / 1000 - Number(header));
  if (skewSeconds > windowSeconds) {
    return `X-Timestamp is ${Math.round(skewSeconds)} s away from the server clock; the window is ${windowSeconds} s (check the clock, sign each attempt anew)`;
  }
  return undefined;
}
