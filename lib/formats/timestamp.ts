/**
 * ISO-8601 / RFC 3339 timestamps to ISO-8601 UTC (`2026-11-26T17:43:37.123Z`).
 *
 * Accepted: `YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|±hh[:mm]|±hhmm]`. A value without a zone is
 * read as UTC (the convention of Firehose and Athena). `Date.parse` alone is not used to
 * validate: it also takes forms such as `Nov 26 2026` and rolls `02-30` over into March.
 * Fractions beyond milliseconds are truncated (JSON consumers and Parquet TIMESTAMP_MILLIS hold
 * milliseconds). This runs once per CSV row, so it reads characters rather than a regex.
 */
import { daysInMonth, daysFromCivil, civilFromDays } from './civil-calendar';
const ZERO = 48;

/** The number in `text[from, from + length)` if it is all ASCII digits, else -1. */
function digits(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}


/** The offset east of UTC in minutes for `Z`, `±hh`, `±hh:mm` or `±hhmm`; undefined if malformed. */
function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z' || zone === '') return 0;
  const sign = zone[0] === '+' ? 1 : zone[0] === '-' ? -1 : 0;
  const rest = zone.length === 6 && zone[3] === ':' ? zone.slice(1, 3) + zone.slice(4) : zone.slice(1);
  if (sign === 0 || (rest.length !== 2 && rest.length !== 4)) return undefined;
  const hours = digits(rest, 0, 2);
  const minutes = rest.length === 4 ? digits(rest, 2, 2) : 0;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** The UTC ISO-8601 form of `text`, or `undefined` if it is not a valid timestamp. */
export function normaliseTimestamp(text: string): string | undefined {
  if (text.length < 19 || text[4] !== '-' || text[7] !== '-' || (text[10] !== 'T' && text[10] !== ' ') || text[13] !== ':' || text[16] !== ':') {
    return undefined;
  }
  const year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return undefined;
  }
  // Date.UTC would roll over (Feb 30 → Mar 2): reject days the month does not have.
  if (day > daysInMonth(year, month)) return undefined;
  let end = 19;
  let ms = '000';
  if (text[19] === '.' || text[19] === ',') {
    while (end + 1 < text.length && text.charCodeAt(end + 1) >= ZERO && text.charCodeAt(end + 1) <= ZERO + 9) end++;
    const fraction = end - 19;
    if (fraction < 1 || fraction > 9) return undefined;
    ms = (text.slice(20, end + 1) + '00').slice(0, 3);
    end++;
  }
  const offset = zoneOffsetMinutes(text.slice(end));
  if (offset === undefined) return undefined;
  // Already UTC: the canonical form is a re-spelling, no date arithmetic needed (the hot path).
  if (offset === 0) return `${text.slice(0, 10)}T${text.slice(11, 19)}.${ms}Z`;
  // Shift by the offset in whole minutes with civil-calendar arithmetic (no Date objects).
  const minutes = hour * 60 + minute - offset;
  const dayShift = Math.floor(minutes / 1440);
  const minuteOfDay = minutes - dayShift * 1440;
  const [y, m, d] = civilFromDays(daysFromCivil(year, month, day) + dayShift);
  // Years 0000–9999 only, as ISO-8601 without an expanded year writes them.
  if (y < 0 || y > 9999) return undefined;
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(Math.floor(minuteOfDay / 60), 2)}:${pad(minuteOfDay % 60, 2)}:${text.slice(17, 19)}.${ms}Z`;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');


