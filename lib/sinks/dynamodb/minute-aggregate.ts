/**
 * One device's readings of one UTC minute, summarised: count, per metric sum/min/max (a nullable
 * metric such as `pressure_hpa` with its own count), first and last timestamp, counts per status —
 * and the set of readings already counted, which is what makes the aggregate idempotent.
 *
 * The stored item (table `minuteAggregates`, key `device_id` + `minute`):
 * | attribute | type | |
 * |---|---|---|
 * | `count` | N | readings counted |
 * | `<metric>_sum`, `_min`, `_max` | N | exact decimal sum ({@link ./decimal}); absent until a value is seen |
 * | `<nullable metric>_count` | N | readings with a value |
 * | `first_timestamp`, `last_timestamp` | S | normalised UTC |
 * | `status_counts` | M | `{ok, warning, fault}` → N |
 * | `readings` | SS | the counted readings, as `ss.mmm` within the minute (the key gives the rest) |
 * | `version` | N | incremented by every write; the optimistic-lock condition |
 * | `expires_at` | N | TTL: the minute + the retention |
 * | `updated_at` | S | when the sink last wrote it |
 *
 * Size: a reading is identified within its minute by its millisecond, so a minute holds at most
 * 60,000 of them: 60,000 × 6 bytes = 360,000 bytes of set, under the 400 KB item limit with the
 * ~0.5 KB of other attributes — the limit cannot be reached, and the writer still checks. At 1 Hz
 * a full minute is ~890 bytes (1 WCU a write; a consistent read of it, 1 RCU). Full timestamps
 * as members would be 24 bytes each: ~2 KB, 2 WCU.
 */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { getSchema } from '../../schemas/registry';
import type { Reading } from '../../telemetry/reading';
import type { Decimal } from './decimal';
import { ExactSum, formatDecimal, parseDecimal } from './decimal';
import { MAX_ITEM_BYTES, numberBytes } from './item-size';
import { nullableNumericFields, UPDATED_AT } from './reading-items';
import { EXPIRES_AT } from './tables';

/** The metrics an aggregate summarises. */
export const AGGREGATED_METRICS = ['temperature_c', 'humidity_pct', 'pressure_hpa', 'battery_pct', 'rssi_dbm'] as const satisfies readonly (keyof Reading)[];
export type AggregatedMetric = (typeof AGGREGATED_METRICS)[number];

/** Attribute names of the aggregate item. */
export const AGGREGATE_ATTRIBUTES = {
  count: 'count',
  firstTimestamp: 'first_timestamp',
  lastTimestamp: 'last_timestamp',
  statusCounts: 'status_counts',
  readings: 'readings',
  version: 'version',
} as const;

export interface MetricSummary {
  readonly count: number;
  readonly sum: Decimal;
  readonly min: number;
  readonly max: number;
}

export interface MinuteAggregate {
  readonly count: number;
  readonly firstTimestamp: string;
  readonly lastTimestamp: string;
  readonly statusCounts: Readonly<Record<string, number>>;
  /** Absent for a metric no counted reading had a value for. */
  readonly metrics: Readonly<Partial<Record<AggregatedMetric, MetricSummary>>>;
  /** The counted readings, by {@link memberOf}. */
  readonly members: ReadonlySet<string>;
}

/** An aggregate as read from the table, with the version its next write must expect. */
export interface StoredAggregate {
  readonly aggregate: MinuteAggregate;
  readonly version: number;
}

/** A stored aggregate item this code cannot read (a missing or mistyped attribute). */
export class CorruptAggregateError extends Error {
  override readonly name = 'CorruptAggregateError';
}

/** A reading's identity within its device and minute: `ss.mmm` of its normalised timestamp. */
export const memberOf = (reading: Pick<Reading, 'timestamp'>): string => reading.timestamp.slice(17, 23);
const MEMBER_BYTES = 6;

