/**
 * PostgreSQL value texts, exactly: the canonical forms of change-event.ts for the column types
 * the CDC sources use. Each parser takes what a format carries (PostgreSQL's own text, DMS's
 * text, Debezium's string modes, or a JSON number that a double holds exactly) and returns the
 * canonical value, or throws {@link PgValueError} with the reason; callers add the field name.
 *
 * Numbers never pass through floating point except where the input already was one (a JSON
 * number), and then only when the double prints back as the same digits.
 */
import { daysInMonth, daysFromCivil, civilFromDays } from '../../formats/civil-calendar';

/** Why a value does not fit its type; the format parsers wrap it into a ChangeFormatError. */
export class PgValueError extends Error {
  override readonly name = 'PgValueError';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const describe = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : typeof value);

/** A JSON number as a decimal literal, refusing values a double has already rounded. */
function numberLiteral(value: number, type: string): string {
  if (!Number.isFinite(value)) throw new PgValueError(`expected a finite ${type}, got ${value}`);
  // 2^53 and above print as integers but are no longer the source's digits.
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new PgValueError(`${value} is beyond 2^53 as a JSON number and has lost precision; send ${type} values as strings`);
  }
  return String(value);
}

const INTEGER_TEXT = /^[+-]?\d+$/;

function integerText(value: unknown, type: string): bigint {
  const text = typeof value === 'number' ? numberLiteral(value, type) : typeof value === 'string' ? value : undefined;
  if (text === undefined || !INTEGER_TEXT.test(text)) throw new PgValueError(`expected an integer (${type}), got ${describe(value)}`);
  return BigInt(text);
}

/** `bigint` (int8) → decimal string without leading zeros. */
export function parseBigint(value: unknown): string {
  const n = integerText(value, 'bigint');
  if (n < INT64_MIN || n > INT64_MAX) throw new PgValueError(`${n} is out of range for bigint`);
  return n.toString();
}

/** `integer` (int4) → number. */
export function parseInteger(value: unknown): number {
  const n = integerText(value, 'integer');
  if (n < BigInt(INT32_MIN) || n > BigInt(INT32_MAX)) throw new PgValueError(`${n} is out of range for integer`);
  return Number(n);
}

/** `smallint` (int2) → number. */
export function parseSmallint(value: unknown): number {
  const n = integerText(value, 'smallint');
  if (n < -32768n || n > 32767n) throw new PgValueError(`${n} is out of range for smallint`);
  return Number(n);
}

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?$/;
const NUMERIC_SPECIALS: Readonly<Record<string, string>> = { nan: 'NaN', infinity: 'Infinity', '+infinity': 'Infinity', '-infinity': '-Infinity', inf: 'Infinity', '+inf': 'Infinity', '-inf': '-Infinity' };

/** A decimal split into sign and digit strings, the exponent applied. */
interface DecimalParts {
  readonly negative: boolean;
  /** Integer digits without leading zeros ('' for zero). */
  readonly integer: string;
  /** Fraction digits as written, trailing zeros kept (they carry the scale). */
  readonly fraction: string;
}

function decimalParts(text: string): DecimalParts | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign, intDigits = '', fracDigits = '', exponentText] = match;
  if (intDigits.length + fracDigits.length === 0) return undefined;
  let digits = intDigits + fracDigits;
  let point = intDigits.length + (exponentText === undefined ? 0 : Number(exponentText));
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  } else if (point > digits.length) {
    digits += '0'.repeat(point - digits.length);
  }
  const integer = digits.slice(0, point).replace(/^0+/, '');
  const fraction = digits.slice(point);
  const zero = /^0*$/.test(integer + fraction);
  return { negative: sign === '-' && !zero, integer, fraction };
}

/**
 * `numeric(p,s)` / `numeric` → decimal string as PostgreSQL prints it: with `scale` given,
 * exactly `scale` fraction digits (`12.5` → `12.50`); fraction digits beyond the scale must be
 * zeros (PostgreSQL would have rounded them away, so a non-zero one means the value is not from
 * this column). Without a scale, the digits as given. `NaN` and `±Infinity` are PostgreSQL values.
 */
