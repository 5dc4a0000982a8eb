/**
 * JSON values as the emulator handles them, and a serialiser that can splice raw JSON text in
 * place (a document's `_source` is returned byte for byte as it was sent, as OpenSearch does, so
 * `1.50` stays `1.50` and a 64-bit integer keeps its digits).
 */

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** JSON text to be written as it is (it must be one valid JSON value). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** What {@link stringifyJson} accepts: JSON values, possibly holding {@link RawJson} pieces. */
export type Serializable = JsonPrimitive | RawJson | readonly Serializable[] | { readonly [key: string]: Serializable | undefined };

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RawJson);

/** Serialises like `JSON.stringify`, writing {@link RawJson} pieces verbatim; `undefined` members are left out. */
export function stringifyJson(value: Serializable, indent = 0): string {
  const parts: string[] = [];
  write(value, parts, indent, 0);
  return parts.join('');
}

function write(value: Serializable, out: string[], indent: number, depth: number): void {
  if (value instanceof RawJson) {
    if (indent > 0) write(JSON.parse(value.text) as JsonValue, out, indent, depth);
    else out.push(value.text);
    return;
  }
  if (value === null || typeof value !== 'object') {
    // Non-finite numbers have no JSON form; Jackson quotes them ("Infinity"), so do the same.
    out.push(typeof value === 'number' && !Number.isFinite(value) ? JSON.stringify(String(value)) : JSON.stringify(value));
    return;
  }
  const newline = indent > 0 ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const closing = indent > 0 ? `\n${' '.repeat(indent * depth)}` : '';
  const colon = indent > 0 ? ' : ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return void out.push('[]');
    out.push('[');
    (value as readonly Serializable[]).forEach((item, i) => {
      if (i > 0) out.push(',');
      out.push(newline);
      write(item, out, indent, depth + 1);
    });
    out.push(closing, ']');
    return;
  }
  const entries = Object.entries(value as { readonly [key: string]: Serializable | undefined }).filter(([, v]) => v !== undefined) as [string, Serializable][];
  if (entries.length === 0) return void out.push('{}');
  out.push('{');
  entries.forEach(([key, item], i) => {
    if (i > 0) out.push(',');
    out.push(newline, JSON.stringify(key), colon);
    write(item, out, indent, depth + 1);
  });
  out.push(closing, '}');
}

/** Structural equality of two JSON values (object member order ignored). */
export function jsonEquals(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && jsonEquals(a[key], b[key]));
}

/** A deep copy of a JSON value. */
export const cloneJson = <T extends JsonValue>(value: T): T => structuredClone(value);

/** Converts a JSON value holding {@link RawJson} pieces into plain values (for filtering). */
export function materialize(value: Serializable): JsonValue {
  if (value instanceof RawJson) return JSON.parse(value.text) as JsonValue;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as readonly Serializable[]).map(materialize);
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value as { readonly [key: string]: Serializable | undefined })) {
    if (item !== undefined) out[key] = materialize(item);
  }
  return out;
}

/** A value as text in a message: strings as they are, other scalars as `String` does, structures as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}
