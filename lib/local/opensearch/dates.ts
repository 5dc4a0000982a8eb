/**
 * Date parsing as OpenSearch's `date` fields do it: a format is one or more names or Java-style
 * patterns joined by `||`, tried in order; values become epoch milliseconds (UTC unless the value
 * has an offset). Also the date math of range queries (`now-1d/d`, `2024-01-01||+1M`).
 *
 * Built-in formats supported: `strict_date_optional_time`, `date_optional_time`, `epoch_millis`,
 * `epoch_second`, `strict_date_time`/`date_time`, `strict_date_time_no_millis`/`date_time_no_millis`,
 * `strict_date`/`date`, `basic_date`, `basic_date_time`, `basic_date_time_no_millis`; patterns of
 * `yyyy uuuu MM dd HH mm ss S… X Z` and quoted literals. Anything else is refused when the mapping
 * is defined (honest rather than silently wrong).
 * @see https://opensearch.org/docs/latest/field-types/supported-field-types/date/
 */

/** The default format of a `date` field. */
export const DEFAULT_DATE_FORMAT = 'strict_date_optional_time||epoch_millis';

/** The formats dynamic mapping tries on strings (`dynamic_date_formats`), with the format the new field gets. */
export const DEFAULT_DYNAMIC_DATE_FORMATS: readonly string[] = [DEFAULT_DATE_FORMAT, 'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis'];

type Parser = (text: string) => number | undefined;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function utc(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction: string | undefined, offsetMinutes: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return undefined; // 29 February of a common year
  date.setUTCHours(hour, minute, second, fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000 + 1e-9));
  return date.getTime() - offsetMinutes * 60_000;
}

function offsetOf(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (match === null) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  if (hours > 18 || minutes > 59) return undefined;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** A parser over a pattern whose groups are year, month, day, hour, minute, second, fraction, zone (absent parts default). */
function matchParser(pattern: RegExp): Parser {
  return (text) => {
    const m = pattern.exec(text);
    if (m === null) return undefined;
    const offset = offsetOf(m[8]);
    if (offset === undefined) return undefined;
    return utc(Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7] || undefined, offset);
  };
}

function isoParser(strict: boolean, requireTime: 'optional' | 'full' | 'full_no_millis' | 'none'): Parser {
  const d = strict ? '\\d{2}' : '\\d{1,2}';
  const y = strict ? '\\d{4}' : '[+-]?\\d{1,9}';
  const zone = '(Z|z|[+-]\\d{2}(?::?\\d{2})?)';
  let source: string;
  switch (requireTime) {
    case 'optional':
      source = `^(${y})(?:-(${d})(?:-(${d})(?:T(${d})(?::(${d})(?::(${d})(?:[.,](\\d{1,9}))?)?)?${zone}?)?)?)?$`;
      break;
    case 'full':
      source = `^(${y})-(${d})-(${d})T(${d}):(${d}):(${d})[.,](\\d{1,9})${zone}$`;
      break;
    case 'full_no_millis':
      source = `^(${y})-(${d})-(${d})T(${d}):(${d}):(${d})()${zone}$`;
      break;
    case 'none':
      source = `^(${y})-(${d})-(${d})$`;
      break;
  }
  return matchParser(new RegExp(source));
}

