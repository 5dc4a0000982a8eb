/** fast-check generators of canonical values and rows for the source tables of shop.json. */
import fc from 'fast-check';
import type { ChangePosition, ColumnValue, RowImage } from '../../../../lib/cdc/change-event';
import { epochToTimestamp, timestampToEpochMicros } from '../../../../lib/cdc/formats/pg-values';
import type { PgType, SourceTable } from '../../../../lib/cdc/source-tables';
import { shopTables } from '../../../../lib/cdc/source-tables';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text PostgreSQL can hold: any Unicode but NUL and unpaired surrogates (quotes, commas, newlines included). */
export const pgText = (maxLength = 24): fc.Arbitrary<string> =>
  fc
    .oneof(fc.string({ unit: 'binary', maxLength }), fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '😀', '\\', 'N'), maxLength }))
    .filter((s) => !s.includes('\u0000') && !LONE_SURROGATE.test(s));

const MIN_MICROS = timestampToEpochMicros('0001-01-01T00:00:00.000000Z');
const MAX_MICROS = timestampToEpochMicros('9999-12-31T23:59:59.999999Z');

export const canonicalTimestamp: fc.Arbitrary<string> = fc.oneof(
  fc.bigInt({ min: MIN_MICROS, max: MAX_MICROS }),
  fc.bigInt({ min: timestampToEpochMicros('2020-01-01T00:00:00.000000Z'), max: timestampToEpochMicros('2030-01-01T00:00:00.000000Z') }),
).map((us) => epochToTimestamp(us, 'us'));

function decimal(precision: number, scale: number): fc.Arbitrary<string> {
  const limit = 10n ** BigInt(precision) - 1n;
  return fc.oneof(fc.bigInt({ min: -limit, max: limit }), fc.bigInt({ min: -1000n, max: 1000n })).map((unscaled) => {
    const negative = unscaled < 0n;
    const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
    return `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale > 0 ? `.${digits.slice(-scale)}` : ''}`;
  });
}

/** Canonical values of a column type (change-event.ts's forms). */
export function canonicalValueOf(type: PgType): fc.Arbitrary<ColumnValue> {
  switch (type.kind) {
    case 'bigint':
      return fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 0n)).map(String);
    case 'integer':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'smallint':
      return fc.integer({ min: -32768, max: 32767 });
    case 'numeric':
      return decimal(type.precision ?? 20, type.scale ?? 0);
    case 'boolean':
      return fc.boolean();
    case 'text':
      return pgText();
    case 'char':
      return fc.array(fc.constantFrom('D', 'E', 'ü', '😀', ' ', 'x'), { maxLength: type.length }).map((chars) => chars.join('') + ' '.repeat(type.length - chars.length));
    case 'uuid':
      return fc.uuid();
    case 'timestamptz':
      return canonicalTimestamp;
  }
}

/** A full canonical row of `table`, NULLs in nullable columns. */
export function rowOf(table: SourceTable): fc.Arbitrary<RowImage> {
  const fields: Record<string, fc.Arbitrary<ColumnValue>> = {};
  for (const column of table.columns) {
    const value = canonicalValueOf(column.type);
    fields[column.name] = column.nullable ? fc.option(value, { nil: null, freq: 3 }) : value;
  }
  return fc.record(fields);
}

export const tableArb: fc.Arbitrary<SourceTable> = fc.constantFrom(...shopTables.tables.values());

/** An LSN commit position above the snapshot's, and a sequence. */
export const lsnPosition: fc.Arbitrary<ChangePosition> = fc
  .record({ commit: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), sequence: fc.integer({ min: 0, max: 100_000 }) })
  .map(({ commit, sequence }) => ({ commit: commit.toString(16).toUpperCase().padStart(16, '0'), sequence }));

/** The key columns' part of a row. */
export const keyImage = (table: SourceTable, row: RowImage): RowImage => Object.fromEntries(table.keyColumns.map((k) => [k, row[k]!]));
