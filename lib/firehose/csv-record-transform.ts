/**
 * What becomes of one Firehose record of CSV lines: newline-delimited JSON with its partition
 * keys, a drop, a failure with its reason, or a split when its rows belong to more than one
 * partition (a Firehose record carries exactly one set of partition keys).
 */
import { isUtf8 } from 'node:buffer';
import type { DatasetSchema } from '../schemas/dataset-schema';
import { compileRowDecoder } from '../formats/csv/row-decoder';
import type { Row } from '../formats/csv/row-decoder';
import { formatCsvRows, parseCsvRows } from '../formats/csv/csv-rows';

/** Where in the record and why it could not be transformed. */
export interface RecordFailure {
  /** 1-based CSV row within the record (blank lines not counted). */
  readonly line?: number;
  readonly column?: string;
  readonly reason: string;
}

export type PartitionKeys = Readonly<Record<string, string>>;

export type RecordOutcome =
  | { readonly result: 'Ok'; readonly json: string; readonly rows: number; readonly partitionKeys: PartitionKeys }
  | { readonly result: 'Dropped'; readonly reason: 'empty' }
  | { readonly result: 'ProcessingFailed'; readonly failure: RecordFailure }
  /** Rows of several partitions: each part (CSV text of one partition's rows) is to be re-ingested. */
  | { readonly result: 'Split'; readonly parts: readonly string[]; readonly rows: number };

export type CsvRecordTransform = (base64: string) => RecordOutcome;

/** Firehose sends canonical padded base64; Node's decoder silently skips anything else. */
function decodeBase64Strict(base64: string): Buffer | undefined {
  if (base64.length % 4 !== 0) return undefined;
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length === (base64.length / 4) * 3 - padding ? bytes : undefined;
}

const WHITESPACE_ONLY = /^[\s\uFEFF]*$/;

export function compileCsvRecordTransform(schema: DatasetSchema): CsvRecordTransform {
  const decodeRow = compileRowDecoder(schema);
  const keySpecs = schema.partitionKeys;
  const keyValue = (row: Row, spec: (typeof keySpecs)[number]): string => {
    const value = String(row[spec.field]);
    return spec.transform === 'utc-date' ? value.slice(0, 10) : value;
  };
  // One shared, frozen keys object per partition: cheap to compare and to measure downstream.
  const keysByPartition = new Map<string, PartitionKeys>();
  const partitionKeysOf = (row: Row, key: string): PartitionKeys => {
    let keys = keysByPartition.get(key);
    if (!keys) {
      keys = Object.freeze(Object.fromEntries(keySpecs.map((spec) => [spec.name, keyValue(row, spec)])));
      // Bounded: partitions are few (type × day), but a long-lived container sees many days.
      if (keysByPartition.size >= 10_000) keysByPartition.clear();
      keysByPartition.set(key, keys);
    }
    return keys;
  };
  /** Identifies a row's partition cheaply (the hot path compares this, not objects). */
  const keyOf = (row: Row): string => {
    let key = '';
    for (const spec of keySpecs) key += keyValue(row, spec) + '\u0000';
    return key;
  };

  return (base64) => {
    const bytes = decodeBase64Strict(base64);
    if (!bytes) return { result: 'ProcessingFailed', failure: { reason: 'data is not valid base64' } };
    if (!isUtf8(bytes)) return { result: 'ProcessingFailed', failure: { reason: 'data is not valid UTF-8' } };
    const text = bytes.toString('utf8');
    if (WHITESPACE_ONLY.test(text)) return { result: 'Dropped', reason: 'empty' };

    const parsed = parseCsvRows(text);
    if (!parsed.ok) return { result: 'ProcessingFailed', failure: { line: parsed.error.row, reason: parsed.error.reason } };

    let json = '';
    let firstKeys: PartitionKeys | undefined;
    let firstKey = '';
    let groups: Map<string, string[][]> | undefined;
    for (let i = 0; i < parsed.rows.length; i++) {
      const fields = parsed.rows[i]!;
      const decoded = decodeRow(fields);
      if (!decoded.ok) return { result: 'ProcessingFailed', failure: { line: i + 1, ...decoded.error } };
      json += JSON.stringify(decoded.row) + '\n';
      const key = keyOf(decoded.row);
      if (firstKeys === undefined) {
        firstKeys = partitionKeysOf(decoded.row, key);
        firstKey = key;
      } else if (key !== firstKey || groups) {
        // Rows of another partition: from here on remember every row's group, to split.
        groups ??= new Map([[firstKey, parsed.rows.slice(0, i)]]);
        const group = groups.get(key);
        if (group) group.push(fields);
        else groups.set(key, [fields]);
      }
    }
    if (groups) return { result: 'Split', parts: [...groups.values()].map(formatCsvRows), rows: parsed.rows.length };
    if (!firstKeys) return { result: 'Dropped', reason: 'empty' };
    return { result: 'Ok', json, rows: parsed.rows.length, partitionKeys: firstKeys };
  };
}
