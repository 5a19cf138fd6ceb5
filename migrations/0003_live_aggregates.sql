-- Live aggregates: which fields each event type sums, counts uniquely and ranks (configuration,
-- not code), and the outbox of aggregate deltas written in the ingest transaction.

CREATE TABLE aggregate_specs (
  event_type    text        PRIMARY KEY CHECK (event_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  -- numeric payload fields summed per bucket
  sum_fields    text[]      NOT NULL DEFAULT '{}',
  -- payload field counted uniquely (HyperLogLog), e.g. user_id
  unique_field  text,
  -- payload fields ranked by frequency (top-K per bucket)
  top_fields    text[]      NOT NULL DEFAULT '{}',
  updated_at    timestamptz NOT NULL DEFAULT now()
);

INSERT INTO aggregate_specs (event_type, sum_fields, unique_field, top_fields) VALUES
  ('page_view', '{duration_ms}', 'user_id', '{country,url}'),
  ('purchase',  '{amount}',      'user_id', '{country,currency}')
ON CONFLICT (event_type) DO NOTHING;

-- One row per committed batch; applied to Redis at most once per batch id (the Lua script
-- remembers applied ids), so a crash between commit and apply only delays the counters.
CREATE TABLE agg_outbox (
  batch_id    text        PRIMARY KEY,
  deltas      jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  applied_at  timestamptz
);

CREATE INDEX agg_outbox_pending_idx ON agg_outbox (created_at) WHERE applied_at IS NULL;
