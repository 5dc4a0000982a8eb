/**
 * PostgreSQL's text output of a value → the canonical {@link ColumnValue} of change-event.ts, by
 * the column's type OID. The same function types the full load (rows read as text) and the
 * replication stream (pgoutput sends text), so a row reads the same whichever way it arrived.
 *
 * Exactness first: `int8` and `numeric` stay strings (no JS number in between), `timestamptz`
 * becomes UTC ISO-8601 with all six fraction digits, `char(n)` keeps its padding. The text must be
 * produced with `DateStyle=ISO` (see {@link CANONICAL_SESSION_OPTIONS}); the zone offset is
 * applied, so any `TimeZone` gives the same canonical instant. The parsing itself is the formats'
 * (formats/pg-values.ts), so captured values are canonical by the very rules the replay checks.
 */
import type { ColumnValue } from '../change-event';
import { parseBigint, parseBoolean, parseInteger, parseNumeric, parseSmallint, parseTimestamptz, parseUuid, PgValueError } from '../formats/pg-values';

/** Built-in type OIDs (pg_type.oid; fixed across PostgreSQL versions). */
export const PG_TYPE = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/**
 * Session settings under which PostgreSQL writes values in the text this module expects: pass as
 * the `options` of every connection that reads source values (the walsender's included: pgoutput
 * formats values with its session's settings). `extra_float_digits=1` is PostgreSQL 12+'s
 * shortest exact float output (the default, set in case a server changed it).
 */
export const CANONICAL_SESSION_OPTIONS = '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c extra_float_digits=1 -c bytea_output=hex';

/** A value whose text is not what its type writes (a bug upstream, or a session not in ISO style). */
export class PgValueTextError extends Error {
  override readonly name = 'PgValueTextError';
  constructor(readonly typeOid: number, readonly text: string, reason: string) {
    super(`type ${typeOid}: ${JSON.stringify(text)}: ${reason}`);
  }
}

/** `YYYY-MM-DD HH:MM:SS[.f…]`: PostgreSQL's ISO text of a timestamp without time zone. */
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * `timestamptz` text (`2026-03-29 01:30:00.1234+05:45`) → `2026-03-28T19:45:00.123400Z`, by the
 * formats' own parser (one canonical form everywhere). `infinity`/`-infinity` stay as they are; so
 * do BC dates and years past 9999, which have no canonical form (the capture must not stop on a
 * value PostgreSQL accepts: a target that cannot take it rejects that one change).
 */
export function canonicalTimestamptz(text: string): string {
  try {
    return parseTimestamptz(text);
  } catch (error) {
    if (error instanceof PgValueError && (/ BC$/.test(text) || /^\d{5,}-/.test(text))) return text;
    throw new PgValueTextError(PG_TYPE.timestamptz, text, (error as Error).message);
  }
}

/** `2026-03-29 01:30:00.5` → `2026-03-29T01:30:00.500000` (no zone: a timestamp without time zone); BC and infinite values as they are. */
export function canonicalTimestamp(text: string): string {
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) {
    if (text === 'infinity' || text === '-infinity' || / BC$/.test(text) || /^\d{5,}-/.test(text)) return text;
    throw new PgValueTextError(PG_TYPE.timestamp, text, 'not an ISO timestamp without zone (is DateStyle ISO?)');
  }
  const [, year, month, day, hour, minute, second, fraction = ''] = match;
  return `${year!}-${month!}-${day!}T${hour!}:${minute!}:${second!}.${fraction.padEnd(6, '0')}`;
}

/** Runs one of the formats' parsers on server text, reporting a mismatch as a {@link PgValueTextError}. */
function parsed<T>(typeOid: number, text: string, parse: (value: unknown) => T): T {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof PgValueError) throw new PgValueTextError(typeOid, text, error.message);
    throw error;
  }
}

/**
 * PostgreSQL's text of a value (`null` for SQL NULL) → its canonical {@link ColumnValue}, the same
 * form the formats' parsers (formats/pg-values.ts) give for the shop tables' types: int2/int4 →
 * number, int8 → decimal string, numeric → its text (PostgreSQL prints the column's scale), bool →
 * boolean, timestamptz → UTC ISO with microseconds, char(n) → padded text, uuid → lower case.
 * Types the canonical model does not name keep PostgreSQL's text (floats become numbers when finite).
 */
export function pgTextToColumnValue(typeOid: number, text: string | null): ColumnValue {
  if (text === null) return null;
  switch (typeOid) {
    case PG_TYPE.bool:
      return parsed(typeOid, text, parseBoolean);
    case PG_TYPE.int2:
      return parsed(typeOid, text, parseSmallint);
    case PG_TYPE.int4:
      return parsed(typeOid, text, parseInteger);
    case PG_TYPE.int8:
      return parsed(typeOid, text, parseBigint);
    case PG_TYPE.numeric:
      return parsed(typeOid, text, (value) => parseNumeric(value));
    case PG_TYPE.oid:
      return Number(text);
    case PG_TYPE.float4:
    case PG_TYPE.float8: {
      // Shortest round-trip text: Number() gives back the very double; NaN/Infinity stay text (JSON has no such numbers).
      const value = Number(text);
      return Number.isFinite(value) ? value : text;
    }
    case PG_TYPE.timestamptz:
      return canonicalTimestamptz(text);
    case PG_TYPE.timestamp:
      return canonicalTimestamp(text);
    case PG_TYPE.uuid:
      return parsed(typeOid, text, parseUuid);
    default:
      // text, varchar, char(n) (PostgreSQL sends the padding), date, json … as written.
      return text;
  }
}
