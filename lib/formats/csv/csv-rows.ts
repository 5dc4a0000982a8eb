/**
 * Splits the text of one record into CSV rows (RFC 4180, no header).
 *
 * `papaparse` is the parser of record, but its cost is mostly per call (~20 µs), several times
 * the cost of a row. So lines take a fast path: split on commas when they hold no quote, or a
 * plain RFC 4180 field scan when their quotes are balanced and well formed. A record with a
 * quoted field spanning lines, or with quoting the scan does not accept, goes to `papaparse`
 * whole, which also names the error. All paths agree (a property test holds them to it): a
 * leading BOM is removed, CRLF and LF both end a row, empty lines (including the trailing
 * newline) are skipped, fields are not trimmed.
 */
import Papa from 'papaparse';

/** Why a record's text is not valid CSV; `row` is 1-based among its non-empty rows. */
export interface CsvSyntaxError {
  readonly row: number;
  readonly reason: string;
}

export type CsvRowsResult = { readonly ok: true; readonly rows: string[][] } | { readonly ok: false; readonly error: CsvSyntaxError };

const BOM = '\uFEFF';

export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

const QUOTE = 34;
const COMMA = 44;

/**
 * The fields of one line, or `undefined` when its quoting is anything but plain RFC 4180 within
 * the line (an unclosed quote, text after a closing quote, a quote inside an unquoted field),
 * for papaparse to judge.
 */
function scanQuotedLine(line: string): string[] | undefined {
  const fields: string[] = [];
  const end = line.length;
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q === -1) return undefined;
        if (line.charCodeAt(q + 1) === QUOTE) {
          value += line.slice(from, q + 1); // "" is an escaped quote
          from = q + 2;
        } else {
          value += line.slice(from, q);
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === end) return fields;
      if (line.charCodeAt(i) !== COMMA) return undefined;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const value = line.slice(i, comma === -1 ? end : comma);
      if (value.includes('"')) return undefined;
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}

/** Rows line by line, or `undefined` if some line needs papaparse. */
function splitLines(text: string, hasQuotes: boolean): string[][] | undefined {
  const rows: string[][] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.length === 0) continue;
    if (!hasQuotes || !line.includes('"')) {
      rows.push(line.split(','));
      continue;
    }
    // Undefined also when a quoted field goes on past this line (its closing quote is missing).
    const fields = scanQuotedLine(line);
    if (!fields) return undefined;
    // A line of just `""` is a blank row to papaparse too.
    if (!isBlankRow(fields)) rows.push(fields);
  }
  return rows;
}

const isBlankRow = (row: readonly string[]): boolean => row.length === 1 && row[0] === '';

function parseQuoted(text: string): CsvRowsResult {
  // Blank rows are kept here and dropped below, so an error's row number counts non-empty rows
  // only, as on the fast path and in the row decoder's errors.
  const parsed = Papa.parse<string[]>(text, { delimiter: ',', skipEmptyLines: false, header: false });
  // papaparse never throws: malformed quoting only shows up in `errors`.
  const first = parsed.errors[0];
  if (first) {
    const row = parsed.data.slice(0, first.row ?? 0).filter((r) => !isBlankRow(r)).length + 1;
    return { ok: false, error: { row, reason: `${first.code}: ${first.message}` } };
  }
  return { ok: true, rows: parsed.data.filter((r) => !isBlankRow(r)) };
}

/** The CSV rows of a record's text (BOM allowed). */
export function parseCsvRows(text: string): CsvRowsResult {
  const body = stripBom(text);
  const rows = splitLines(body, body.includes('"'));
  return rows ? { ok: true, rows } : parseQuoted(body);
}

/** CSV text of rows (RFC 4180 quoting where needed), one line each, LF-terminated. */
export function formatCsvRows(rows: readonly (readonly string[])[]): string {
  return Papa.unparse(rows as string[][], { newline: '\n' }) + '\n';
}