export function parseNumeric(value: unknown, precision?: number, scale?: number): string {
  const type = precision === undefined ? 'numeric' : `numeric(${precision},${scale ?? 0})`;
  let text: string;
  if (typeof value === 'number') text = numberLiteral(value, type);
  else if (typeof value === 'string') text = value;
  else throw new PgValueError(`expected a decimal (${type}), got ${describe(value)}`);
  const special = NUMERIC_SPECIALS[text.toLowerCase()];
  if (special !== undefined) {
    if (precision !== undefined && special !== 'NaN') throw new PgValueError(`${special} is out of range for ${type}`);
    return special;
  }
  const parts = decimalParts(text);
  if (!parts) throw new PgValueError(`expected a decimal (${type}), got ${describe(value)}`);
  let fraction = parts.fraction;
  if (scale !== undefined) {
    if (fraction.length > scale) {
      if (!/^0*$/.test(fraction.slice(scale))) throw new PgValueError(`${text} has more than ${scale} fraction digits for ${type}`);
      fraction = fraction.slice(0, scale);
    } else {
      fraction = fraction.padEnd(scale, '0');
    }
  }
  if (precision !== undefined && parts.integer.length > precision - (scale ?? 0)) {
    throw new PgValueError(`${text} is out of range for ${type}`);
  }
  const zero = /^0*$/.test(parts.integer + fraction);
  return `${parts.negative && !zero ? '-' : ''}${parts.integer || '0'}${fraction.length > 0 ? `.${fraction}` : ''}`;
}

const TRUE_TEXTS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXTS = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/** `boolean` → boolean; also PostgreSQL's text forms (`t`, `true`, `yes`, `on`, `1`, …). */
export function parseBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (TRUE_TEXTS.has(text)) return true;
    if (FALSE_TEXTS.has(text)) return false;
  }
  throw new PgValueError(`expected a boolean, got ${describe(value)}`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `text` / `varchar` → string; PostgreSQL text holds neither NUL nor unpaired surrogates. */
export function parseText(value: unknown): string {
  if (typeof value !== 'string') throw new PgValueError(`expected a string, got ${describe(value)}`);
  if (value.includes('\u0000')) throw new PgValueError('text cannot contain NUL (U+0000)');
  if (LONE_SURROGATE.test(value)) throw new PgValueError('text contains an unpaired surrogate (not valid UTF-8)');
  return value;
}

/**
 * `char(n)` → the string blank-padded to `n` characters, as PostgreSQL returns it (targets such
 * as DMS's S3 writer may drop the padding). Longer values are accepted only if the excess is
 * spaces, which PostgreSQL itself truncates.
 */
export function parseChar(value: unknown, length: number): string {
  const text = parseText(value);
  const chars = [...text];
  if (chars.length <= length) return text + ' '.repeat(length - chars.length);
  if (chars.slice(length).every((c) => c === ' ')) return chars.slice(0, length).join('');
  throw new PgValueError(`${JSON.stringify(text)} is longer than char(${length})`);
}

const UUID_TEXT = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

/** `uuid` → lower-case `8-4-4-4-12` (PostgreSQL's output; braces and missing hyphens accepted). */
export function parseUuid(value: unknown): string {
  const match = typeof value === 'string' ? UUID_TEXT.exec(value) : null;
  if (!match) throw new PgValueError(`expected a UUID, got ${describe(value)}`);
  return match.slice(1, 6).join('-').toLowerCase();
}

// ——— timestamps ———

const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|z|UTC|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;




const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Offset east of UTC in seconds (`+05:30` → 19800); PostgreSQL prints historical offsets with seconds. */
function offsetSeconds(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z' || zone === 'UTC') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(/:/g, '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length >= 4 ? Number(digits.slice(2, 4)) : 0;
  const seconds = digits.length >= 6 ? Number(digits.slice(4, 6)) : 0;
  if (digits.length % 2 !== 0 || hours > 15 || minutes > 59 || seconds > 59) throw new PgValueError(`invalid UTC offset ${JSON.stringify(zone)}`);
  return sign * (hours * 3600 + minutes * 60 + seconds);
}

/**
 * `timestamptz` → `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds: PostgreSQL's precision).
 * Accepts PostgreSQL's text (`2026-11-25 22:00:00.123456+00`), ISO-8601 with `Z` or an offset,
 * Debezium's ZonedTimestamp, and DMS's `yyyy-MM-dd HH:mm:ss.SSSSSS` (no zone: UTC). Digits past
 * the microsecond must be zeros. `infinity` / `-infinity` are kept as such. Years 0001–9999.
 */
export function parseTimestamptz(value: unknown): string {
  if (typeof value !== 'string') throw new PgValueError(`expected a timestamp string, got ${describe(value)}`);
  const lower = value.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity' || lower === '-infinity') return lower.replace('+', '');
  const match = TIMESTAMP_TEXT.exec(value);
  if (!match) throw new PgValueError(`expected a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][zone]), got ${describe(value)}`);
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fractionText = '', zone] = match;
  const year = Number(yearText), month = Number(monthText), day = Number(dayText);
  const hour = Number(hourText), minute = Number(minuteText), second = Number(secondText);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new PgValueError(`not a valid date-time: ${JSON.stringify(value)}`);
  }
  if (!/^0*$/.test(fractionText.slice(6))) throw new PgValueError(`${JSON.stringify(value)} is more precise than microseconds`);
  const micros = fractionText.slice(0, 6).padEnd(6, '0');
  const total = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds(zone);
  const days = Math.floor(total / 86400);
  const secondOfDay = total - days * 86400;
  const [y, m, d] = civilFromDays(days);
  if (y < 1 || y > 9999) throw new PgValueError(`${JSON.stringify(value)} is outside years 0001–9999`);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(Math.floor(secondOfDay / 3600), 2)}:${pad(Math.floor(secondOfDay / 60) % 60, 2)}:${pad(secondOfDay % 60, 2)}.${micros}Z`;
}

/** A canonical timestamp (`…T22:00:00.123456Z`) in DMS's S3 text form `2026-11-25 22:00:00.123456`. */
export function timestampToDmsText(canonical: string): string {
  return canonical.endsWith('Z') && canonical[10] === 'T' ? `${canonical.slice(0, 10)} ${canonical.slice(11, -1)}` : canonical;
}

/** Microseconds since the Unix epoch of a canonical timestamp, as a bigint (exact). */
export function timestampToEpochMicros(canonical: string): bigint {
  const parsed = parseTimestamptz(canonical);
  const days = daysFromCivil(Number(parsed.slice(0, 4)), Number(parsed.slice(5, 7)), Number(parsed.slice(8, 10)));
  const seconds = days * 86400 + Number(parsed.slice(11, 13)) * 3600 + Number(parsed.slice(14, 16)) * 60 + Number(parsed.slice(17, 19));
  return BigInt(seconds) * 1_000_000n + BigInt(parsed.slice(20, 26));
}

/** The canonical timestamp of a count of microseconds (or milliseconds) since the Unix epoch. */
export function epochToTimestamp(value: bigint, unit: 'ms' | 'us'): string {
  const micros = unit === 'ms' ? value * 1000n : value;
  const seconds = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
  const fraction = micros - seconds * 1_000_000n;
  const days = Number(seconds / 86400n - (seconds % 86400n < 0n ? 1n : 0n));
  const secondOfDay = Number(seconds - BigInt(days) * 86400n);
  const [y, m, d] = civilFromDays(days);
  if (y < 1 || y > 9999) throw new PgValueError(`${value} ${unit} since the epoch is outside years 0001–9999`);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(Math.floor(secondOfDay / 3600), 2)}:${pad(Math.floor(secondOfDay / 60) % 60, 2)}:${pad(secondOfDay % 60, 2)}.${pad(Number(fraction), 6)}Z`;
}

