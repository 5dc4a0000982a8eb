/**
 * DynamoDB's item size, computed as DynamoDB documents it, to reject an item over 400 KB before
 * sending it: inside a BatchWriteItem one oversize item fails the whole request (ValidationException),
 * good items included.
 *
 * - string, binary: attribute name + UTF-8 (raw) bytes;
 * - number: name + 1 byte per two significant digits + 1 (leading and trailing zeros trimmed);
 * - null, boolean: name + 1;
 * - list, map: name + 3 + for each element its size + 1 (a map element's key counts as a name);
 * - sets: name + the sum of their elements' sizes.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** The largest item DynamoDB stores, attribute names included (400 KB). */
export const MAX_ITEM_BYTES = 400 * 1024;

const ZERO = 48;

/** Significant digits of a DynamoDB number's text (`-0012.3400e5` → 4). */
export function significantDigits(text: string): number {
  let first = -1;
  let last = -1;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 101 || c === 69) break; // e / E: the exponent does not count
    if (c < ZERO || c > ZERO + 9) continue; // sign, decimal point
    if (c !== ZERO) {
      if (first < 0) first = digits;
      last = digits;
    }
    digits++;
  }
  return first < 0 ? 1 : last - first + 1;
}

/** The stored size of a number with this text, without its attribute name. */
export const numberBytes = (text: string): number => Math.ceil(significantDigits(text) / 2) + 1;

/** The size of one value, without its attribute name. */
export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.NULL !== undefined || value.BOOL !== undefined) return 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return value.L.reduce((sum, element) => sum + attributeValueBytes(element) + 1, 3);
  if (value.M !== undefined) return mapBytes(value.M) + 3;
  return 0;
}

function mapBytes(map: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const name in map) bytes += Buffer.byteLength(name, 'utf8') + attributeValueBytes(map[name]!) + 1;
  return bytes;
}

/** The size DynamoDB counts for an item (attribute names and values). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const name in item) bytes += Buffer.byteLength(name, 'utf8') + attributeValueBytes(item[name]!);
  return bytes;
}
