/**
 * Deterministic clickstream CSV rows (columns in the order of schemas/clickstream.json), for the
 * main job, tests and benchmarks. Realistic on purpose: URLs with commas and quotes that need
 * CSV quoting, empty nullable fields, timestamps with zone offsets, a few unicode pages.
 */
import type { Random } from './random';
import { intBetween, pick, seededRandom } from './random';
import { formatCsvRows } from '../formats/csv/csv-rows';

const EVENT_TYPES = ['page_view', 'page_view', 'page_view', 'click', 'click', 'search', 'add_to_cart', 'checkout', 'purchase'] as const;
const DEVICES = ['desktop', 'mobile', 'mobile', 'tablet'] as const;
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IE', 'NL', 'ES', 'JP', 'BR', 'IN'] as const;
const PAGES = ['/', '/products', '/products/42', '/cart', '/checkout', '/blog/streaming-101', '/search?q=red,shoes', '/p/Crème-brûlée', '/help?topic="returns"'] as const;
const REFERRERS = ['', '', 'https://www.google.com/', 'https://news.ycombinator.com/item?id=1', 'https://t.co/abc'] as const;
const ZONES = ['Z', 'Z', 'Z', '+02:00', '-05:00', '+0530'] as const;

function uuid(random: Random): string {
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(random, ['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
}

function timestampText(random: Random, epochMs: number): string {
  const zone = pick(random, ZONES);
  const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (+zone.slice(1, 3) * 60 + +zone.slice(-2));
  const local = new Date(epochMs + offsetMin * 60_000).toISOString().slice(0, 23);
  return local + zone;
}

export interface ClickstreamOptions {
  readonly seed?: number;
  /** Events start here and advance a few hundred ms each. */
  readonly startMs?: number;
}

export const DEFAULT_START_MS = Date.UTC(2026, 10, 25, 22, 0, 0);

/** `count` rows of CSV fields, valid against the clickstream schema. */
export function generateClickstreamRows(count: number, options: ClickstreamOptions = {}): string[][] {
  const random = seededRandom(options.seed ?? 42);
  let now = options.startMs ?? DEFAULT_START_MS;
  const rows: string[][] = [];
  for (let i = 0; i < count; i++) {
    now += intBetween(random, 0, 600);
    const eventType = pick(random, EVENT_TYPES);
    const user = intBetween(random, 1, 5000);
    rows.push([
      uuid(random),
      `u-${user}`,
      `s-${user}-${Math.floor(now / 1_800_000)}`,
      eventType,
      `https://shop.example.com${pick(random, PAGES)}`,
      pick(random, REFERRERS),
      pick(random, DEVICES),
      pick(random, COUNTRIES),
      timestampText(random, now),
      String(intBetween(random, 0, 120_000)),
      eventType === 'purchase' ? (intBetween(random, 100, 50_000) / 100).toFixed(2) : '',
    ]);
  }
  return rows;
}

/** The rows as CSV text, LF-terminated, quoted where needed. */
export function clickstreamCsv(count: number, options: ClickstreamOptions = {}): string {
  return formatCsvRows(generateClickstreamRows(count, options));
}