const epochParser = (scale: number): Parser => (text) => {
  if (!/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  const value = Number(text) * scale;
  return Number.isFinite(value) ? Math.trunc(value) : undefined;
};

function basicParser(withTime: 'none' | 'millis' | 'no_millis'): Parser {
  const source = withTime === 'none'
    ? '^(\\d{4})(\\d{2})(\\d{2})$'
    : withTime === 'millis'
      ? '^(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})\\.(\\d{3})(Z|[+-]\\d{2}:?\\d{2})$'
      : '^(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})()(Z|[+-]\\d{2}:?\\d{2})$';
  return matchParser(new RegExp(source));
}

const NAMED: Readonly<Record<string, Parser>> = {
  strict_date_optional_time: isoParser(true, 'optional'),
  date_optional_time: isoParser(false, 'optional'),
  strict_date_optional_time_nanos: isoParser(true, 'optional'),
  epoch_millis: epochParser(1),
  epoch_second: epochParser(1000),
  strict_date_time: isoParser(true, 'full'),
  date_time: isoParser(false, 'full'),
  strict_date_time_no_millis: isoParser(true, 'full_no_millis'),
  date_time_no_millis: isoParser(false, 'full_no_millis'),
  strict_date: isoParser(true, 'none'),
  date: isoParser(false, 'none'),
  basic_date: basicParser('none'),
  basic_date_time: basicParser('millis'),
  basic_date_time_no_millis: basicParser('no_millis'),
};

/** Compiles a Java `DateTimeFormatter`-style pattern (the common letters only). */
function patternParser(pattern: string): Parser | undefined {
  const groups: ('y' | 'M' | 'd' | 'H' | 'm' | 's' | 'S' | 'X')[] = [];
  let source = '^';
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return undefined;
      source += (end === i + 1 ? "'" : pattern.slice(i + 1, end)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i = end + 1;
      continue;
    }
    let run = 1;
    while (pattern[i + run] === c) run++;
    i += run;
    if (/[a-zA-Z]/.test(c)) {
      switch (c) {
        case 'y': case 'u': groups.push('y'); source += run === 2 ? '(\\d{2})' : '(\\d{4})'; break;
        case 'M': if (run > 2) return undefined; groups.push('M'); source += run === 1 ? '(\\d{1,2})' : '(\\d{2})'; break;
        case 'd': groups.push('d'); source += run === 1 ? '(\\d{1,2})' : '(\\d{2})'; break;
        case 'H': groups.push('H'); source += run === 1 ? '(\\d{1,2})' : '(\\d{2})'; break;
        case 'm': groups.push('m'); source += run === 1 ? '(\\d{1,2})' : '(\\d{2})'; break;
        case 's': groups.push('s'); source += run === 1 ? '(\\d{1,2})' : '(\\d{2})'; break;
        case 'S': groups.push('S'); source += `(\\d{${run}})`; break;
        case 'X': case 'Z': case 'x': groups.push('X'); source += '(Z|[+-]\\d{2}(?::?\\d{2})?)'; break;
        default: return undefined;
      }
    } else {
      source += c.repeat(run).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(`${source}$`);
  return (text) => {
    const m = regex.exec(text);
    if (m === null) return undefined;
    const parts: Partial<Record<(typeof groups)[number], string>> = {};
    groups.forEach((g, i) => (parts[g] = m[i + 1]));
    const offset = offsetOf(parts.X);
    if (offset === undefined) return undefined;
    let year = Number(parts.y ?? 1970);
    if (parts.y?.length === 2) year += 2000;
    return utc(year, Number(parts.M ?? 1), Number(parts.d ?? 1), Number(parts.H ?? 0), Number(parts.m ?? 0), Number(parts.s ?? 0), parts.S, offset);
  };
}

const compiled = new Map<string, Parser | undefined>();

function parserOf(format: string): Parser | undefined {
  if (compiled.has(format)) return compiled.get(format);
  const parser = NAMED[format] ?? patternParser(format);
  compiled.set(format, parser);
  return parser;
}

/** The formats of `format` that the emulator does not know (empty when all are supported). */
export function unsupportedDateFormats(format: string): string[] {
  return format.split('||').filter((f) => parserOf(f.trim()) === undefined);
}

/** Why a value is not a date in the given format: the `caused_by` chain OpenSearch gives. */
export class DateParseFailure extends Error {
  override readonly name = 'DateParseFailure';
  constructor(
    readonly input: string,
    readonly format: string,
  ) {
    super(`failed to parse date field [${input}] with format [${format}]`);
  }

  /** The inner `date_time_parse_exception` reason. */
  get innerReason(): string {
    return this.format.includes('||') ? 'Failed to parse with all enclosed parsers' : `Text '${this.input}' could not be parsed at index 0`;
  }
}

/** Epoch milliseconds of `text` in `format`; throws {@link DateParseFailure}. */
export function parseDate(text: string, format: string = DEFAULT_DATE_FORMAT): number {
  for (const one of format.split('||')) {
    const value = parserOf(one.trim())?.(text);
    if (value !== undefined && Number.isFinite(value)) return value;
  }
  throw new DateParseFailure(text, format);
}

// ---- date math ----

const UNIT_MS: Readonly<Record<string, number>> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, H: 3_600_000, m: 60_000, s: 1000 };

function addUnits(ms: number, amount: number, unit: string): number {
  if (unit === 'y' || unit === 'M') {
    const date = new Date(ms);
    if (unit === 'y') date.setUTCFullYear(date.getUTCFullYear() + amount);
    else date.setUTCMonth(date.getUTCMonth() + amount);
    return date.getTime();
  }
  const size = UNIT_MS[unit];
  if (size === undefined) throw new Error(`unit [${unit}] not supported for date math`);
  return ms + amount * size;
}

function roundDown(ms: number, unit: string, offsetMinutes: number): number {
  const local = new Date(ms + offsetMinutes * 60_000);
  switch (unit) {
    case 'y': local.setUTCMonth(0, 1); local.setUTCHours(0, 0, 0, 0); break;
    case 'M': local.setUTCDate(1); local.setUTCHours(0, 0, 0, 0); break;
    case 'w': {
      const dayFromMonday = (local.getUTCDay() + 6) % 7;
      local.setUTCDate(local.getUTCDate() - dayFromMonday);
      local.setUTCHours(0, 0, 0, 0);
      break;
    }
    case 'd': local.setUTCHours(0, 0, 0, 0); break;
    case 'h': case 'H': local.setUTCMinutes(0, 0, 0); break;
    case 'm': local.setUTCSeconds(0, 0); break;
    case 's': local.setUTCMilliseconds(0); break;
    default: throw new Error(`rounding unit [${unit}] not supported for date math`);
  }
  return local.getTime() - offsetMinutes * 60_000;
}

/**
 * Resolves a date or date-math expression to epoch ms. `roundUp` (for `gt` and `lte`) rounds
 * `/unit` to the unit's last millisecond, as OpenSearch does. Throws an `Error` explaining a bad
 * expression, or {@link DateParseFailure}.
 */
export function resolveDateMath(expression: string | number, format: string, options: { roundUp: boolean; now: number; timeZoneOffsetMinutes?: number }): number {
  if (typeof expression === 'number') return parseDate(String(expression), format.includes('epoch_') ? format : `${format}||epoch_millis`);
  let base: number;
  let math: string;
  if (expression.startsWith('now')) {
    base = options.now;
    math = expression.slice(3);
  } else {
    const split = expression.indexOf('||');
    if (split < 0) return parseDateWithZone(expression, format, options.timeZoneOffsetMinutes ?? 0);
    base = parseDateWithZone(expression.slice(0, split), format, options.timeZoneOffsetMinutes ?? 0);
    math = expression.slice(split + 2);
  }
  let value = base;
  const offset = options.timeZoneOffsetMinutes ?? 0;
  for (let i = 0; i < math.length;) {
    const op = math[i]!;
    if (op === '/') {
      const unit = math[i + 1];
      if (unit === undefined) throw new Error(`truncated date math [${math}]`);
      value = roundDown(value, unit, offset);
      if (options.roundUp) value = addUnits(value, 1, unit) - 1;
      i += 2;
    } else if (op === '+' || op === '-') {
      const m = /^(\d*)([yMwdhHms])/.exec(math.slice(i + 1));
      if (m === null) throw new Error(`operator not supported for date math [${math}]`);
      value = addUnits(value, (op === '-' ? -1 : 1) * Number(m[1] || '1'), m[2]!);
      i += 1 + m[0].length;
    } else {
      throw new Error(`operator not supported for date math [${math}]`);
    }
  }
  return value;
}

/** Parses a date; a value without its own offset is read in the given zone (`time_zone` of a range query). */
function parseDateWithZone(text: string, format: string, offsetMinutes: number): number {
  const value = parseDate(text, format);
  if (offsetMinutes === 0 || /(Z|z|[+-]\d{2}:?\d{2})$/.test(text) || /^-?\d+(\.\d+)?$/.test(text)) return value;
  return value - offsetMinutes * 60_000;
}

/** Minutes east of UTC for a `time_zone` parameter: `Z`, `UTC`, `+01:00`, `-0530`. Undefined when unsupported (named zones). */
export function timeZoneOffset(zone: string): number | undefined {
  if (zone === 'UTC' || zone === 'Z' || zone === 'GMT' || zone === 'Etc/UTC') return 0;
  return offsetOf(zone);
}