let statuses: readonly string[] | undefined;
/** The schema's status values (`ok`, `warning`, `fault`): every aggregate counts each, zeros included. */
export const statusValues = (): readonly string[] =>
  (statuses ??= (getSchema('telemetry').document.properties.status?.enum ?? []).filter((value): value is string => typeof value === 'string'));

let nullableMetrics: ReadonlySet<string> | undefined;
const isNullableMetric = (metric: AggregatedMetric): boolean => (nullableMetrics ??= nullableNumericFields()).has(metric);

/** The aggregate with `readings` added (none of which it has counted). */
export function addReadings(previous: MinuteAggregate | undefined, readings: readonly Reading[]): MinuteAggregate {
  let count = previous?.count ?? 0;
  let first = previous?.firstTimestamp;
  let last = previous?.lastTimestamp;
  const statusCounts: Record<string, number> = { ...previous?.statusCounts };
  const members = new Set(previous?.members);
  const running = new Map<AggregatedMetric, { count: number; sum: ExactSum; min: number; max: number }>();
  for (const metric of AGGREGATED_METRICS) {
    const summary = previous?.metrics[metric];
    if (summary) running.set(metric, { count: summary.count, sum: new ExactSum(summary.sum), min: summary.min, max: summary.max });
  }
  for (const reading of readings) {
    count++;
    members.add(memberOf(reading));
    if (first === undefined || reading.timestamp < first) first = reading.timestamp;
    if (last === undefined || reading.timestamp > last) last = reading.timestamp;
    statusCounts[reading.status] = (statusCounts[reading.status] ?? 0) + 1;
    for (const metric of AGGREGATED_METRICS) {
      const value = reading[metric];
      if (value === null) continue;
      let summary = running.get(metric);
      if (summary === undefined) running.set(metric, (summary = { count: 0, sum: new ExactSum(), min: value, max: value }));
      summary.count++;
      summary.sum.addNumber(value);
      if (value < summary.min) summary.min = value;
      if (value > summary.max) summary.max = value;
    }
  }
  if (first === undefined || last === undefined) throw new RangeError('an aggregate needs at least one reading');
  const metrics: Partial<Record<AggregatedMetric, MetricSummary>> = {};
  for (const [metric, summary] of running) metrics[metric] = { count: summary.count, sum: summary.sum.value(), min: summary.min, max: summary.max };
  return { count, firstTimestamp: first, lastTimestamp: last, statusCounts, metrics, members };
}

const numberOf = (item: Record<string, AttributeValue>, name: string): number | undefined => {
  const text = item[name]?.N;
  return text === undefined ? undefined : Number(text);
};

/** Reads a stored aggregate item; throws {@link CorruptAggregateError} if it lacks what the sink writes. */
export function parseAggregateItem(item: Record<string, AttributeValue>): StoredAggregate {
  const count = numberOf(item, AGGREGATE_ATTRIBUTES.count);
  const version = numberOf(item, AGGREGATE_ATTRIBUTES.version);
  const first = item[AGGREGATE_ATTRIBUTES.firstTimestamp]?.S;
  const last = item[AGGREGATE_ATTRIBUTES.lastTimestamp]?.S;
  if (count === undefined || version === undefined || first === undefined || last === undefined) {
    throw new CorruptAggregateError(`aggregate ${item.device_id?.S}/${item.minute?.S} lacks count, version or first/last timestamp`);
  }
  const statusCounts: Record<string, number> = {};
  for (const [status, value] of Object.entries(item[AGGREGATE_ATTRIBUTES.statusCounts]?.M ?? {})) statusCounts[status] = Number(value.N ?? 0);
  const metrics: Partial<Record<AggregatedMetric, MetricSummary>> = {};
  for (const metric of AGGREGATED_METRICS) {
    const sum = item[`${metric}_sum`]?.N;
    if (sum === undefined) continue;
    const min = numberOf(item, `${metric}_min`);
    const max = numberOf(item, `${metric}_max`);
    const metricCount = isNullableMetric(metric) ? numberOf(item, `${metric}_count`) : count;
    if (min === undefined || max === undefined || metricCount === undefined) throw new CorruptAggregateError(`aggregate ${item.device_id?.S}/${item.minute?.S}: ${metric} lacks min, max or count`);
    metrics[metric] = { count: metricCount, sum: parseDecimal(sum), min, max };
  }
  return {
    version,
    aggregate: { count, firstTimestamp: first, lastTimestamp: last, statusCounts, metrics, members: new Set(item[AGGREGATE_ATTRIBUTES.readings]?.SS ?? []) },
  };
}

