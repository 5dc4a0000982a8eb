/**
 * The datasets the pipeline knows. Schemas are imported (not read from disk) so that the
 * bundler ships them inside each Lambda artifact.
 */
import clickstream from '../../schemas/clickstream.json';
import ledgerEntry from '../../schemas/ledger-entry.json';
import telemetry from '../../schemas/telemetry.json';
import vote from '../../schemas/vote.json';
import type { DatasetSchema, JsonSchemaDocument } from './dataset-schema';
import { describeSchema } from './dataset-schema';

const documents: Readonly<Record<string, JsonSchemaDocument>> = {
  clickstream: clickstream as JsonSchemaDocument,
  telemetry: telemetry as JsonSchemaDocument,
  vote: vote as JsonSchemaDocument,
  'ledger-entry': ledgerEntry as JsonSchemaDocument,
};

export class UnknownSchemaError extends Error {
  override readonly name = 'UnknownSchemaError';
  constructor(schemaName: string) {
    super(`unknown schema "${schemaName}"; known: ${Object.keys(documents).join(', ')}`);
  }
}

const described = new Map<string, DatasetSchema>();

/** The described schema for a dataset name, e.g. `clickstream`. */
export function getSchema(name: string): DatasetSchema {
  let schema = described.get(name);
  if (!schema) {
    const document = documents[name];
    if (!document) throw new UnknownSchemaError(name);
    schema = describeSchema(name, document);
    described.set(name, schema);
  }
  return schema;
}

export function schemaNames(): string[] {
  return Object.keys(documents);
}
