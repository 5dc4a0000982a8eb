import fc from 'fast-check';
import Papa from 'papaparse';
import type { CsvRowsResult } from '../../../../lib/formats/csv/csv-rows';
import { formatCsvRows, parseCsvRows, stripBom } from '../../../../lib/formats/csv/csv-rows';

const BOM = '\uFEFF';

function rowsOf(result: CsvRowsResult): string[][] {
  if (!result.ok) throw new Error(`expected rows, got error at row ${result.error.row}: ${result.error.reason}`);
  return result.rows;
}

function errorOf(result: CsvRowsResult): { row: number; reason: string } {
  if (result.ok) throw new Error(`expected an error, got rows ${JSON.stringify(result.rows)}`);
  return result.error;
}

/** Every field quoted: the same data, forced off the comma-split fast path. */
const quoteAll = (rows: string[][], newline = '\n'): string =>
  rows.map((r) => r.map((f) => `"${f.replace(/"/g, '""')}"`).join(',')).join(newline) + newline;

/** Papaparse on its own (the parser of record), with the module's conventions. */
function papaRows(text: string): string[][] {
  const parsed = Papa.parse<string[]>(stripBom(text), { delimiter: ',', skipEmptyLines: true, header: false });
  if (parsed.errors.length > 0) throw new Error(`papaparse: ${parsed.errors[0]!.message}`);
  return parsed.data;
}

describe('stripBom', () => {
  test('removes one leading BOM only', () => {
    expect(stripBom(`${BOM}a,b`)).toBe('a,b');
    expect(stripBom('a,b')).toBe('a,b');
    expect(stripBom(`a${BOM}`)).toBe(`a${BOM}`);
  });
});

