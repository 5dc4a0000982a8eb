/**
 * `serverless invoke local` on the sample Firehose transformation event: the bundled handler,
 * run by the framework the way Lambda would, answers the Firehose contract.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT, runServerless } from '../support/serverless-cli';

/** @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html */
interface TransformationEvent {
  readonly invocationId: string;
  readonly deliveryStreamArn: string;
  readonly region: string;
  readonly records: readonly { readonly recordId: string; readonly approximateArrivalTimestamp: number; readonly data: string }[];
}

interface TransformationResponse {
  readonly records: readonly {
    readonly recordId: string;
    readonly result: string;
    readonly data?: string;
    readonly metadata?: { readonly partitionKeys?: Record<string, string> };
  }[];
}

const EVENT_FILE = 'events/firehose-csv-to-json.json';
const RESULTS = ['Ok', 'Dropped', 'ProcessingFailed'];

function isResponse(value: unknown): value is TransformationResponse {
  return typeof value === 'object' && value !== null && Array.isArray((value as { records?: unknown }).records);
}

/**
 * The handler's answer in the CLI's stdout. The framework prints it as (indented) JSON but may
 * print other lines around it, so try each line that opens an object against each line that
 * closes one, widest first.
 */
function extractResponse(stdout: string): TransformationResponse {
  const lines = stdout.split('\n');
  const starts = lines.flatMap((line, i) => (line.startsWith('{') ? [i] : []));
  const ends = lines.flatMap((line, i) => (line.trimEnd().endsWith('}') ? [i] : [])).reverse();
  for (const start of starts) {
    for (const end of ends) {
      if (end < start) continue;
      try {
        const parsed: unknown = JSON.parse(lines.slice(start, end + 1).join('\n'));
        if (isResponse(parsed)) return parsed;
      } catch {
        // Not this span.
      }
    }
  }
  throw new Error(`No transformation response in the output of invoke local:\n${stdout}`);
}

let event: TransformationEvent;
let response: TransformationResponse;

beforeAll(async () => {
  event = JSON.parse(await readFile(join(PROJECT_ROOT, EVENT_FILE), 'utf8')) as TransformationEvent;
  const { stdout } = await runServerless(['invoke', 'local', '-f', 'firehoseCsvToJson', '-p', EVENT_FILE], {
    // Keep the handler's logs and EMF metrics out of stdout, which carries the answer.
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  response = extractResponse(stdout);
}, 180_000);

describe('serverless invoke local firehoseCsvToJson', () => {
  it('answers every record of the event exactly once, in order', () => {
    const sent = event.records.map((r) => r.recordId);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent).size).toBe(sent.length);
    expect(response.records.map((r) => r.recordId)).toEqual(sent);
  });

  it('gives each record a result Firehose knows', () => {
    for (const record of response.records) expect(RESULTS).toContain(record.result);
  });

  it('turns Ok records into newline-terminated JSON lines, with partition keys', () => {
    const ok = response.records.filter((r) => r.result === 'Ok');
    expect(ok.length).toBeGreaterThan(0);
    for (const record of ok) {
      const text = Buffer.from(record.data ?? '', 'base64').toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      for (const line of lines) {
        const row: unknown = JSON.parse(line);
        expect(typeof row === 'object' && row !== null && !Array.isArray(row)).toBe(true);
      }
      // The delivery stream's S3 prefix is built from these; Firehose fails records without them.
      const keys = record.metadata?.partitionKeys ?? {};
      expect(Object.keys(keys).sort()).toEqual(['dt', 'event_type']);
      for (const value of Object.values(keys)) expect(typeof value === 'string' && value.length > 0).toBe(true);
    }
  });
});