/** The key of an aggregate item. */
export interface AggregateKey {
  readonly device_id: string;
  readonly minute: string;
}

export const aggregateKeyItem = (key: AggregateKey): Record<string, AttributeValue> => ({ device_id: { S: key.device_id }, minute: { S: key.minute } });

/** What the sink writes besides the aggregate's own values. */
export interface AggregateWrite {
  readonly key: AggregateKey;
  readonly next: MinuteAggregate;
  /** The members this write adds (`ADD readings`): the readings newly counted. */
  readonly added: readonly string[];
  /** The version read, or undefined when there was no item. */
  readonly expectedVersion: number | undefined;
  readonly expiresAt: number;
  readonly updatedAt: string;
}

/**
 * The expressions of an aggregate update, which depend only on which attributes it sets (a
 * nullable metric's sum/min/max only once it has a value) and whether the item is new: built
 * once per shape, with `#n…`/`:v…` placeholders (`count`, `minute` and `timestamp` are among
 * DynamoDB's reserved words).
 */
interface UpdatePlan {
  readonly updateExpression: string;
  readonly conditionExpression: string;
  readonly names: Record<string, string>;
  /** The attributes SET, in the order their values are given. */
  readonly attributes: readonly string[];
  readonly bytesOfNames: number;
}

/** By shape: which metrics have values (a bit each) and whether the item is new. */
const plans = new Map<number, UpdatePlan>();
/** `:v0`, `:v1`, …: made once, so that building an update's values does not make new key strings. */
const VALUE_PLACEHOLDERS: string[] = [];
const valuePlaceholder = (i: number): string => (VALUE_PLACEHOLDERS[i] ??= `:v${i}`);

function updatePlan(shape: number, attributes: readonly string[], isNew: boolean): UpdatePlan {
  let plan = plans.get(shape);
  if (plan === undefined) {
    const names: Record<string, string> = {};
    const assignments = attributes.map((attribute, i) => {
      names[`#n${i}`] = attribute;
      return `#n${i} = ${valuePlaceholder(i)}`;
    });
    const n = attributes.length;
    names[`#n${n}`] = AGGREGATE_ATTRIBUTES.readings;
    names[`#n${n + 1}`] = isNew ? 'device_id' : AGGREGATE_ATTRIBUTES.version;
    plan = {
      updateExpression: `SET ${assignments.join(', ')} ADD #n${n} ${valuePlaceholder(n)}`,
      conditionExpression: isNew ? `attribute_not_exists(#n${n + 1})` : `#n${n + 1} = ${valuePlaceholder(n + 1)}`,
      // Shared by every update of this shape: the SDK only reads it.
      names: Object.freeze(names),
      attributes,
      bytesOfNames: attributes.reduce((sum, attribute) => sum + attribute.length, 0),
    };
    plans.set(shape, plan);
  }
  return plan;
}

/** Attribute names per metric, made once. */
const METRIC_ATTRIBUTES = Object.fromEntries(
  AGGREGATED_METRICS.map((metric) => [metric, { count: `${metric}_count`, sum: `${metric}_sum`, min: `${metric}_min`, max: `${metric}_max` }]),
) as Readonly<Record<AggregatedMetric, { readonly count: string; readonly sum: string; readonly min: string; readonly max: string }>>;

