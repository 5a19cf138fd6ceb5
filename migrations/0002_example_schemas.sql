-- The two example event schemas of DESIGN.md, used by the producer, the tests and the docs.
-- Payload fields only: the envelope fields (event_id, event_type, source, ts, schema_version)
-- are checked by the contract before the schema runs.

INSERT INTO event_schemas (event_type, version, description, json_schema) VALUES
('page_view', 1, 'A page was viewed', $json$
{
  "type": "object",
  "required": ["user_id", "url"],
  "properties": {
    "user_id":     { "type": "string", "minLength": 1, "maxLength": 256 },
    "session_id":  { "type": "string", "maxLength": 256 },
    "url":         { "type": "string", "minLength": 1, "maxLength": 4096 },
    "referrer":    { "type": "string", "maxLength": 4096 },
    "country":     { "type": "string", "pattern": "^[A-Z]{2}$" },
    "duration_ms": { "type": "integer", "minimum": 0 }
  }
}
$json$),
('purchase', 1, 'An order was paid', $json$
{
  "type": "object",
  "required": ["user_id", "order_id", "amount", "currency"],
  "properties": {
    "user_id":  { "type": "string", "minLength": 1, "maxLength": 256 },
    "order_id": { "type": "string", "minLength": 1, "maxLength": 256 },
    "amount":   { "type": "number", "minimum": 0 },
    "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
    "country":  { "type": "string", "pattern": "^[A-Z]{2}$" }
  }
}
$json$)
ON CONFLICT (event_type, version) DO NOTHING;
