/**
 * Turns the text fields of one CSV row into a typed, validated object, driven by the dataset's
 * schema: integers and numbers become JSON numbers, an empty nullable field becomes `null`,
 * timestamps are normalised to ISO-8601 UTC, then the schema's own rules (enum, pattern,
 * ranges, formats) are checked.
 */
import type { Column, DatasetSchema } from '../../schemas/dataset-schema';
import { compileValidator } from '../../schemas/validator';
import { normaliseTimestamp } from '../timestamp';

export type Row = Record<string, string | number | boolean | null>;

/** Why a row was rejected; `column` is absent when the row as a whole is wrong. */
export interface RowError {
  readonly column?: string;
  readonly reason: string;
}

export type DecodeResult = { readonly ok: true; readonly row: Row } | { readonly ok: false; readonly error: RowError };

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

type FieldValue = string | number | boolean | null;
/** Returns the value, or a string reason wrapped in an object when the text does not fit. */
type FieldDecoder = (text: string) => FieldValue | { readonly invalid: string };

function fieldDecoder(column: Column): FieldDecoder {
  const decode = ((): FieldDecoder => {
    switch (column.kind) {
      case 'string':
        return (text) => text;
      case 'integer':
        return (text) => {
          const value = Number(text);
          if (!INTEGER.test(text)) return { invalid: `not an integer: ${JSON.stringify(text)}` };
          return Number.isSafeInteger(value) ? value : { invalid: `integer out of the exactly representable range: ${text}` };
        };
      case 'number':
        return (text) => (NUMBER.test(text) && Number.isFinite(Number(text)) ? Number(text) : { invalid: `not a number: ${JSON.stringify(text)}` });
      case 'boolean':
        return (text) => (text === 'true' ? true : text === 'false' ? false : { invalid: `not a boolean (true/false): ${JSON.stringify(text)}` });
      case 'timestamp':
        return (text) => normaliseTimestamp(text) ?? { invalid: `not an ISO-8601 timestamp: ${JSON.stringify(text)}` };
    }
  })();
  if (column.nullable) return (text) => (text === '' ? null : decode(text));
  // An empty string is a value for a string column (the schema's minLength decides); for the
  // other kinds it means a missing value in a column that does not allow one.
  return column.kind === 'string' ? decode : (text) => (text === '' ? { invalid: 'empty value in a non-nullable column' } : decode(text));
}

export type RowDecoder = (fields: readonly string[]) => DecodeResult;

export function compileRowDecoder(schema: DatasetSchema): RowDecoder {
  const columns = schema.columns;
  const decoders = columns.map(fieldDecoder);
  const validate = compileValidator(schema, { shapeGuaranteed: true });
  const width = columns.length;
  return (fields) => {
    if (fields.length !== width) {
      return { ok: false, error: { reason: `expected ${width} columns, found ${fields.length}` } };
    }
    const row: Row = {};
    for (let i = 0; i < width; i++) {
      const value = decoders[i]!(fields[i]!);
      if (value !== null && typeof value === 'object') return { ok: false, error: { column: columns[i]!.name, reason: value.invalid } };
      row[columns[i]!.name] = value;
    }
    const violation = validate(row);
    if (violation) return { ok: false, error: violation.field === undefined ? { reason: violation.reason } : { column: violation.field, reason: violation.reason } };
    return { ok: true, row };
  };
}
