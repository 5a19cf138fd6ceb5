// The local stack's partner webhook setup: a signing key kept in the state folder (so secrets
// printed by `npm run partners` stay valid across restarts) and a demo partner to POST as.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartnerAdminError, PgPartnerAdmin } from '../stores/postgres/pg-partner-admin.js';
import { createPgPool } from '../stores/postgres/pg-pool.js';

/** The id of the partner `npm run dev` creates; stack.json has its secret. */
export const DEMO_PARTNER_ID = 'demo-partner';

/**
 * The local signing key in `<stateDir>/partner-signing-key`, created on first use (mode 0600).
 *
 * @example const key = localSigningKey('.local');
 */
export function localSigningKey(stateDir: string): string {
  const file = join(stateDir, 'partner-signing-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 32) return key;
  }
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * Creates the demo partner (any event type, default limits) and returns its secret. When
 * the partner exists already (a DATABASE_URL with its own schema is not recreated), it gets
 * a new secret instead.
 *
 * @example const { id, secret } = await seedDemoPartner(databaseUrl, key);
 */
export async function seedDemoPartner(databaseUrl: string, signingKey: string): Promise<{ id: string; secret: string }> {
  const pool = createPgPool({ connectionString: databaseUrl });
  try {
    const admin = new PgPartnerAdmin(pool, signingKey);
    try {
      const { secret } = await admin.add(DEMO_PARTNER_ID, { displayName: 'Local demo partner' });
      return { id: DEMO_PARTNER_ID, secret };
    } catch (error) {
      if (!(error instanceof PartnerAdminError)) throw error;
      await admin.enable(DEMO_PARTNER_ID);
      const { secret } = await admin.rotate(DEMO_PARTNER_ID, 0);
      return { id: DEMO_PARTNER_ID, secret };
    }
  } finally {
    await pool.end();
  }
}
