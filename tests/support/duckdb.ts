/**
 * An independent Parquet reader for tests: an in-memory DuckDB that reads a file back, reports
 * its aggregates, its logical column types and its physical Parquet schema.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';

export type JsValue = ReturnType<Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>['getRowObjectsJS']>[number][string];

export interface ParquetSchemaEntry {
  readonly name: string;
  readonly type: string | null;
  readonly repetition_type: string | null;
  readonly converted_type: string | null;
  readonly logical_type: string | null;
}

export class ParquetInspector {
  private constructor(private readonly instance: DuckDBInstance, private readonly connection: DuckDBConnection) {}

  static async open(): Promise<ParquetInspector> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return new ParquetInspector(instance, connection);
  }

  async query(sql: string): Promise<Record<string, JsValue>[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJS();
  }

  /** Column name → DuckDB type as the file is read (e.g. `TIMESTAMP WITH TIME ZONE`). */
  async columnTypes(path: string): Promise<Record<string, string>> {
    const rows = await this.query(`DESCRIBE SELECT * FROM read_parquet(${literal(path)})`);
    return Object.fromEntries(rows.map((r) => [r.column_name as string, r.column_type as string]));
  }

  /** The Parquet schema elements of the file, root excluded. */
  async parquetSchema(path: string): Promise<ParquetSchemaEntry[]> {
    const rows = await this.query(`SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema(${literal(path)})`);
    return rows.slice(1) as unknown as ParquetSchemaEntry[];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
