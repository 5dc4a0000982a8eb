/**
 * Values for the shop workload, chosen to break lossy pipelines: 64-bit ids above 2^53, numerics
 * with every digit their scale allows, timestamps in odd zones with microseconds, text with
 * emoji, accents, CJK, quotes, commas and line breaks, `char(2)` values that PostgreSQL pads.
 * Every value is PostgreSQL input text (passed as a text parameter: no JS number in between).
 */
import { intBetween, pick, type Random } from '../../datasets/random';

const NAMES = [
  'José Ñúñez',
  'Zoë Ødegaard-Šťastná',
  '李小龙',
  '山田 太郎',
  '김민준',
  'Renée 🚀 O’Brien',
  'Ωmega "Quoted", Comma',
  'Line\nBreak',
  'Tab\tand \\backslash',
  'Ahmed محمد',
  '👩🏽‍💻 Dev',
  'Plain Name',
];

const WORDS = ['café', 'naïve', '日本語', '🍕', 'smörgåsbord', 'crème brûlée', '"quoted"', 'a,b,c', 'über', '€100', 'line\nbreak', 'ß', 'Ελληνικά'];

const COUNTRIES = ['US', 'FR', 'JP', 'DE', 'BR', 'X', 'Q'];

const ZONES = ['+00', '+01', '-05', '+05:30', '+05:45', '-03:30', '+14', '-12', '+09'];

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;

const hex = (random: Random, digits: number): string => {
  let text = '';
  for (let i = 0; i < digits; i++) text += Math.floor(random() * 16).toString(16);
  return text;
};

/** A version-4 UUID from the seeded generator. */
export function seededUuid(random: Random): string {
  const variant = (8 + Math.floor(random() * 4)).toString(16);
  return `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${variant}${hex(random, 3)}-${hex(random, 12)}`;
}

/** A decimal with up to `precision − scale` integer digits and exactly `scale` fraction digits, often at full width. */
export function decimalText(random: Random, precision: number, scale: number, allowNegative = true): string {
  const integerDigits = random() < 0.4 ? precision - scale : intBetween(random, 1, precision - scale);
  let whole = String(intBetween(random, 1, 9));
  for (let i = 1; i < integerDigits; i++) whole += String(intBetween(random, 0, 9));
  if (random() < 0.1) whole = '0';
  let fraction = '';
  for (let i = 0; i < scale; i++) fraction += String(intBetween(random, 0, 9));
  const sign = allowNegative && random() < 0.2 ? '-' : '';
  return `${sign}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** A timestamptz input in a random zone, with 0, 3 or 6 fraction digits. */
export function timestamptzText(random: Random): string {
  const year = intBetween(random, 2019, 2027);
  const month = intBetween(random, 1, 12);
  const day = intBetween(random, 1, 28);
  const p = (n: number): string => String(n).padStart(2, '0');
  const time = `${p(intBetween(random, 0, 23))}:${p(intBetween(random, 0, 59))}:${p(intBetween(random, 0, 59))}`;
  const digits = pick(random, [0, 3, 6, 6]);
  const fraction = digits === 0 ? '' : `.${String(Math.floor(random() * 10 ** digits)).padStart(digits, '0')}`;
  return `${year}-${p(month)}-${p(day)} ${time}${fraction}${pick(random, ZONES)}`;
}

export const personName = (random: Random): string => pick(random, NAMES);

/** A country code: usually two letters, sometimes one (stored padded as `X `), sometimes NULL. */
export const countryCode = (random: Random): string | null => (random() < 0.1 ? null : pick(random, COUNTRIES));

/**
 * Free text: a few words, or (rarely) several kilobytes of incompressible text, which PostgreSQL
 * stores out of line (TOAST): an update that leaves it alone sends it as "unchanged".
 */
export function freeText(random: Random, marker = ''): string {
  if (random() < 0.05) {
    let text = marker;
    while (text.length < 4000) text += String.fromCodePoint(0x4e00 + Math.floor(random() * 0x5000)) + hex(random, 6);
    return text;
  }
  const count = intBetween(random, 1, 5);
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(pick(random, WORDS));
  return `${marker}${words.join(' ')}`;
}

export const skuText = (random: Random): string => (random() < 0.1 ? `SKU-${hex(random, 4).toUpperCase()}-ü` : `SKU-${hex(random, 6).toUpperCase()}`);
