import fc from 'fast-check';
import type { RowChange } from '../../../../lib/cdc/change-event';
import { ChangeFormatError } from '../../../../lib/cdc/change-event';
import { dmsCdcFileName, dmsCdcFileTime, dmsLoadFileName, dmsS3Key, formatDmsS3Csv, listDmsS3Files, parseDmsS3Csv } from '../../../../lib/cdc/formats/dms-s3';
import { SNAPSHOT_POSITION } from '../../../../lib/cdc/formats/positions';
import type { SourceTable } from '../../../../lib/cdc/source-tables';
import { canonicalTimestamp, keyImage, rowOf, tableArb } from './arbitraries';
import { thrownBy } from '../../../support/errors';

const errorOf = (run: () => unknown): ChangeFormatError => thrownBy(ChangeFormatError, run);

describe('DMS S3 file names', () => {
  test('full-load counters are 8 upper-case hex digits; CDC names carry the write time', () => {
    expect(dmsLoadFileName(1)).toBe('LOAD00000001.csv');
    expect(dmsLoadFileName(10)).toBe('LOAD0000000A.csv');
    expect(dmsLoadFileName(16, 'parquet')).toBe('LOAD00000010.parquet');
    expect(dmsCdcFileName(new Date('2014-10-29T11:34:01.123Z'))).toBe('20141029-1134011230.csv');
    expect(dmsCdcFileTime('20141029-1134010000.csv')).toBe('2014-10-29T11:34:01.000000Z');
    expect(dmsCdcFileTime('20141029-1134011230.csv.gz')).toBe('2014-10-29T11:34:01.123000Z');
    expect(dmsCdcFileTime('20141329-1134010000.csv')).toBeUndefined();
    expect(dmsS3Key('shop', 'orders', 'LOAD00000001.csv', 'dms/')).toBe('dms/shop/orders/LOAD00000001.csv');
  });

  test('listDmsS3Files: full loads per table in counter order, then CDC files in time order', () => {
    const plan = listDmsS3Files([
      'dms/shop/orders/20261125-2201000000.csv',
      'dms/shop/customers/LOAD0000000A.csv',
      'dms/shop/customers/20261125-2200300000.csv.gz',
      'dms/shop/customers/LOAD00000002.csv',
      'dms/shop/orders/LOAD00000001.parquet',
      'dms/shop/customers/LOAD00000009.csv',
      'dms/shop/orders/2026/11/25/20261125-2200100000.csv',
      'dms/shop/customers/',
      'dms/manifest.json',
      'LOAD00000001.csv',
    ]);
    expect(plan.files.map((f) => f.key)).toEqual([
      'dms/shop/customers/LOAD00000002.csv',
      'dms/shop/customers/LOAD00000009.csv',
      'dms/shop/customers/LOAD0000000A.csv',
      'dms/shop/orders/LOAD00000001.parquet',
      'dms/shop/orders/2026/11/25/20261125-2200100000.csv',
      'dms/shop/customers/20261125-2200300000.csv.gz',
      'dms/shop/orders/20261125-2201000000.csv',
    ]);
    expect(plan.files[2]).toEqual({ key: 'dms/shop/customers/LOAD0000000A.csv', schema: 'shop', table: 'customers', kind: 'load', dataFormat: 'csv', compressed: false, loadNumber: 10, fileTime: undefined });
    expect(plan.files[4]).toMatchObject({ schema: 'shop', table: 'orders', kind: 'cdc', fileTime: '2026-11-25T22:00:10.000000Z' });
    expect(plan.files[5]).toMatchObject({ compressed: true });
    expect(plan.files[3]).toMatchObject({ dataFormat: 'parquet' });
    expect(plan.ignored).toEqual(['dms/shop/customers/', 'dms/manifest.json', 'LOAD00000001.csv']);
  });
});

