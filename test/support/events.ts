// Valid and invalid example events of the two shipped schemas (DESIGN.md "The event contract").
import { randomUUID } from 'node:crypto';

export function pageView(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    event_type: 'page_view',
    source: 'web',
    ts: '2026-11-26T09:15:00.000Z',
    schema_version: 1,
    user_id: 'u-1',
    session_id: 's-1',
    url: 'https://example.com/',
    country: 'DE',
    duration_ms: 1200,
    ...overrides,
  };
}

export function purchase(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    event_type: 'purchase',
    source: 'shop',
    ts: Date.UTC(2026, 10, 26, 10, 5),
    user_id: 'u-2',
    order_id: 'o-1',
    amount: 19.99,
    currency: 'EUR',
    ...overrides,
  };
}
