/**
 * The staging file DuckDB reads: good lines copied byte for byte where they are canonical,
 * re-serialised where a timestamp was re-spelled, and every other line in the report with its
 * exact number — also when it sits in the middle of a large input cut into chunks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stageNdjson } from '../../../../lib/formats/parquet/ndjson-staging';
import { compileRowCheck, compileRowValidator, ROW_CANONICAL, ROW_RESPELLED } from '../../../../lib/formats/parquet/ndjson-row-check';
import { getSchema } from '../../../../lib/schemas/registry';
import { GOOD_ROW, line } from '../../../support/ndjson-rows';

const schema = getSchema('clickstream');
const good = GOOD_ROW;
/** A row of `good` whose `revenue` key comes first, out of schema order. */
const outOfOrder = (overrides: Record<string, unknown> = {}): Record<string, unknown> => Object.assign({ revenue: 0 }, good, overrides);

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'shardline-staging-test-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function stage(chunks: (string | Uint8Array)[], maxBadLinesKept?: number): Promise<{ text: string; report: Awaited<ReturnType<typeof stageNdjson>> }> {
  const path = join(dir, 'staged.ndjson');
  const report = await stageNdjson(chunks, schema, path, maxBadLinesKept === undefined ? {} : { maxBadLinesKept });
  return { text: readFileSync(path, 'utf8'), report };
}

/** `bytes` cut into pieces of `size` (the last may be shorter). */
function cut(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return pieces;
}