describe('parseDmsS3Csv', () => {

  test('a full-load file: no Op, no header; rows at the snapshot position; quoted fields', () => {
    const text = '42,ana@example.com,"Łukasik, Ana",PL,1250.50,true,2026-11-25 21:59:58.123456,"said ""hi""\nthen left"\n43,b@example.com,Bo,,0.00,false,2026-11-25 21:59:59.000000,\n';
    const changes = parseDmsS3Csv(text, { schema: 'shop', table: 'customers', kind: 'load', fileKey: 'shop/customers/LOAD00000001.csv' });
    expect(changes).toEqual([
      {
        kind: 'row',
        operation: 'load',
        schema: 'shop',
        table: 'customers',
        after: { customer_id: '42', email: 'ana@example.com', full_name: 'Łukasik, Ana', country: 'PL', balance: '1250.50', vip: true, signed_up_at: '2026-11-25T21:59:58.123456Z', notes: 'said "hi"\nthen left' },
        before: undefined,
        keyColumns: ['customer_id'],
        position: SNAPSHOT_POSITION,
        transactionId: undefined,
        commitTimestamp: undefined,
      },
      expect.objectContaining({ after: expect.objectContaining({ customer_id: '43', country: null, notes: null }) as unknown }),
    ]);
  });

  test('a CDC file with Op and the commit-timestamp column: positions by commit time, then order within it', () => {
    const text = [
      'I,2026-11-25 22:00:00.000001,42,a@x.io,Ann,DE,1.00,false,2026-11-25 22:00:00.000000,',
      'U,2026-11-25 22:00:00.000001,42,a@x.io,Ann,DE,2.00,false,2026-11-25 22:00:00.000000,',
      'U,2026-11-25 22:00:05.000000,42,a@x.io,Ann,DE,3.00,true,2026-11-25 22:00:00.000000,vip now',
      'D,2026-11-25 22:00:09.250000,42,,,,,,,',
      '',
    ].join('\r\n');
    const changes = parseDmsS3Csv(text, { schema: 'shop', table: 'customers', kind: 'cdc', timestampColumn: 'COMMIT_TS', fileKey: 'shop/customers/20261125-2200100000.csv' }) as RowChange[];
    expect(changes.map((c) => [c.operation, c.position.commit, c.position.sequence, c.commitTimestamp])).toEqual([
      ['insert', '2026-11-25T22:00:00.000001Z', 0, '2026-11-25T22:00:00.000001Z'],
      ['update', '2026-11-25T22:00:00.000001Z', 1, '2026-11-25T22:00:00.000001Z'],
      ['update', '2026-11-25T22:00:05.000000Z', 0, '2026-11-25T22:00:05.000000Z'],
      ['delete', '2026-11-25T22:00:09.250000Z', 0, '2026-11-25T22:00:09.250000Z'],
    ]);
    expect(changes[2]!.after).toMatchObject({ balance: '3.00', vip: true, notes: 'vip now' });
    expect(changes[3]).toMatchObject({ after: undefined, before: { customer_id: '42', email: '', balance: null } });
  });

  test('without the timestamp column, the file name time and row order position the rows', () => {
    const changes = parseDmsS3Csv('I,1,a,b,,1.00,t,2026-01-01 00:00:00,\nD,1,a,b,,1.00,t,2026-01-01 00:00:00,\n', { schema: 'shop', table: 'customers', kind: 'cdc', fileKey: 'x/shop/customers/20261125-2200100000.csv' });
    expect(changes.map((c) => c.position)).toEqual([
      { commit: '2026-11-25T22:00:10.000000Z', sequence: 0 },
      { commit: '2026-11-25T22:00:10.000000Z', sequence: 1 },
    ]);
  });

  test('AddColumnName headers, IncludeOpForFullLoad, BI_ columns, a custom NULL text and delimiter', () => {
    const header = 'Op;TS;order_id;line_no;sku;quantity;unit_price;note;BI_line_no';
    const text = `${header}\nI;2026-11-25 22:00:00.000000;A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11;1;S;2;3.5;NULL;NULL\nU;2026-11-25 22:00:01.000000;a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11;2;S;2;3.5;;1\n`;
    const changes = parseDmsS3Csv(text, { schema: 'shop', table: 'order_lines', kind: 'cdc', addColumnName: true, timestampColumn: 'TS', csvDelimiter: ';', csvNullValue: 'NULL', beforeImage: { columns: ['line_no'] }, fileKey: 'k' }) as RowChange[];
    expect(changes[0]).toMatchObject({ operation: 'insert', before: undefined, after: { order_id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', unit_price: '3.5000', note: null } });
    expect(changes[1]).toMatchObject({ operation: 'update', before: { line_no: 1 }, after: { line_no: 2, note: '' } });
    const load = parseDmsS3Csv('I,42,a,b,,1.00,t,2026-01-01 00:00:00,\n', { schema: 'shop', table: 'customers', kind: 'load', includeOpForFullLoad: true, fileKey: 'k' });
    expect(load[0]).toMatchObject({ operation: 'load', position: SNAPSHOT_POSITION });
  });

  test('an empty field reads as NULL in nullable columns and as the empty string in NOT NULL text', () => {
    const [change] = parseDmsS3Csv('42,,,,1.00,f,2026-01-01 00:00:00,\n', { schema: 'shop', table: 'customers', kind: 'load', fileKey: 'k' }) as RowChange[];
    expect(change!.after).toMatchObject({ email: '', full_name: '', country: null, notes: null });
  });

  test.each<[string, string, Record<string, unknown>, string, RegExp]>([
    ['an unknown Op', 'X,2026-01-01 00:00:00,42,a,b,,1.00,t,2026-01-01 00:00:00,\n', { kind: 'cdc', timestampColumn: 'TS' }, 'k row 1 column Op', /expected one of I\|U\|D, got "X"/],
    ['a U in a full-load file', 'U,42,a,b,,1.00,t,2026-01-01 00:00:00,\n', { kind: 'load', includeOpForFullLoad: true }, 'k row 1 column Op', /expected one of I, got "U"/],
    ['a wrong field count', '42,a,b\n', { kind: 'load' }, 'k row 1', /expected 8 fields, got 3/],
    ['a bad numeric', '42,a,b,,1.234,t,2026-01-01 00:00:00,\n', { kind: 'load' }, 'k row 1 column balance', /more than 2 fraction digits/],
    ['a bad commit timestamp', 'I,soon,42,a,b,,1.00,t,2026-01-01 00:00:00,\n', { kind: 'cdc', timestampColumn: 'TS' }, 'k row 1 column TS', /expected a timestamp/],
    ['a NULL in a NOT NULL column', '42,a,b,,,t,2026-01-01 00:00:00,\n', { kind: 'load' }, 'k row 1 column balance', /null in NOT NULL column balance/],
    ['an unknown header', 'customer_id,mail\n', { kind: 'load', addColumnName: true }, 'k row 1 column 2', /unexpected column name "mail"/],
    ['broken quoting', '42,"a,b,,1.00,t,2026-01-01 00:00:00,\n', { kind: 'load' }, 'k row 1', /not valid CSV/],
    ['a CDC file with no time at all', 'I,42,a,b,,1.00,t,2026-01-01 00:00:00,\n', { kind: 'cdc' }, 'k', /needs a timestamp column or a DMS CDC file name/],
  ])('%s names the row and column', (_name, text, options, field, reason) => {
    const error = errorOf(() => parseDmsS3Csv(text, { schema: 'shop', table: 'customers', fileKey: 'k', kind: 'load', ...options }));
    expect(error).toMatchObject({ format: 'dms-s3', field });
    expect(error.reason).toMatch(reason);
  });

  test('tables outside the contract need their columns, and keep text values', () => {
    expect(() => parseDmsS3Csv('1,x\n', { schema: 'public', table: 't', kind: 'load', fileKey: 'k' })).toThrow(/pass its columns/);
    const [change] = parseDmsS3Csv('1,\n', { schema: 'public', table: 't', kind: 'load', fileKey: 'k', columns: ['id', 'v'] }) as RowChange[];
    expect(change!.after).toEqual({ id: '1', v: null });
  });

  test('formatDmsS3Csv refuses what it cannot write unambiguously', () => {
    const row = { customer_id: '1', email: 'e', full_name: 'f', country: null, balance: '1.00', vip: true, signed_up_at: '2026-01-01T00:00:00.000000Z', notes: '' };
    const change: RowChange = { kind: 'row', operation: 'insert', schema: 'shop', table: 'customers', after: row, before: undefined, keyColumns: ['customer_id'], position: { commit: '2026-01-01T00:00:00.000000Z', sequence: 0 }, transactionId: undefined, commitTimestamp: '2026-01-01T00:00:00.000000Z' };
    expect(() => formatDmsS3Csv([change], { schema: 'shop', table: 'customers', kind: 'cdc' })).toThrow(/would read back as NULL/);
    expect(formatDmsS3Csv([change], { schema: 'shop', table: 'customers', kind: 'cdc', csvNullValue: '\\N', addColumnName: true, timestampColumn: 'TS' })).toBe(
      'Op,TS,customer_id,email,full_name,country,balance,vip,signed_up_at,notes\nI,2026-01-01 00:00:00.000000,1,e,f,\\N,1.00,true,2026-01-01 00:00:00.000000,\n',
    );
    expect(() => formatDmsS3Csv([{ ...change, operation: 'load' }], { schema: 'shop', table: 'customers', kind: 'cdc' })).toThrow(/a load row in a cdc file/);
    expect(() => formatDmsS3Csv([{ kind: 'control', operation: 'truncate', schema: 'shop', table: 'customers', position: change.position, transactionId: undefined, commitTimestamp: undefined }], { schema: 'shop', table: 'customers', kind: 'cdc' })).toThrow(/no control records/);
  });

  const NULL_TEXT = '\\N';

  test('format → parse is the identity for load and CDC files of every table (Op, commit timestamps, NULLs, unicode)', () => {
    const fileArb = tableArb.chain((table: SourceTable) =>
      fc.record({
        table: fc.constant(table),
        kind: fc.constantFrom('load', 'cdc' as const),
        header: fc.boolean(),
        withOp: fc.boolean(),
        rows: fc.array(fc.record({ row: rowOf(table), op: fc.constantFrom('insert', 'update', 'delete' as const), time: canonicalTimestamp, keyOnly: fc.boolean() }), { minLength: 1, maxLength: 8 }),
      }),
    );
    fc.assert(
      fc.property(fileArb, ({ table, kind, header, withOp, rows }) => {
        const times = rows.map((r) => r.time).sort();
        let previous = '';
        let sequence = 0;
        const changes: RowChange[] = rows.map(({ row: generated, op, keyOnly }, i): RowChange => {
          // A text equal to the NULL text cannot be written (formatDmsS3Csv refuses it, tested above).
          const row = Object.fromEntries(Object.entries(generated).map(([k, v]) => [k, v === NULL_TEXT ? 'x' : v]));
          const operation = kind === 'load' ? 'load' : op;
          const commit = times[i]!;
          sequence = commit === previous ? sequence + 1 : 0;
          previous = commit;
          // A delete's missing columns come back as NULLs.
          const deleted = keyOnly ? { ...Object.fromEntries(table.columns.map((c) => [c.name, null])), ...keyImage(table, row) } : row;
          return {
            kind: 'row',
            operation,
            schema: 'shop',
            table: table.table,
            after: operation === 'delete' ? undefined : row,
            before: operation === 'delete' ? deleted : undefined,
            keyColumns: table.keyColumns,
            position: kind === 'load' ? SNAPSHOT_POSITION : { commit, sequence },
            transactionId: undefined,
            commitTimestamp: kind === 'load' ? undefined : commit,
          };
        });
        const options = { schema: 'shop', table: table.table, kind, addColumnName: header, includeOpForFullLoad: withOp, timestampColumn: 'commit_ts', csvNullValue: NULL_TEXT };
        const text = formatDmsS3Csv(changes, options);
        expect(parseDmsS3Csv(text, { ...options, fileKey: 'f' })).toEqual(changes);
      }),
      { numRuns: 200 },
    );
  });
});
