/**
 * JSON without floating-point loss. A change message's numbers are column values (`bigint`,
 * `numeric`) and transaction ids; `JSON.parse` would round `12345678901234567890` and drop the
 * scale of `12.50`. Here a number literal that a double does not print back digit for digit
 * stays its literal text (a string); the rest become numbers. Writing, {@link JsonNumberText}
 * puts a literal into the output as a JSON number, unrounded.
 */
import { LosslessNumber, parse, stringify } from 'lossless-json';
import type { ChangeFormatName } from '../source-tables';
import { ChangeFormatError } from '../change-event';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A number when the double prints back as the same literal and, for integers, is below 2^53
 * (past it, `1152921504606847000` prints back unchanged yet is the double 1152921504606846976).
 */
const exactNumber = (literal: string): number | string => {
  const value = Number(literal);
  return String(value) === literal && (!Number.isInteger(value) || Number.isSafeInteger(value)) ? value : literal;
};

/**
 * Parses a message's JSON text (or UTF-8 bytes) exactly; invalid UTF-8 or JSON is a
 * ChangeFormatError of `format` with no field. Numbers a double cannot hold exactly are strings.
 */
export function parseExactJson(input: Uint8Array | string, format: ChangeFormatName): unknown {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = decoder.decode(input);
    } catch {
      throw new ChangeFormatError(format, undefined, 'message is not valid UTF-8');
    }
  }
  if (text.trim() === '') throw new ChangeFormatError(format, undefined, 'empty message');
  try {
    return parse(text, null, exactNumber);
  } catch (error) {
    throw new ChangeFormatError(format, undefined, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A decimal literal to write as a JSON number, exactly as given (`12.50`, `12345678901234567890`). */
export class JsonNumberText extends LosslessNumber {}

/** JSON text of `value`; {@link JsonNumberText} values are written as number literals. */
export function stringifyExactJson(value: unknown, indent?: string): string {
  const text = stringify(value, undefined, indent);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}
