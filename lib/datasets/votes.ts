/**
 * Deterministic votes (schemas/vote.json) and ledger entries (schemas/ledger-entry.json) for the
 * queue half of the main job, tests and benchmarks: a few polls with skewed options, and accounts
 * whose entries are numbered 1, 2, 3 … with exact decimal amounts.
 */
import type { Random } from './random';
import { intBetween, pick, seededRandom } from './random';

export interface Vote {
  vote_id: string;
  poll_id: string;
  option: string;
  voter_id: string;
  cast_at: string;
  channel: 'web' | 'mobile' | 'sms' | 'kiosk';
}

export interface LedgerEntry {
  entry_id: string;
  account_id: string;
  sequence: number;
  amount: string;
  currency: string;
  booked_at: string;
  description?: string;
}

export const QUEUES_START_MS = Date.UTC(2026, 10, 25, 22, 0, 0);
const POLLS: Readonly<Record<string, readonly string[]>> = {
  'best-pipeline-2026': ['kinesis', 'kinesis', 'kinesis', 'firehose', 'firehose', 'sqs', 'dms'],
  'favourite-format': ['parquet', 'parquet', 'json', 'csv', 'avro'],
  'lunch-vote': ['pizza', 'ramen', 'salad', 'tacos'],
};
const CHANNELS = ['web', 'web', 'mobile', 'mobile', 'sms', 'kiosk'] as const;
const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;

function uuid(random: Random): string {
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(random, ['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
}

/** `count` valid votes, each with its own vote_id, cast a few ms apart. */
export function generateVotes(count: number, options: { seed?: number; startMs?: number } = {}): Vote[] {
  const random = seededRandom(options.seed ?? 11);
  let now = options.startMs ?? QUEUES_START_MS;
  return Array.from({ length: count }, () => {
    now += intBetween(random, 0, 40);
    const poll = pick(random, Object.keys(POLLS));
    return {
      vote_id: uuid(random),
      poll_id: poll,
      option: pick(random, POLLS[poll]!),
      voter_id: `v-${intBetween(random, 1, 1_000_000).toString(16)}`,
      cast_at: new Date(now).toISOString(),
      channel: pick(random, CHANNELS),
    };
  });
}

/** `count` entries spread over `accounts` accounts, numbered per account from 1, in booking order. */
export function generateLedgerEntries(count: number, options: { seed?: number; accounts?: number; startMs?: number } = {}): LedgerEntry[] {
  const random = seededRandom(options.seed ?? 13);
  const accounts = Array.from({ length: Math.max(1, options.accounts ?? 20) }, (_, i) => ({ id: `acct-${String(i + 1).padStart(4, '0')}`, currency: pick(random, CURRENCIES), next: 1 }));
  let now = options.startMs ?? QUEUES_START_MS;
  return Array.from({ length: count }, () => {
    now += intBetween(random, 0, 200);
    const account = pick(random, accounts);
    const cents = intBetween(random, -50_000, 120_000);
    const sign = cents < 0 ? '-' : '';
    const abs = Math.abs(cents);
    return {
      entry_id: uuid(random),
      account_id: account.id,
      sequence: account.next++,
      amount: `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`,
      currency: account.currency,
      booked_at: new Date(now).toISOString(),
      description: cents < 0 ? 'card payment' : 'transfer in',
    };
  });
}
