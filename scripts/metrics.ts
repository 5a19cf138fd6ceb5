// npm run metrics -- <source> [type]: the live aggregates of the last minutes, from Redis.
import { AggregateReader, bucketStarts } from '../shared/aggregates/aggregate-reader.js';
import { loadCliConfig } from '../shared/cli/cli-config.js';
import { formatTable } from '../shared/cli/format-table.js';
import { runCli, UsageError } from '../shared/cli/run-cli.js';
import { PgAggregateSpecs } from '../shared/stores/postgres/pg-aggregate-specs.js';
import { createPgPool } from '../shared/stores/postgres/pg-pool.js';
import { createRedisClient } from '../shared/stores/redis/redis-client.js';

const usage = `Usage: npm run metrics -- <source> [event_type] [--minutes N] [--top K] [--json]

Prints the live aggregates of one source (all its configured event types, or one) for the
last N minutes (default 10) by minute of event time: count, late events, mean ingest lag
(arrival minus event time), when the counters last changed, and the sums
configured in aggregate_specs, then per type the unique count (HyperLogLog) and the top
values. With --json: one JSON object whose total.count is the number of events in the range.

Settings: REDIS_URL (REDIS_CLUSTER=true for cluster mode) and DATABASE_URL, or the local
stack's .local/stack.json.`;

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

await runCli(
  { usage, allowPositionals: true, options: { minutes: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' } } },
  async ({ values, positionals }) => {
    const [source, onlyType] = positionals;
    if (!source || positionals.length > 2) throw new UsageError('give a source and optionally an event type');
    if (!SOURCE.test(source)) throw new UsageError(`"${source}" is not a valid source name`);
    if (onlyType !== undefined && !EVENT_TYPE.test(onlyType)) throw new UsageError(`"${onlyType}" is not a valid event type`);
    const minutes = Number(values['minutes'] ?? 10);
    const topK = Number(values['top'] ?? 5);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 2880) throw new UsageError('--minutes must be a whole number from 1 to 2880 (minute buckets live 48 h)');
    if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new UsageError('--top must be from 1 to 100');

    const config = loadCliConfig(process.env);
    const pool = createPgPool({ connectionString: config.databaseUrl, statementTimeoutMs: 10_000 });
    const redis = createRedisClient({ urls: config.redisUrl.split(','), cluster: config.redisCluster, keyPrefix: config.redisKeyPrefix });
    try {
      const specs = await new PgAggregateSpecs(pool).current();
      const types = onlyType ? [onlyType] : [...specs.keys()].sort();
      const to = Math.ceil((Date.now() + 1) / 60_000) * 60_000;
      const from = to - minutes * 60_000;
      const reader = new AggregateReader(redis);
      const report: Record<string, unknown> = {};
      let totalCount = 0;
      let totalLate = 0;
      const rows: Record<string, unknown>[] = [];
      for (const eventType of types) {
        const range = { source, eventType, granularity: 'minute' as const, from, to };
        const series = await reader.series(range);
        const spec = specs.get(eventType);
        const uniques = spec?.uniqueField ? await reader.uniques(range) : null;
        const top: Record<string, { value: string; count: number }[]> = {};
        for (const field of spec?.topFields ?? []) top[field] = await reader.top(range, field, topK);
        const freshness = await reader.freshness(source, eventType);
        const total = { count: 0, late: 0, sums: {} as Record<string, number> };
        for (const p of series) {
          total.count += p.count;
          total.late += p.late;
          for (const [f, v] of Object.entries(p.sums)) total.sums[f] = (total.sums[f] ?? 0) + v;
          rows.push({
            minute: new Date(p.bucketStart).toISOString().slice(0, 16).replace('T', ' '),
            event_type: eventType,
            count: p.count,
            late: p.late,
            lag_ms: p.avgIngestLagMs === null ? null : Math.round(p.avgIngestLagMs),
            ...prefixed(p.sums),
          });
        }
        totalCount += total.count;
        totalLate += total.late;
        report[eventType] = { series, total, uniques, uniqueField: spec?.uniqueField ?? null, top, freshness };
      }
      const result = { source, from: new Date(from).toISOString(), to: new Date(to).toISOString(), minutes, types: report, total: { count: totalCount, late: totalLate } };
      if (values['json']) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      process.stdout.write(`${source}, last ${minutes} min (${bucketStarts({ granularity: 'minute', from, to }).length} buckets, UTC)\n`);
      process.stdout.write(`${formatTable(columns, rows)}\n`);
      for (const eventType of types) {
        const t = report[eventType] as {
          total: { count: number };
          uniques: number | null;
          uniqueField: string | null;
          top: Record<string, { value: string; count: number }[]>;
          freshness: { lastEventTs: number | null; lastAppliedAt: number | null };
        };
        const tops = Object.entries(t.top).map(([f, list]) => `top ${f}: ${list.map((x) => `${x.value} (${x.count})`).join(', ') || '-'}`);
        const fresh = t.freshness.lastAppliedAt ? `; updated ${((Date.now() - t.freshness.lastAppliedAt) / 1000).toFixed(1)} s ago` : '';
        process.stdout.write(`${eventType}: ${t.total.count} events${t.uniques !== null ? `, ~${t.uniques} unique ${t.uniqueField}` : ''}${fresh}${tops.length ? `; ${tops.join('; ')}` : ''}\n`);
      }
      process.stdout.write(`total: ${totalCount} events, ${totalLate} late\n`);
      if (totalCount === 0) {
        // Zeros alone do not say whether the source is quiet or the name is wrong.
        process.stderr.write(
          `no events of source "${source}" in the last ${minutes} min of event time (sources are case-sensitive; the local producer sends "web" and "shop", the demo partner "demo-partner"; try --minutes 60)\n`,
        );
      }
    } finally {
      redis.disconnect();
      await pool.end();
    }
  },
);

function prefixed(sums: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(sums).map(([f, v]) => [`sum_${f}`, Math.round(v * 100) / 100]));
}
