// Partner secrets are derived, never stored: secret = HMAC-SHA256(service signing key, salt).
// The partners table keeps only the salt and a fingerprint, so a copy of the database does
// not yield a secret, and neither does the signing key without the database.
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** Prefix that makes a leaked secret recognisable to secret scanners and to people. */
const SECRET_PREFIX = 'whsec_';

/**
 * The signing secret of a partner's salt.
 *
 * @example derivePartnerSecret(signingKey, 'k3J…') // 'whsec_Q2x…'
 */
export function derivePartnerSecret(signingKey: string, salt: string): string {
  return SECRET_PREFIX + createHmac('sha256', signingKey).update(salt).digest('base64url');
}

/** A fresh random salt (a new secret for the partner). */
export function newSecretSalt(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * A short, non-secret fingerprint of a secret, stored and shown to tell secrets apart.
 *
 * @example secretFingerprint('whsec_Q2x…') // 'a41f09c2…' (64 hex characters)
 */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
