/** One valid clickstream row as the Firehose transform writes it, and NDJSON lines built from it. */
export const GOOD_ROW = {
  event_id: '0b4e7a0e-1c1a-4f6a-9a53-3e2f9f1d2c11', user_id: 'u-1', session_id: 's-1', event_type: 'purchase',
  page_url: 'https://shop.example.com/p/Crème-brûlée', referrer: null, device: 'mobile', country: 'FR',
  timestamp: '2026-11-25T22:00:00.361Z', duration_ms: 1200, revenue: 12.5,
};

/** A JSON line of {@link GOOD_ROW} with some properties replaced. */
export const line = (overrides: Record<string, unknown> = {}): string => JSON.stringify({ ...GOOD_ROW, ...overrides });
