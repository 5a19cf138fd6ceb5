-- Partner webhooks and the queue door: partners (who may POST, with which limits), the
-- idempotency keys of their requests, and the event ids already in the lake from the queue
-- (SQS has no order and redelivers, so exactly-once there is a unique key, not a checkpoint).

-- A partner's signing secret is never stored. It is derived from the service's signing key
-- and this row's salt (HMAC-SHA256), so neither a copy of this table nor the key alone
-- yields a secret; secret_sha256 is a fingerprint to tell secrets apart in `partners list`.
-- Rotation keeps the previous salt valid until previous_valid_until, so partners can switch
-- without a window of rejected requests.
CREATE TABLE partners (
  id                    text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  display_name          text,
  secret_salt           text        NOT NULL,
  secret_sha256         text        NOT NULL,
  previous_secret_salt  text,
  previous_valid_until  timestamptz,
  -- Empty: every registered event type is allowed.
  allowed_event_types   text[]      NOT NULL DEFAULT '{}',
  -- 4 MiB: Lambda's 6 MB invocation limit after API Gateway base64-encodes a gzip body.
  max_body_bytes        integer     NOT NULL DEFAULT 4194304 CHECK (max_body_bytes BETWEEN 1024 AND 4194304),
  max_records           integer     NOT NULL DEFAULT 10000 CHECK (max_records BETWEEN 1 AND 100000),
  -- At most what fits one queue message's body (256 KiB less room for attributes).
  max_record_bytes      integer     NOT NULL DEFAULT 65536 CHECK (max_record_bytes BETWEEN 256 AND 261120),
  disabled_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- One row per (partner, Idempotency-Key): the answer given, replayed for a retried POST.
-- status 'pending' while the first request runs; a pending row older than the function
-- timeout is abandoned and may be taken over.
CREATE TABLE webhook_requests (
  source           text        NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  idempotency_key  text        NOT NULL,
  body_sha256      text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('pending', 'done')),
  response_status  integer,
  response_body    text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, idempotency_key)
);

CREATE INDEX webhook_requests_created_idx ON webhook_requests (created_at);

-- Event ids committed to the lake by the queue consumer, kept for the dedupe window.
CREATE TABLE queue_event_ids (
  source        text        NOT NULL,
  event_id      text        NOT NULL,
  committed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id)
);

CREATE INDEX queue_event_ids_committed_idx ON queue_event_ids (committed_at);
