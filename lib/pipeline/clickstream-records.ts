/**
 * The main job's input: clickstream CSV rows grouped into Firehose records of 1..n lines, with
 * the bad records a real feed has mixed in (blank, wrong column count, a value the schema
 * rejects), each counted so the job can prove where every row went.
 */
import { formatCsvRows } from '../formats/csv/csv-rows';
import { intBetween, seededRandom } from '../datasets/random';

export interface RecordOptions {
  readonly seed: number;
  /** One bad record after every `badEvery` good ones. */
  readonly badEvery: number;
  readonly linesPerRecord: number;
  /** Let a record mix event types (the transform then splits and re-ingests it). */
  readonly mixedRecords?: boolean;
}

export interface InjectedBadRecords {
  blank: number;
  wrongColumnCount: number;
  invalidValue: number;
}

export interface ClickstreamRecords {
  readonly records: Buffer[];
  readonly injected: InjectedBadRecords;
  /** CSV rows in all records, bad ones included (blank records hold none). */
  readonly rows: number;
}

const EVENT_TYPE = 3;
const DURATION = 9;

/** Non-empty lines: the rows of a record whose fields hold no line breaks (all generated data). */
export const countLines = (data: Uint8Array | string): number => Buffer.from(data).toString('utf8').split('\n').filter((l) => l.trim() !== '').length;

/**
 * Like a producer that knows about dynamic partitioning, a record holds rows of one event type
 * unless `mixedRecords` asks otherwise.
 */
export function toFirehoseRecords(rows: readonly string[][], options: RecordOptions): ClickstreamRecords {
  const random = seededRandom(options.seed + 1);
  const records: Buffer[] = [];
  const injected: InjectedBadRecords = { blank: 0, wrongColumnCount: 0, invalidValue: 0 };
  let good = 0;
  for (let i = 0; i < rows.length;) {
    const n = intBetween(random, 1, options.linesPerRecord);
    let end = i + 1;
    while (end < Math.min(i + n, rows.length) && (options.mixedRecords || rows[end]![EVENT_TYPE] === rows[i]![EVENT_TYPE])) end++;
    records.push(Buffer.from(formatCsvRows(rows.slice(i, end))));
    i = end;
    if (++good % options.badEvery === 0) {
      const row = rows[i % rows.length]!;
      switch ((good / options.badEvery) % 3) {
        case 0:
          records.push(Buffer.from('  \r\n'));
          injected.blank++;
          break;
        case 1:
          records.push(Buffer.from(formatCsvRows([row.slice(0, -1)])));
          injected.wrongColumnCount++;
          break;
        default:
          records.push(Buffer.from(formatCsvRows([row.map((field, column) => (column === DURATION ? '-5' : field))])));
          injected.invalidValue++;
      }
    }
  }
  return { records, injected, rows: records.reduce((sum, r) => sum + countLines(r), 0) };
}
