// Realistic synthetic events of the two example schemas, deterministic for a seed: skewed
// users and pages (a few are hot), a share of late events, sized to a target byte length.
// Used by the benchmark and the traffic producer.

/** A small, fast, seedable PRNG (mulberry32) so runs are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@link syntheticEvent}. */
export interface SyntheticEventOptions {
  /** Event time of an on-time event, epoch ms. */
  readonly now: number;
  /** Approximate JSON size of each event in bytes. */
  readonly targetBytes?: number;
  /** Share of events 10-90 minutes old (late). */
  readonly lateShare?: number;
  /** Share of purchases among events. */
  readonly purchaseShare?: number;
}

const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA', 'ES', 'IT'];
const PAGES = ['/', '/pricing', '/docs', '/blog', '/checkout', '/cart', '/search', '/account', '/product', '/about'];

/** Zipf-like skew: index 0 is the most frequent. */
function skewed(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(n * random() ** 3));
}

/**
 * One valid event as a producer would send it (snake_case contract fields plus payload).
 *
 * @example const random = seededRandom(1); const event = syntheticEvent(random, 0, { now: Date.now() });
 */
export function syntheticEvent(random: () => number, n: number, options: SyntheticEventOptions): Record<string, unknown> {
  const late = random() < (options.lateShare ?? 0.02);
  const ts = options.now - (late ? 600_000 + Math.floor(random() * 4_800_000) : Math.floor(random() * 5_000));
  const user = `user-${skewed(random, 100_000)}`;
  const country = COUNTRIES[skewed(random, COUNTRIES.length)]!;
  const base = { event_id: eventId(random, n), ts: new Date(ts).toISOString(), schema_version: 1 };
  const event: Record<string, unknown> =
    random() < (options.purchaseShare ?? 0.2)
      ? {
          ...base,
          event_type: 'purchase',
          source: 'shop',
          user_id: user,
          order_id: `order-${n}`,
          amount: Math.round(random() * 50_000) / 100,
          currency: 'EUR',
          country,
        }
      : {
          ...base,
          event_type: 'page_view',
          source: 'web',
          user_id: user,
          session_id: `${user}-s${Math.floor(random() * 5)}`,
          url: `https://shop.example.com${PAGES[skewed(random, PAGES.length)]!}?item=${Math.floor(random() * 10_000)}`,
          referrer: random() < 0.5 ? 'https://www.search.example/?q=shoes' : '',
          country,
          duration_ms: Math.floor(random() * 60_000),
        };
  return padTo(event, options.targetBytes ?? 500, random);
}

/**
 * Grows an event to the target size the way real traffic is large: page views carry long
 * URLs with tracking parameters; purchases carry their line items (an undeclared field, so
 * it lands in the `extra` column); now and then a campaign tag (also undeclared).
 */
function padTo(event: Record<string, unknown>, targetBytes: number, random: () => number): Record<string, unknown> {
  const padded: Record<string, unknown> = { ...event };
  if (random() < 0.1) padded['campaign'] = `winter-sale-${Math.floor(random() * 20)}`;
  if (event['event_type'] === 'purchase') {
    const items: { sku: string; qty: number; price: number }[] = [];
    while (JSON.stringify(padded).length < targetBytes - 40) {
      items.push({ sku: `SKU-${Math.floor(random() * 100_000)}`, qty: 1 + Math.floor(random() * 3), price: Math.round(random() * 10_000) / 100 });
      padded['items'] = items;
    }
    return padded;
  }
  const missing = targetBytes - JSON.stringify(padded).length;
  if (missing <= 0) return padded;
  const tracking = `&utm_source=newsletter&utm_medium=email&utm_campaign=c${Math.floor(random() * 1000)}&gclid=`;
  let token = '';
  while (tracking.length + token.length < missing) token += Math.floor(random() * 2 ** 32).toString(36);
  padded['url'] = `${String(event['url'])}${(tracking + token).slice(0, missing)}`;
  return padded;
}

function eventId(random: () => number, n: number): string {
  const hex = (bits: number) => Math.floor(random() * 2 ** bits).toString(16).padStart(bits / 4, '0');
  return `${hex(32)}-${hex(16)}-4${hex(12)}-${hex(16)}-${n.toString(16).padStart(12, '0')}`;
}
