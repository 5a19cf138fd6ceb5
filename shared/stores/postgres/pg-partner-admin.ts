// Manages partners in Postgres for `npm run partners`: add, list, rotate, disable, enable.
// Secrets are derived from the signing key and a fresh salt and returned once; only the salt
// and a fingerprint are stored (see shared/webhook/partner-secret.ts).
import type pg from 'pg';
import { PipelineError } from '../../errors.js';
import { derivePartnerSecret, newSecretSalt, secretFingerprint } from '../../webhook/partner-secret.js';
import type { PartnerLimits } from '../../webhook/types.js';
import { PARTNER_COLUMNS, type PartnerRow } from './pg-partner-directory.js';

/** A partner management request that cannot be done (unknown id, duplicate id). */
export class PartnerAdminError extends PipelineError {}

/** What `add` takes besides the id. */
export interface NewPartner {
  readonly displayName?: string;
  readonly allowedEventTypes?: readonly string[];
  readonly limits?: Partial<PartnerLimits>;
}

/** A partner as listed: never its secret. */
export interface PartnerSummary {
  readonly id: string;
  readonly displayName: string | null;
  readonly fingerprint: string;
  readonly previousSecretValidUntil: Date | null;
  readonly allowedEventTypes: readonly string[];
  readonly limits: PartnerLimits;
  readonly disabled: boolean;
  readonly createdAt: Date;
}

/** @example const { secret } = await new PgPartnerAdmin(pool, signingKey).add('acme', {}); */
export class PgPartnerAdmin {
  constructor(
    private readonly pool: pg.Pool,
    private readonly signingKey: string,
  ) {}

  /** Creates a partner; returns its secret (shown once). */
  async add(id: string, partner: NewPartner): Promise<{ secret: string }> {
    const salt = newSecretSalt();
    const secret = derivePartnerSecret(this.signingKey, salt);
    const limits = partner.limits ?? {};
    const result = await this.pool.query(
      `INSERT INTO partners (id, display_name, secret_salt, secret_sha256, allowed_event_types,
         max_body_bytes, max_records, max_record_bytes)
       VALUES ($1, $2, $3, $4, $5, COALESCE($6, 4194304), COALESCE($7, 10000), COALESCE($8, 65536))
       ON CONFLICT (id) DO NOTHING`,
      [id, partner.displayName ?? null, salt, secretFingerprint(secret), partner.allowedEventTypes ?? [],
        limits.maxBodyBytes ?? null, limits.maxRecords ?? null, limits.maxRecordBytes ?? null],
    );
    if (result.rowCount !== 1) throw new PartnerAdminError(`partner ${id} exists already; use rotate for a new secret`);
    return { secret };
  }

  /** The event types among `types` with no registered schema (their events would be held). */
  async unregisteredTypes(types: readonly string[]): Promise<string[]> {
    if (types.length === 0) return [];
    const { rows } = await this.pool.query<{ event_type: string }>('SELECT DISTINCT event_type FROM event_schemas WHERE event_type = ANY($1)', [types]);
    const known = new Set(rows.map((r) => r.event_type));
    return types.filter((t) => !known.has(t));
  }

  async list(): Promise<PartnerSummary[]> {
    const { rows } = await this.pool.query<PartnerRow>(`SELECT ${PARTNER_COLUMNS} FROM partners ORDER BY id`);
    return rows.map((r) => ({
      id: r.id,
      displayName: r.display_name,
      fingerprint: r.secret_sha256.slice(0, 12),
      previousSecretValidUntil: r.previous_valid_until && r.previous_valid_until.getTime() > Date.now() ? r.previous_valid_until : null,
      allowedEventTypes: r.allowed_event_types,
      limits: { maxBodyBytes: r.max_body_bytes, maxRecords: r.max_records, maxRecordBytes: r.max_record_bytes },
      disabled: r.disabled_at !== null,
      createdAt: r.created_at,
    }));
  }

  /**
   * Gives the partner a new secret; the old one keeps verifying for `graceSeconds` (0 ends it
   * at once, e.g. after a leak). Returns the new secret (shown once).
   */
  async rotate(id: string, graceSeconds: number): Promise<{ secret: string; previousValidUntil: Date | null }> {
    const salt = newSecretSalt();
    const secret = derivePartnerSecret(this.signingKey, salt);
    const { rows } = await this.pool.query<{ previous_valid_until: Date | null }>(
      `UPDATE partners SET previous_secret_salt = CASE WHEN $4 > 0 THEN secret_salt END,
         previous_valid_until = CASE WHEN $4 > 0 THEN now() + make_interval(secs => $4) END,
         secret_salt = $2, secret_sha256 = $3, updated_at = now()
       WHERE id = $1 RETURNING previous_valid_until`,
      [id, salt, secretFingerprint(secret), graceSeconds],
    );
    if (rows.length !== 1) throw new PartnerAdminError(`no partner ${id}`);
    return { secret, previousValidUntil: rows[0]!.previous_valid_until };
  }

  /** Refuses the partner's requests (403) from the next cache refresh of each webhook container. */
  async disable(id: string): Promise<void> {
    await this.setDisabled(id, true);
  }

  async enable(id: string): Promise<void> {
    await this.setDisabled(id, false);
  }

  private async setDisabled(id: string, disabled: boolean): Promise<void> {
    const result = await this.pool.query(
      `UPDATE partners SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END, updated_at = now() WHERE id = $1`,
      [id, disabled],
    );
    if (result.rowCount !== 1) throw new PartnerAdminError(`no partner ${id}`);
  }
}
