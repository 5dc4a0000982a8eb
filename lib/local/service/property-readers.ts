/** Typed reads of resolved CloudFormation properties, with errors that name the property. */
import type { IntrinsicResolver } from './intrinsics';
import type { JsonValue } from './service-definition';

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** A declared property whose value (once resolved) does not have the shape its type requires. */
export class InvalidPropertyError extends Error {
  override readonly name = 'InvalidPropertyError';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`${path}: expected ${expected}, got ${JSON.stringify(actual) ?? 'nothing'}`);
  }
}

/** Resolves `value` fully and checks it is an object. */
export function readObject(resolver: IntrinsicResolver, value: JsonValue, path: string): JsonObject {
  const resolved = resolver.resolve(value, path);
  if (resolved === null || resolved === undefined || typeof resolved !== 'object' || Array.isArray(resolved)) {
    throw new InvalidPropertyError(path, 'an object', resolved);
  }
  return resolved;
}

/** Resolves `value` fully and checks it is a list of objects. */
export function readObjectList(resolver: IntrinsicResolver, value: JsonValue, path: string): JsonObject[] {
  const resolved = resolver.resolve(value, path);
  if (!Array.isArray(resolved)) throw new InvalidPropertyError(path, 'a list', resolved);
  return resolved.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new InvalidPropertyError(`${path}[${i}]`, 'an object', item);
    return item;
  });
}

/** A required string field of a resolved object. */
export function stringField(object: JsonObject, key: string, path: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw new InvalidPropertyError(`${path}.${key}`, 'a string', value);
  return value;
}

/** A required number field of a resolved object (numeric strings are read). */
export function numberField(object: JsonObject, key: string, path: string): number {
  const value = object[key];
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) throw new InvalidPropertyError(`${path}.${key}`, 'a number', value);
  return number;
}

/** An optional string-list field of a resolved object. */
export function optionalStringListField(object: JsonObject, key: string, path: string): string[] | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new InvalidPropertyError(`${path}.${key}`, 'a list of strings', value);
  return value;
}
