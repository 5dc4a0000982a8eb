/**
 * Partition key strategies: by a field of the record (a device or user id keeps each entity's
 * records in order on one shard) or random (spreads load evenly, no per-entity order).
 */

/** Picks a record's partition key; `undefined` when the record has none to give. */
export type PartitionKeyStrategy = (record: Readonly<Record<string, unknown>>) => string | undefined;

/**
 * A random partition key: a uniformly random 32-bit integer in base 36 (at most 7 characters, to
 * keep aggregated key tables small). MD5 spreads even such short keys evenly over the shards.
 */
export function randomPartitionKey(random: () => number = Math.random): string {
  return Math.floor(random() * 0x1_0000_0000).toString(36);
}

/** The value of `field` as a partition key: strings as they are, finite numbers, bigints and booleans as text; else `undefined`. */
export function fieldPartitionKey(field: string): PartitionKeyStrategy {
  return (record) => {
    const value = Object.prototype.hasOwnProperty.call(record, field) ? record[field] : undefined;
    if (typeof value === 'string') return value;
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
    return undefined;
  };
}

/** {@link randomPartitionKey} as a strategy. */
export function randomPartitionKeyStrategy(random: () => number = Math.random): PartitionKeyStrategy {
  return () => randomPartitionKey(random);
}

/** The strategy a CLI option names: `random`, or the name of a field. */
export function partitionKeyStrategy(spec: string, random: () => number = Math.random): PartitionKeyStrategy {
  return spec === 'random' ? randomPartitionKeyStrategy(random) : fieldPartitionKey(spec);
}
