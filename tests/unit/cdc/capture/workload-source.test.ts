import { seededRandom } from '../../../../lib/datasets/random';
import { KeyPool } from '../../../../lib/cdc/workload/key-pool';
import { qualifiedName, sourceDdl, SourceSchemaError, sourceTableNamed } from '../../../../lib/cdc/workload/shop-source';
import { decimalText, seededUuid, timestamptzText } from '../../../../lib/cdc/workload/values';
import { loadSourceTables, parsePgType, shopTables } from '../../../../lib/cdc/source-tables';
import { canonicalValue } from '../../../../lib/cdc/source-tables';

describe('source DDL from schemas/cdc/shop.json', () => {
  test('one CREATE TABLE per table with the file\'s types, NOT NULLs and primary key, and REPLICA IDENTITY FULL', () => {
    const ddl = sourceDdl();
    expect(ddl[0]).toBe('CREATE SCHEMA IF NOT EXISTS "shop"');
    for (const table of shopTables.tables.values()) {
      const create = ddl.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${qualifiedName(table)} (`))!;
      expect(create).toBeDefined();
      for (const column of table.columns) expect(create).toContain(`  "${column.name}" ${column.typeName}${column.nullable ? ',' : ' NOT NULL,'}`);
      expect(create).toContain(`PRIMARY KEY (${table.keyColumns.map((k) => `"${k}"`).join(', ')})`);
      expect(ddl).toContain(`ALTER TABLE ${qualifiedName(table)} REPLICA IDENTITY FULL`);
    }
    expect(ddl.find((s) => s.includes('"order_lines"') && s.startsWith('CREATE'))).toContain('PRIMARY KEY ("order_id", "line_no")');
  });

  test('follows the file: another description gives other DDL; identifiers that would need quoting are refused', () => {
    const other = loadSourceTables({ schema: 'inv', tables: { items: { key: ['sku'], columns: { sku: { type: 'text', nullable: false }, qty: { type: 'integer', nullable: true } } } } });
    expect(sourceDdl(other)).toEqual(['CREATE SCHEMA IF NOT EXISTS "inv"', 'CREATE TABLE IF NOT EXISTS "inv"."items" (\n  "sku" text NOT NULL,\n  "qty" integer,\n  PRIMARY KEY ("sku")\n)', 'ALTER TABLE "inv"."items" REPLICA IDENTITY FULL']);
    const odd = loadSourceTables({ schema: 'Inv', tables: { t: { key: ['a'], columns: { a: { type: 'text', nullable: false } } } } });
    expect(() => sourceDdl(odd)).toThrow(SourceSchemaError);
    expect(() => sourceTableNamed('nope')).toThrow(/known: customers, orders, order_lines/);
  });
});

describe('workload values', () => {
  test('decimals fit their numeric(p,s) exactly, often at full width', () => {
    const random = seededRandom(3);
    const type = parsePgType('numeric(14,2)');
    let fullWidth = 0;
    for (let i = 0; i < 2000; i++) {
      const text = decimalText(random, 14, 2);
      expect(canonicalValue(type, text, { format: 'dms-s3', field: 'x' })).toBe(text);
      if (/^-?\d{12}\./.test(text)) fullWidth++;
    }
    expect(fullWidth).toBeGreaterThan(500);
  });

  test('timestamps carry zones and up to six fraction digits; uuids are version 4', () => {
    const random = seededRandom(4);
    const stamps = Array.from({ length: 500 }, () => timestamptzText(random));
    expect(stamps.some((s) => /\.\d{6}[+-]/.test(s))).toBe(true);
    expect(stamps.some((s) => /[+-]\d\d:\d\d$/.test(s))).toBe(true);
    expect(seededUuid(random)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Seeded: the same seed, the same values.
    expect(timestamptzText(seededRandom(9))).toBe(timestamptzText(seededRandom(9)));
  });
});

describe('KeyPool', () => {
  test('add, replace, remove (swap with the last) and pick uniformly', () => {
    const pool = new KeyPool<number>();
    for (let i = 0; i < 5; i++) pool.set(`k${i}`, i);
    pool.set('k2', 20);
    expect(pool.get('k2')).toBe(20);
    expect(pool.delete('k1')).toBe(1);
    expect(pool.delete('k1')).toBeUndefined();
    expect(pool.size).toBe(4);
    expect(pool.has('k4')).toBe(true);
    const random = seededRandom(1);
    const seen = new Set(Array.from({ length: 200 }, () => pool.pick(random)));
    expect([...seen].sort()).toEqual(['k0', 'k2', 'k3', 'k4']);
    expect(new KeyPool().pick(random)).toBeUndefined();
  });
});