describe('stageNdjson', () => {
  it('copies canonical lines byte for byte, whitespace and key order included', async () => {
    const spaced = `  ${line()} \t`;
    const reordered = JSON.stringify(outOfOrder());
    const input = `${line()}\n${spaced}\n${reordered}\n`;
    const { text, report } = await stage([input]);
    expect(text).toBe(input);
    expect(report).toMatchObject({ lines: 3, goodLines: 3, blankLines: 0, badLines: { count: 0 } });
  });

  it('re-spells a non-canonical timestamp in UTC and keeps its neighbours as they were', async () => {
    const before = line({ user_id: 'ü-🚀' });
    const after = `${line({ user_id: '東京' })}  `;
    const { text, report } = await stage([`${before}\n${line({ timestamp: '2026-11-26 01:30:00.5+05:30' })}\n${after}\n`]);
    const staged = text.split('\n');
    expect(staged).toHaveLength(4);
    expect(staged[0]).toBe(before);
    expect(JSON.parse(staged[1]!)).toEqual({ ...good, timestamp: '2026-11-25T20:00:00.500Z' });
    expect(staged[2]).toBe(after);
    expect(staged[3]).toBe('');
    expect(report.goodLines).toBe(3);
  });

  it('re-spells a zone-less or "Z"-less timestamp even when the keys are out of schema order', async () => {
    const { text } = await stage([`${JSON.stringify(outOfOrder({ timestamp: '2026-11-25T22:00:00' }))}\n`]);
    expect(JSON.parse(text)).toMatchObject({ timestamp: '2026-11-25T22:00:00.000Z' });
  });

  it('reports a bad line in the middle of a large input with its exact number, whatever the chunking', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => line({ duration_ms: i }));
    lines[12_345] = line({ duration_ms: 'oops' }); // line 12,346
    lines[777] = ''; // line 778, blank
    lines[15_000] = line({ duration_ms: 15_000, timestamp: '2026-11-26T01:30:00+01:00' }); // line 15,001, re-spelled
    const input = Buffer.from(lines.join('\n') + '\n');
    for (const size of [input.length, 1 << 20, 65_536, 4093]) {
      const { text, report } = await stage(cut(input, size));
      expect(report).toMatchObject({ lines: 20_000, goodLines: 19_998, blankLines: 1, badLines: { count: 1 } });
      expect(report.badLines.kept).toEqual([{ lineNumber: 12_346, reason: 'duration_ms: expected an integer, got "oops"', line: lines[12_345] }]);
      const staged = text.split('\n');
      expect(staged).toHaveLength(19_999);
      expect(staged[776]).toBe(lines[776]);
      expect(staged[777]).toBe(lines[778]);
      expect(staged[12_343]).toBe(lines[12_344]);
      expect(staged[12_344]).toBe(lines[12_346]);
      expect(JSON.parse(staged[14_998]!)).toMatchObject({ duration_ms: 15_000, timestamp: '2026-11-26T00:30:00.000Z' });
      expect(staged[19_997]).toBe(lines[19_999]);
    }
  });

  it('adds the LF an unterminated last line lacks, and drops the CR of CRLF lines', async () => {
    expect((await stage([`${line()}\n${line({ duration_ms: 1 })}`])).text).toBe(`${line()}\n${line({ duration_ms: 1 })}\n`);
    expect((await stage([`${line()}\r\n${line({ duration_ms: 1 })}\r\n`])).text).toBe(`${line()}\n${line({ duration_ms: 1 })}\n`);
  });

  it('leaves out a line of invalid UTF-8 and keeps the good lines of its chunk', async () => {
    const broken = Buffer.concat([Buffer.from('{"user_id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const { text, report } = await stage([Buffer.concat([Buffer.from(line() + '\n'), broken, Buffer.from('\n' + line({ duration_ms: 2 }) + '\n')])]);
    expect(text).toBe(`${line()}\n${line({ duration_ms: 2 })}\n`);
    expect(report.badLines.kept).toEqual([{ lineNumber: 2, reason: 'invalid UTF-8', line: broken }]);
  });

  it('writes a line larger than its staging buffer whole', async () => {
    const pageUrl = `https://shop.example.com/${'é'.repeat(1_500_000)}`;
    const { text } = await stage([`${line()}\n${line({ timestamp: '2026-11-26T01:30:00+01:00', page_url: pageUrl })}\n`]);
    expect(text.length).toBeGreaterThan(1_500_000);
    expect(JSON.parse(text.split('\n')[1]!)).toMatchObject({ timestamp: '2026-11-26T00:30:00.000Z', page_url: pageUrl });
  });

  it('writes an empty file when no line is good', async () => {
    const { text, report } = await stage(['oops\n\n'], 0);
    expect(text).toBe('');
    expect(report).toMatchObject({ lines: 2, goodLines: 0, blankLines: 1, badLines: { count: 1, kept: [] } });
  });
});

describe('compileRowValidator', () => {
  const validate = compileRowValidator(schema);
  const parsed = (overrides: Record<string, unknown> = {}): Record<string, unknown> => JSON.parse(line(overrides)) as Record<string, unknown>;

  it('tells canonical rows from re-spelled ones, in schema order or not', () => {
    expect(validate(parsed())).toBe(ROW_CANONICAL);
    expect(validate(outOfOrder())).toBe(ROW_CANONICAL);
    const row = parsed({ timestamp: '2026-11-26T01:30:00+01:00' });
    expect(validate(row)).toBe(ROW_RESPELLED);
    expect(row.timestamp).toBe('2026-11-26T00:30:00.000Z');
  });

  it('remembers a timestamp re-spelled before the keys stray from schema order', () => {
    const row = parsed({ timestamp: '2026-11-26T01:30:00+01:00' });
    delete row.revenue; // the in-order pass gives up at the end; the general check decides
    expect(validate(row)).toBe(ROW_RESPELLED);
    const extra = { ...parsed({ timestamp: '2026-11-26T01:30:00+01:00' }), extra: 1 };
    expect(validate(extra)).toBe('unknown property "extra"');
  });

  it('gives the same reasons as the result-object check, for rows in and out of schema order', () => {
    const check = compileRowCheck(schema);
    const cases: unknown[] = [
      parsed({ duration_ms: 1.5 }), parsed({ device: null }), parsed({ referrer: 3 }), parsed({ extra: true }),
      outOfOrder({ duration_ms: 'x' }), { ...good, event_id: undefined }, { ...good, revenue: undefined }, [good], 'text',
    ];
    for (const value of cases) {
      const verdict = validate(structuredClone(value));
      const checked = check(structuredClone(value));
      expect(typeof verdict === 'string' ? { ok: false, reason: verdict } : { ok: true }).toEqual(checked.ok ? { ok: true } : { ok: false, reason: checked.reason });
    }
    expect(validate({ ...good, event_id: undefined })).toBe('event_id: missing in a non-nullable column');
    expect(validate({ ...good, revenue: undefined })).toBe(ROW_CANONICAL);
    expect(validate(parsed({ referrer: 3 }))).toBe('referrer: expected a string, got 3');
  });
});