/**
 * The decimal text of a big-endian two's-complement integer scaled by `10^-scale` (Kafka
 * Connect's `Decimal` logical type, which Debezium uses for `decimal.handling.mode=precise`).
 */
export function unscaledBytesToDecimal(bytes: Uint8Array, scale: number): string {
  if (bytes.length === 0) throw new PgValueError('empty decimal bytes');
  let unscaled = 0n;
  for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
  if ((bytes[0]! & 0x80) !== 0) unscaled -= 1n << BigInt(bytes.length * 8);
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${negative ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** The inverse of {@link unscaledBytesToDecimal} for a decimal string with exactly `scale` fraction digits. */
export function decimalToUnscaledBytes(decimal: string, scale: number): Uint8Array {
  const parts = decimalParts(decimal);
  if (!parts) throw new PgValueError(`not a decimal: ${JSON.stringify(decimal)}`);
  let unscaled = BigInt((parts.integer || '0') + parts.fraction.padEnd(scale, '0').slice(0, scale));
  if (parts.negative) unscaled = -unscaled;
  // Minimal two's-complement width.
  let length = 1;
  while (unscaled < -(1n << BigInt(length * 8 - 1)) || unscaled >= 1n << BigInt(length * 8 - 1)) length++;
  const bytes = new Uint8Array(length);
  let rest = unscaled < 0n ? unscaled + (1n << BigInt(length * 8)) : unscaled;
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}
