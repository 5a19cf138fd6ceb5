-- Metadata of the lake: schemas, shard checkpoints, the file manifest and the quarantine.
-- Names are unqualified so the same migrations run in any schema (tests use one per file).

CREATE TABLE event_schemas (
  event_type   text        NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  version      integer     NOT NULL CHECK (version >= 1),
  json_schema  jsonb       NOT NULL,
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_type, version)
);

-- One row per shard (Kinesis shard, Kafka topic-partition): the last sequence number whose
-- events are committed. Advanced only by compare-and-set inside the batch transaction.
CREATE TABLE checkpoints (
  stream      text        NOT NULL,
  shard       text        NOT NULL,
  seq         text        NOT NULL CHECK (seq ~ '^[0-9]+$'),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, shard)
);

-- The manifest: a file is in the lake if and only if it has a row here. Partitioned by month
-- of event date so "files of a partition and time range" touches one or two partitions.
CREATE TABLE lake_files (
  dt              date        NOT NULL,
  hour            smallint    NOT NULL CHECK (hour BETWEEN 0 AND 23),
  source          text        NOT NULL,
  event_type      text        NOT NULL,
  key             text        NOT NULL,
  stream          text        NOT NULL,
  shard           text        NOT NULL,
  first_seq       text        NOT NULL,
  last_seq        text        NOT NULL,
  record_count    integer     NOT NULL CHECK (record_count > 0),
  byte_size       bigint      NOT NULL CHECK (byte_size > 0),
  min_event_ts    timestamptz NOT NULL,
  max_event_ts    timestamptz NOT NULL,
  late_count      integer     NOT NULL DEFAULT 0,
  schema_versions integer[]   NOT NULL,
  committed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dt, key)
) PARTITION BY RANGE (dt);

CREATE INDEX lake_files_partition_idx ON lake_files (source, event_type, dt, hour);
CREATE INDEX lake_files_shard_idx ON lake_files (stream, shard, dt);

-- Creates the month partition of lake_files holding day d, if missing. Called by the
-- committer before inserting rows of a month it has not seen in this container.
CREATE FUNCTION ensure_lake_files_partition(d date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  month_start date := date_trunc('month', d)::date;
  part_name   text := format('lake_files_%s', to_char(month_start, 'YYYY_MM'));
BEGIN
  IF to_regclass(part_name) IS NOT NULL THEN
    RETURN;
  END IF;
  EXECUTE format(
    'CREATE TABLE IF NOT EXISTS %I PARTITION OF lake_files FOR VALUES FROM (%L) TO (%L)',
    part_name, month_start, (month_start + interval '1 month')::date);
EXCEPTION
  -- Two committers creating the same month at once: the loser finds it made.
  WHEN duplicate_table OR unique_violation THEN
    RETURN;
END;
$$;

-- Records that could not be ingested, with the reason; the raw data is in S3 at object_key.
CREATE TABLE quarantine (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  origin       text        NOT NULL,
  stream       text        NOT NULL,
  shard        text        NOT NULL,
  seq          text        NOT NULL,
  sub_index    integer     NOT NULL,
  source       text,
  code         text        NOT NULL,
  reason       text        NOT NULL,
  object_key   text        NOT NULL,
  object_line  integer     NOT NULL,
  arrival_ts   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  replayed_at  timestamptz,
  UNIQUE (stream, shard, seq, sub_index)
);

CREATE INDEX quarantine_source_idx ON quarantine (source, created_at);
CREATE INDEX quarantine_pending_idx ON quarantine (created_at) WHERE replayed_at IS NULL;