/**
 * The UpdateItem that writes `next`: every value SET from the computed aggregate (min and max
 * cannot be folded in by an update expression, hence the whole aggregate is computed here), the
 * new members ADDed to the set, under `attribute_not_exists(device_id)` for a new item or
 * `version = :expected` — the item is written only if nobody changed it since it was read.
 * `bytes` is the size the item will have, for the 400 KB guard.
 */
export function aggregateUpdate(table: string, write: AggregateWrite): { input: UpdateItemCommandInput; bytes: number } {
  const { next } = write;
  const attributes: string[] = [];
  const values: AttributeValue[] = [];
  let valueBytes = 0;
  const setNumber = (attribute: string, text: string): void => {
    attributes.push(attribute);
    values.push({ N: text });
    valueBytes += numberBytes(text);
  };
  setNumber(AGGREGATE_ATTRIBUTES.count, String(next.count));
  attributes.push(AGGREGATE_ATTRIBUTES.firstTimestamp, AGGREGATE_ATTRIBUTES.lastTimestamp, AGGREGATE_ATTRIBUTES.statusCounts);
  const statusMap: Record<string, AttributeValue> = {};
  let statusBytes = 3;
  for (const status of statusValues()) statusMap[status] = { N: String(next.statusCounts[status] ?? 0) };
  for (const status in next.statusCounts) if (!(status in statusMap)) statusMap[status] = { N: String(next.statusCounts[status]) };
  for (const status in statusMap) statusBytes += status.length + numberBytes(statusMap[status]!.N!) + 1;
  values.push({ S: next.firstTimestamp }, { S: next.lastTimestamp }, { M: statusMap });
  valueBytes += next.firstTimestamp.length + next.lastTimestamp.length + statusBytes;
  let shape = write.expectedVersion === undefined ? 1 : 0;
  for (let m = 0; m < AGGREGATED_METRICS.length; m++) {
    const metric = AGGREGATED_METRICS[m]!;
    const names = METRIC_ATTRIBUTES[metric];
    const summary = next.metrics[metric];
    if (isNullableMetric(metric)) setNumber(names.count, String(summary?.count ?? 0));
    if (summary === undefined) continue;
    shape |= 2 << m;
    setNumber(names.sum, formatDecimal(summary.sum));
    setNumber(names.min, String(summary.min));
    setNumber(names.max, String(summary.max));
  }
  setNumber(EXPIRES_AT, String(write.expiresAt));
  attributes.push(UPDATED_AT);
  values.push({ S: write.updatedAt });
  valueBytes += write.updatedAt.length;
  setNumber(AGGREGATE_ATTRIBUTES.version, String((write.expectedVersion ?? 0) + 1));

  const plan = updatePlan(shape, attributes, write.expectedVersion === undefined);
  const expressionValues: Record<string, AttributeValue> = {};
  for (let i = 0; i < values.length; i++) expressionValues[valuePlaceholder(i)] = values[i]!;
  expressionValues[valuePlaceholder(values.length)] = { SS: [...write.added] };
  if (write.expectedVersion !== undefined) expressionValues[valuePlaceholder(values.length + 1)] = { N: String(write.expectedVersion) };
  const bytes = plan.bytesOfNames + valueBytes
    + 'device_id'.length + Buffer.byteLength(write.key.device_id) + 'minute'.length + write.key.minute.length
    + AGGREGATE_ATTRIBUTES.readings.length + next.members.size * MEMBER_BYTES;
  return {
    input: {
      TableName: table,
      Key: aggregateKeyItem(write.key),
      UpdateExpression: plan.updateExpression,
      ConditionExpression: plan.conditionExpression,
      ExpressionAttributeNames: plan.names,
      ExpressionAttributeValues: expressionValues,
      // The item that failed the condition comes back with the error: no second read (and no
      // read capacity) to learn what the concurrent writer wrote.
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
    bytes,
  };
}

/** Whether an aggregate of `bytes` can be stored. */
export const fitsInItem = (bytes: number): boolean => bytes <= MAX_ITEM_BYTES;
