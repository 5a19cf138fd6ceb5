// The retention sweep against real Postgres: rows past their retention go, page by page;
// younger rows stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpired } from '../../../shared/retention/purge-expired.js';
import { PgExpiringRows } from '../../../shared/stores/postgres/pg-expiring-rows.js';
import { PgPartnerAdmin } from '../../../shared/stores/postgres/pg-partner-admin.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await new PgPartnerAdmin(db.pool, 'k'.repeat(32)).add('acme', {});
  await db.pool.query(
    `INSERT INTO queue_event_ids (source, event_id, committed_at)
     SELECT 'acme', 'old-' || g, now() - interval '15 days' FROM generate_series(1, 2500) g
     UNION ALL SELECT 'acme', 'new-' || g, now() - interval '13 days' FROM generate_series(1, 300) g`,
  );
  await db.pool.query(
    `INSERT INTO webhook_requests (source, idempotency_key, body_sha256, status, created_at)
     VALUES ('acme', 'old', 'h', 'done', now() - interval '25 hours'), ('acme', 'new', 'h', 'done', now() - interval '1 hour')`,
  );
});

afterAll(async () => {
  await db?.drop();
});

describe('purgeExpired', () => {
  it('deletes exactly the rows past each retention, in pages', async () => {
    const kinds = [new PgExpiringRows(db.pool, 'queue_event_ids', 14 * 86_400), new PgExpiringRows(db.pool, 'webhook_requests', 24 * 3_600)];
    const report = await purgeExpired(kinds, { pageSize: 1_000, deadline: Date.now() + 60_000 });
    expect(report).toEqual({ deleted: { queue_event_ids: 2_500, webhook_requests: 1 }, stoppedAtDeadline: false });
    const { rows } = await db.pool.query<{ ids: number; old: number; keys: string[] }>(
      `SELECT (SELECT count(*)::int FROM queue_event_ids) AS ids,
              (SELECT count(*)::int FROM queue_event_ids WHERE event_id LIKE 'old-%') AS old,
              (SELECT array_agg(idempotency_key) FROM webhook_requests) AS keys`,
    );
    expect(rows[0]).toEqual({ ids: 300, old: 0, keys: ['new'] });
  });

  it('stops at the deadline and says so', async () => {
    const kinds = [new PgExpiringRows(db.pool, 'queue_event_ids', 0)];
    expect(await purgeExpired(kinds, { pageSize: 10, deadline: Date.now() - 1 })).toEqual({ deleted: { queue_event_ids: 0 }, stoppedAtDeadline: true });
  });
});
