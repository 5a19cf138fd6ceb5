// Partners for the webhook, read from Postgres and cached per container: the webhook looks
// a partner up on every request, so a short cache keeps Postgres out of the hot path. A
// signature that fails against the cached partner triggers one fresh read (rate-limited),
// so a new or rotated secret works at once; disabling, and ending an old secret's validity,
// take effect within the cache's lifetime (30 s).
import type pg from 'pg';
import { derivePartnerSecret } from '../../webhook/partner-secret.js';
import type { PartnerDirectory } from '../../webhook/ports.js';
import type { Partner } from '../../webhook/types.js';

/** A row of `partners`, as the directory and the admin CLI read it. */
export interface PartnerRow {
  readonly id: string;
  readonly display_name: string | null;
  readonly secret_salt: string;
  readonly secret_sha256: string;
  readonly previous_secret_salt: string | null;
  readonly previous_valid_until: Date | null;
  readonly allowed_event_types: string[];
  readonly max_body_bytes: number;
  readonly max_records: number;
  readonly max_record_bytes: number;
  readonly disabled_at: Date | null;
  readonly created_at: Date;
}

/** The columns of {@link PartnerRow}, in one place for every query. */
export const PARTNER_COLUMNS = `id, display_name, secret_salt, secret_sha256, previous_secret_salt, previous_valid_until,
  allowed_event_types, max_body_bytes, max_records, max_record_bytes, disabled_at, created_at`;

/**
 * The partner a row describes, with the secrets valid at `nowMs`.
 *
 * @example toPartner(row, signingKey, Date.now()).secrets.length // 1, or 2 during a rotation
 */
export function toPartner(row: PartnerRow, signingKey: string, nowMs: number): Partner {
  const secrets = [derivePartnerSecret(signingKey, row.secret_salt)];
  if (row.previous_secret_salt && row.previous_valid_until && row.previous_valid_until.getTime() > nowMs) {
    secrets.push(derivePartnerSecret(signingKey, row.previous_secret_salt));
  }
  return {
    id: row.id,
    secrets,
    allowedEventTypes: new Set(row.allowed_event_types),
    limits: { maxBodyBytes: row.max_body_bytes, maxRecords: row.max_records, maxRecordBytes: row.max_record_bytes },
    disabled: row.disabled_at !== null,
  };
}

/** @example const partner = await new PgPartnerDirectory(pool, signingKey).find('acme'); */
export class PgPartnerDirectory implements PartnerDirectory {
  private readonly cache = new Map<string, { partner: Partner | undefined; until: number }>();
  private readonly loadedAt = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly signingKey: string,
    private readonly options: { cacheTtlMs?: number; minRefreshIntervalMs?: number; now?: () => number } = {},
  ) {}

  async find(id: string): Promise<Partner | undefined> {
    // An id that cannot exist (the table's own pattern) costs no query at all.
    if (!PARTNER_ID.test(id)) return undefined;
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(id);
    if (cached && cached.until > now) return cached.partner;
    return this.load(id, now);
  }

  async refresh(id: string): Promise<Partner | undefined> {
    if (!PARTNER_ID.test(id)) return undefined;
    const now = (this.options.now ?? Date.now)();
    // At most one read per id and interval, counting the read `find` may just have made:
    // requests with bad signatures (or made-up ids) must not each become a query.
    if (now - (this.loadedAt.get(id) ?? Number.NEGATIVE_INFINITY) < (this.options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_MS)) return undefined;
    return this.load(id, now);
  }

  private async load(id: string, now: number): Promise<Partner | undefined> {
    remember(this.loadedAt, id, now);
    const { rows } = await this.pool.query<PartnerRow>(`SELECT ${PARTNER_COLUMNS} FROM partners WHERE id = $1`, [id]);
    const partner = rows[0] ? toPartner(rows[0], this.signingKey, now) : undefined;
    // Unknown ids are cached too (briefly), so a flood of requests for made-up partners
    // does not turn into a flood of queries.
    remember(this.cache, id, { partner, until: now + (this.options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS) });
    return partner;
  }
}

/** The `partners.id` pattern of the migration. */
const PARTNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Sets a key in a bounded map, evicting the oldest entry when full (Maps keep insertion
 * order), so a flood of made-up ids cannot push out every real partner at once.
 */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= MAX_CACHED_PARTNERS) map.delete(map.keys().next().value!);
  map.set(key, value);
}

const DEFAULT_CACHE_TTL_MS = 30_000;
const DEFAULT_MIN_REFRESH_MS = 2_000;
const MAX_CACHED_PARTNERS = 10_000;
