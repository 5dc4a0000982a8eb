import { readNdjson } from '../../../../lib/formats/parquet/ndjson-reader';
import type { GoodLine } from '../../../../lib/formats/parquet/ndjson-reader';
import { getSchema } from '../../../../lib/schemas/registry';
import { GOOD_ROW, line } from '../../../support/ndjson-rows';

const schema = getSchema('clickstream');

const good = GOOD_ROW;

async function readAll(chunks: (string | Uint8Array)[]): Promise<{ good: GoodLine[]; report: ReturnType<typeof readNdjson>['report'] }> {
  const reader = readNdjson(chunks, schema);
  const lines: GoodLine[] = [];
  for await (const batch of reader.batches) lines.push(...batch);
  return { good: lines, report: reader.report };
}

describe('readNdjson', () => {
  it('reports each bad line with its number and reason, and still yields the good ones', async () => {
    const withoutRevenue: Partial<typeof good> = { ...good };
    delete withoutRevenue.revenue;
    const withoutUser: Partial<typeof good> = { ...good };
    delete withoutUser.user_id;
    const text = [
      line(), // 1
      '{"event_id": ', // 2 invalid JSON
      line({ duration_ms: '12' }), // 3 wrong type
      '', // 4 blank
      line({ duration_ms: 2 ** 60 }), // 5 not exactly representable
      JSON.stringify(withoutUser), // 6 missing required
      line({ device: null }), // 7 null in non-nullable
      line({ extra: 1 }), // 8 unknown property
      '[1,2]', // 9 not an object
      line({ timestamp: 'yesterday' }), // 10 bad timestamp
      JSON.stringify(withoutRevenue), // 11 missing nullable: good (null)
      line({ duration_ms: 1.5 }), // 12 not an integer
    ].join('\n') + '\n';
    const { good: lines, report } = await readAll([text]);
    expect(lines.map((l) => l.lineNumber)).toEqual([1, 11]);
    expect(report).toMatchObject({ lines: 12, goodLines: 2, blankLines: 1 });
    expect(report.badLines.count).toBe(9);
    expect(report.badLines.kept.map((b) => [b.lineNumber, b.reason])).toEqual([
      [2, expect.stringMatching(/^invalid JSON: /)],
      [3, 'duration_ms: expected an integer, got "12"'],
      [5, expect.stringContaining('duration_ms: integer outside')],
      [6, 'user_id: missing in a non-nullable column'],
      [7, 'device: null in a non-nullable column'],
      [8, 'unknown property "extra"'],
      [9, 'expected a JSON object, got [1,2]'],
      [10, 'timestamp: expected an ISO-8601 timestamp, got "yesterday"'],
      [12, 'duration_ms: expected an integer, got 1.5'],
    ]);
    expect(report.badLines.kept[1]?.line).toBe(line({ duration_ms: '12' }));
  });

  it('splits lines across chunk boundaries, even inside a multi-byte character, and handles CRLF and a missing final LF', async () => {
    const bytes = Buffer.from(`${line({ user_id: 'ü-🚀' })}\r\n${line({ user_id: '東京' })}`);
    const cut = bytes.indexOf(Buffer.from('🚀')) + 2;
    const { good: lines, report } = await readAll([bytes.subarray(0, cut), bytes.subarray(cut, cut + 5), bytes.subarray(cut + 5)]);
    expect(lines.map((l) => [l.lineNumber, l.row.user_id])).toEqual([[1, 'ü-🚀'], [2, '東京']]);
    expect(lines[0]?.text.endsWith('\r')).toBe(false);
    expect(report).toMatchObject({ lines: 2, goodLines: 2, badLines: { count: 0 } });
  });

  it('flags a line of invalid UTF-8 alone and keeps its bytes', async () => {
    const broken = Buffer.concat([Buffer.from('{"user_id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const { good: lines, report } = await readAll([Buffer.concat([Buffer.from(line() + '\n'), broken, Buffer.from('\n' + line() + '\n')])]);
    expect(lines.map((l) => l.lineNumber)).toEqual([1, 3]);
    expect(report.badLines.kept).toEqual([{ lineNumber: 2, reason: 'invalid UTF-8', line: broken }]);
  });

  it('re-spells timestamps with a zone offset in ISO-8601 UTC and keeps canonical lines byte for byte', async () => {
    const canonical = line();
    const { good: lines } = await readAll([`${canonical}\n${line({ timestamp: '2026-11-26T01:30:00.5+05:30' })}\n`]);
    expect(lines[0]?.text).toBe(canonical);
    expect(lines[1]?.row.timestamp).toBe('2026-11-25T20:00:00.500Z');
    expect(JSON.parse(lines[1]!.text)).toMatchObject({ timestamp: '2026-11-25T20:00:00.500Z' });
  });

  it('counts every bad line but keeps only the first maxBadLinesKept', async () => {
    const reader = readNdjson(['x\n'.repeat(50)], schema, { maxBadLinesKept: 3 });
    for await (const batch of reader.batches) expect(batch).toEqual([]);
    expect(reader.report.badLines.count).toBe(50);
    expect(reader.report.badLines.kept.map((b) => b.lineNumber)).toEqual([1, 2, 3]);
  });
});