describe('parseCsvRows', () => {
  const plain = [
    ['a', 'b', 'c'],
    ['1', '', '3'],
    [' padded ', 'x y', 'é😀'],
  ];

  test('splits plain lines on commas without trimming', () => {
    expect(rowsOf(parseCsvRows('a,b,c\n1,,3\n padded ,x y,é😀\n'))).toEqual(plain);
  });

  test('the fast path, the quoted-line scan and papaparse give the same rows for data that needs no quotes', () => {
    const fast = rowsOf(parseCsvRows('a,b,c\n1,,3\n padded ,x y,é😀\n'));
    const scanned = rowsOf(parseCsvRows(quoteAll(plain)));
    // A quoted field spanning two lines sends the whole record to papaparse.
    const viaPapa = rowsOf(parseCsvRows(`${quoteAll(plain)}"multi\nline",x,y\n`));
    expect(scanned).toEqual(fast);
    expect(viaPapa.slice(0, 3)).toEqual(fast);
    expect(viaPapa[3]).toEqual(['multi\nline', 'x', 'y']);
  });

  test('fast path and quoted paths agree for any rows of plain fields (property)', () => {
    const plainField = fc.string({ unit: fc.constantFrom('a', 'z', '0', ' ', '-', 'é', '😀', '\t', ';'), maxLength: 6 });
    const rows = fc.array(fc.array(plainField, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(rows, fc.constantFrom('\n', '\r\n'), (data, newline) => {
        const unquoted = data.map((r) => r.join(',')).join(newline) + newline;
        expect(rowsOf(parseCsvRows(unquoted))).toEqual(data);
        expect(rowsOf(parseCsvRows(quoteAll(data, newline)))).toEqual(data);
        expect(rowsOf(parseCsvRows(`${quoteAll(data, newline)}"x${newline}y",z${newline}`))).toEqual([...data, [`x${newline}y`, 'z']]);
      }),
    );
  });

  test('quoted fields hold commas, escaped quotes and line breaks', () => {
    const text = 'id,"a, b","say ""hi""","line1\nline2","crlf1\r\ncrlf2",end\n';
    expect(rowsOf(parseCsvRows(text))).toEqual([['id', 'a, b', 'say "hi"', 'line1\nline2', 'crlf1\r\ncrlf2', 'end']]);
  });

  test('a quoted field holding only escaped quotes, and an empty quoted field', () => {
    expect(rowsOf(parseCsvRows('"""",x,""\n'))).toEqual([['"', 'x', '']]);
  });

  test('CRLF line endings', () => {
    expect(rowsOf(parseCsvRows('a,b\r\nc,d\r\n'))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(rowsOf(parseCsvRows('"a",b\r\nc,"d"\r\n'))).toEqual([['a', 'b'], ['c', 'd']]);
  });

  test('CRLF line endings with a quoted field spanning lines (papaparse path)', () => {
    expect(rowsOf(parseCsvRows('a,"x\r\ny"\r\nb,c\r\n'))).toEqual([['a', 'x\r\ny'], ['b', 'c']]);
  });

  test('a leading BOM is removed on every path', () => {
    expect(rowsOf(parseCsvRows(`${BOM}a,b\n`))).toEqual([['a', 'b']]);
    expect(rowsOf(parseCsvRows(`${BOM}"a",b\n`))).toEqual([['a', 'b']]);
    expect(rowsOf(parseCsvRows(`${BOM}"a\nb",c\n`))).toEqual([['a\nb', 'c']]);
  });

  test('a BOM that is not leading is data', () => {
    expect(rowsOf(parseCsvRows(`a,${BOM}b\n`))).toEqual([['a', `${BOM}b`]]);
  });

  test('the trailing newline is optional', () => {
    expect(rowsOf(parseCsvRows('a,b\nc,d'))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(rowsOf(parseCsvRows('a,b\nc,d\n'))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(rowsOf(parseCsvRows('"a",b\nc,"d"'))).toEqual([['a', 'b'], ['c', 'd']]);
  });

  test('blank lines are skipped on every path', () => {
    expect(rowsOf(parseCsvRows('\na,b\n\n\r\nc,d\n\n'))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(rowsOf(parseCsvRows('\n"a",b\n\n\r\nc,"d"\n\n'))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(rowsOf(parseCsvRows('\n"a\nx",b\n\nc,d\n\n'))).toEqual([['a\nx', 'b'], ['c', 'd']]);
  });

  test('a line of spaces is a row, not a blank line (fields are not trimmed)', () => {
    expect(rowsOf(parseCsvRows('a,b\n  \n'))).toEqual([['a', 'b'], ['  ']]);
  });

  test('an empty text has no rows', () => {
    expect(rowsOf(parseCsvRows(''))).toEqual([]);
    expect(rowsOf(parseCsvRows(BOM))).toEqual([]);
  });

  test('an unterminated quote is an error naming the row', () => {
    const error = errorOf(parseCsvRows('a,b\n"c,d\n'));
    expect(error.row).toBe(2);
    expect(error.reason).toMatch(/MissingQuotes/);
    expect(errorOf(parseCsvRows('"unterminated')).row).toBe(1);
  });

  test('text after a closing quote is an error naming the row', () => {
    const error = errorOf(parseCsvRows('a,b\nc,d\n"e"f,g\n'));
    expect(error.row).toBe(3);
    expect(error.reason).toMatch(/InvalidQuotes/);
  });

  test('an error row counts CSV rows, not physical lines, when a quoted field spans lines', () => {
    expect(errorOf(parseCsvRows('"a\nb",c\n"d"e,f\n')).row).toBe(2);
  });

  // BUG (see report): papaparse numbers its error rows counting blank lines, but the module
  // documents `row` as "1-based among its non-empty rows" (and the row decoder's errors are
  // numbered that way), so the same bad row gets a different number once a blank line precedes it.
  test('an error row does not count blank lines before it', () => {
    expect(errorOf(parseCsvRows('a,b\n\n"c,d\n')).row).toBe(2);
  });

  // Divergence (see report): a line holding only `""` is a row of one empty field on the fast
  // paths, but papaparse's skipEmptyLines drops it, so the result depends on other lines.
  test('a line of one quoted empty field is read the same on every path', () => {
    const alone = rowsOf(parseCsvRows('a,b\n""\n'));
    const withMultiLineField = rowsOf(parseCsvRows('"a\nx",b\n""\n'));
    expect(withMultiLineField.slice(1)).toEqual(alone.slice(1));
  });
});

describe('formatCsvRows', () => {
  test('quotes only the fields that need it, LF-terminated', () => {
    expect(formatCsvRows([['a', 'b,c', 'say "hi"', 'x\ny', ' lead', '']])).toBe('a,"b,c","say ""hi""","x\ny"," lead",\n');
    expect(formatCsvRows([['1', '2'], ['3', '4']])).toBe('1,2\n3,4\n');
  });

  test('quotes CR and BOM so they survive parsing', () => {
    expect(formatCsvRows([['a\rb', `${BOM}x`]])).toBe(`"a\rb","${BOM}x"\n`);
  });

  const unit = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(',', '"', '\r', '\n', '\r\n', BOM, ' ', '\t', 'a', 'Z', '0', 'é', '😀', '中', '=') },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  );
  const field = fc.oneof(fc.string({ unit, maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 8 }));
  // A row of a single empty field is an empty line in CSV: it cannot round-trip (blank lines are skipped).
  const row = fc.array(field, { minLength: 1, maxLength: 6 }).filter((r) => !(r.length === 1 && r[0] === ''));

  test('round-trips: parseCsvRows(formatCsvRows(rows)) equals rows (property)', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 8 }), (rows) => {
        expect(rowsOf(parseCsvRows(formatCsvRows(rows)))).toEqual(rows);
      }),
      { numRuns: 3000 },
    );
  });

  test('what it writes reads the same through this module and through papaparse alone (property)', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), (rows) => {
        const text = formatCsvRows(rows);
        expect(rowsOf(parseCsvRows(text))).toEqual(papaRows(text));
      }),
      { numRuns: 1000 },
    );
  });

  test('the round trip survives a BOM put in front of the text', () => {
    const rows = [['a', 'b "c"'], ['d\ne', 'f']];
    expect(rowsOf(parseCsvRows(BOM + formatCsvRows(rows)))).toEqual(rows);
  });

  test('a row of one empty field is written as an empty line, which parsing skips (known CSV limit)', () => {
    expect(formatCsvRows([[''], ['a']])).toBe('\na\n');
    expect(rowsOf(parseCsvRows(formatCsvRows([[''], ['a']])))).toEqual([['a']]);
  });
});
