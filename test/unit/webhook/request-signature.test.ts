import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signRequest, timestampProblem, verifySignature } from '../../../shared/webhook/request-signature.js';
import { derivePartnerSecret, secretFingerprint } from '../../../shared/webhook/partner-secret.js';

const SECRET = 'whsec_test-secret';
const BODY = Buffer.from('{"event_id":"e1"}\n');

describe('request signature', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<raw body>", as the README documents', () => {
    const expected = createHmac('sha256', SECRET).update(`1764150000.${BODY.toString()}`).digest('hex');
    expect(signRequest(SECRET, 1764150000, BODY)).toBe(`sha256=${expected}`);
  });

  it('verifies its own signature, upper-case hex included, and nothing else', () => {
    const header = signRequest(SECRET, '1764150000', BODY);
    expect(verifySignature(SECRET, '1764150000', BODY, header)).toBe(true);
    expect(verifySignature(SECRET, '1764150000', BODY, `sha256=${header.slice(7).toUpperCase()}`)).toBe(true);
    expect(verifySignature(SECRET, '1764150001', BODY, header)).toBe(false);
    expect(verifySignature(SECRET, '1764150000', Buffer.from('{"event_id":"e2"}\n'), header)).toBe(false);
    expect(verifySignature('whsec_other', '1764150000', BODY, header)).toBe(false);
    expect(verifySignature(SECRET, '1764150000', BODY, header.slice(7))).toBe(false);
    expect(verifySignature(SECRET, '1764150000', BODY, 'sha256=abc')).toBe(false);
  });
});

describe('timestamp window', () => {
  const now = 1_764_150_000_000;
  it('accepts timestamps within the window on either side', () => {
    expect(timestampProblem('1764149701', now, 300)).toBeUndefined();
    expect(timestampProblem('1764150299', now, 300)).toBeUndefined();
  });

  it('explains a missing, malformed or stale timestamp', () => {
    expect(timestampProblem(undefined, now, 300)).toMatch(/missing/);
    expect(timestampProblem('2026-11-26T10:00:00Z', now, 300)).toMatch(/epoch seconds/);
    expect(timestampProblem('1764150000000', now, 300)).toMatch(/epoch seconds|away/);
    expect(timestampProblem('1764149000', now, 300)).toMatch(/1000 s away .* window is 300 s/);
  });
});

describe('partner secrets', () => {
  it('derive deterministically from key and salt, differ per salt and per key', () => {
    const a = derivePartnerSecret('k'.repeat(32), 'salt-1');
    expect(derivePartnerSecret('k'.repeat(32), 'salt-1')).toBe(a);
    expect(derivePartnerSecret('k'.repeat(32), 'salt-2')).not.toBe(a);
    expect(derivePartnerSecret('j'.repeat(32), 'salt-1')).not.toBe(a);
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(secretFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
