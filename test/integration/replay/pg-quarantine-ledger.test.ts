// The quarantine ledger against the real Postgres: keyset pages must follow the numeric order
// of row ids (ids past 9 are where a text order would reread and skip rows).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgQuarantineLedger } from '../../../shared/stores/postgres/pg-quarantine-ledger.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const ROWS = 25;
let db: TestDatabase;
let ledger: PgQuarantineLedger;

beforeAll(async () => {
  db = await createTestDatabase();
  ledger = new PgQuarantineLedger(db.pool);
  await db.pool.query(
    `INSERT INTO quarantine (origin, stream, shard, seq, sub_index, source, code, reason, object_key, object_line, arrival_ts)
     SELECT 'kinesis', 'events', 'shardId-0', n::text, 0, CASE WHEN n % 2 = 0 THEN 'web' ELSE 'shop' END, 'unknown_schema', 'x', 'quarantine/a.ndjson', n - 1, now()
       FROM generate_series(1, $1::int) AS n`,
    [ROWS],
  );
});

afterAll(async () => {
  await db?.drop();
});

/** Every pending row's id, read page by page the way a replay reads them. */
async function readAll(limit: number, source?: string): Promise<number[]> {
  const throughId = await ledger.lastId();
  const ids: number[] = [];
  let afterId = '0';
  for (;;) {
    const page = await ledger.pendingPage({ afterId, throughId, limit, source });
    if (page.length === 0) return ids;
    ids.push(...page.map((r) => Number(r.id)));
    afterId = page[page.length - 1]!.id;
  }
}

describe('PgQuarantineLedger', () => {
  it('pages through every pending row once, in id order, across ids of one and two digits', async () => {
    const { rows } = await db.pool.query<{ id: string }>('SELECT id::text AS id FROM quarantine ORDER BY quarantine.id');
    const expected = rows.map((r) => Number(r.id));
    expect(expected).toHaveLength(ROWS);
    expect(expected.some((id) => id >= 10)).toBe(true);
    expect(await readAll(4)).toEqual(expected);
    expect(await readAll(4, 'web')).toEqual(expected.filter((_, i) => i % 2 === 1));
  });

  it('skips rows marked replayed, and marks each row once', async () => {
    const all = await readAll(100);
    const marked = all.slice(3, 15).map(String);
    expect(await ledger.markReplayed(marked)).toBe(marked.length);
    expect(await ledger.markReplayed(marked)).toBe(0);
    expect(await readAll(4)).toEqual(all.filter((id) => !marked.includes(String(id))));
  });
});
