/** The shop source database: its DDL (from schemas/cdc/shop.json), a seeded workload, and its rows in canonical form. */
export { createSourceSchema, qualifiedName, sourceDdl, sourceTableNamed, SourceSchemaError, tablesOf, type SqlRunner } from './shop-source';
export { ROLLED_BACK_MARKER, runShopWorkload, type TableCounts, type WorkloadOptions, type WorkloadResult, type WorkloadTransaction } from './workload';
export { readSourceRows } from './source-rows';
