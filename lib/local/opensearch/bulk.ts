/**
 * `_bulk`: the NDJSON body parsed as OpenSearch's `BulkRequestParser` does (every line ends with
 * `\n`, the last one too; blank action lines are skipped; a malformed action line fails the
 * whole request; a document line is only parsed when its item runs, so a bad one fails only its
 * item), then every item executed in order with its own status and error.
 * @see https://opensearch.org/docs/latest/api-reference/document-apis/bulk/
 */
import type { Cluster } from './cluster';
import { executeWrite, parseUpdateBody, validateWrite, writeResultJson, type WriteOperation } from './document-writes';
import { illegalArgument, OpenSearchError, validationFailed } from './errors';
import type { BulkAction, FaultRegistry } from './faults';
import type { IndexStore, VersionType } from './index-store';
import { isJsonObject, textOf, type JsonObject, type JsonValue, type Serializable } from './json';
import { parseSourceFilter } from './source-filter';

const ACTIONS: readonly string[] = ['create', 'delete', 'index', 'update'];
const METADATA_KEYS = new Set(['_index', '_id', 'routing', 'op_type', 'version', 'version_type', 'if_seq_no', 'if_primary_term', 'retry_on_conflict', 'pipeline', '_source', 'require_alias']);

/** The parser's token names, for OpenSearch's messages. */
function tokenOf(value: JsonValue): string {
  if (value === null) return 'VALUE_NULL';
  if (Array.isArray(value)) return 'START_ARRAY';
  if (isJsonObject(value)) return 'START_OBJECT';
  if (typeof value === 'string') return 'VALUE_STRING';
  if (typeof value === 'boolean') return 'VALUE_BOOLEAN';
  return 'VALUE_NUMBER';
}

function jsonLine(text: string, line: number): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new OpenSearchError(400, 'json_parse_exception', `${(error as Error).message} (bulk line [${line}])`, { java: true });
  }
}

function versionTypeOf(value: JsonValue): VersionType {
  const text = textOf(value);
  if (text === 'internal') return 'internal';
  if (text === 'external' || text === 'external_gt') return 'external';
  if (text === 'external_gte') return 'external_gte';
  throw illegalArgument(`No version type match [${text}]`);
}

function longOf(value: JsonValue, name: string): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) throw illegalArgument(`Failed to parse [${name}] value [${textOf(value)}] as a long`);
  return number;
}

/**
 * Parses a bulk body into operations. `defaultIndex` is the `{index}` of `/{index}/_bulk`.
 * Throws {@link OpenSearchError} for a malformed body (400 for the whole request).
 */
export function parseBulkBody(text: string, defaultIndex?: string): WriteOperation[] {
  const operations: WriteOperation[] = [];
  let from = 0;
  let line = 0;
  const nextLine = (): string | undefined => {
    const end = text.indexOf('\n', from);
    if (end < 0) {
      if (from !== text.length) throw illegalArgument('The bulk request must be terminated by a newline [\\n]');
      return undefined;
    }
    const slice = text.slice(from, end > from && text[end - 1] === '\r' ? end - 1 : end);
    from = end + 1;
    line++;
    return slice;
  };
  for (;;) {
    const actionText = nextLine();
    if (actionText === undefined) break;
    if (actionText.trim() === '') continue;
    const actionLine = line;
    const parsed = jsonLine(actionText, actionLine);
    if (!isJsonObject(parsed)) throw illegalArgument(`Malformed action/metadata line [${actionLine}], expected START_OBJECT but found [${tokenOf(parsed)}]`);
    const keys = Object.keys(parsed);
    if (keys.length === 0) throw illegalArgument(`Malformed action/metadata line [${actionLine}], expected FIELD_NAME but found [END_OBJECT]`);
    const action = keys[0]!;
    if (!ACTIONS.includes(action)) throw illegalArgument(`Malformed action/metadata line [${actionLine}], expected one of [create, delete, index, update] but found [${action}]`);
    const metadata = parsed[action]!;
    if (!isJsonObject(metadata)) {
      throw illegalArgument(`Malformed action/metadata line [${actionLine}], expected START_OBJECT or END_OBJECT but found [${tokenOf(metadata)}]`);
    }
    let index = defaultIndex;
    let id: string | undefined;
    let version: number | undefined;
    let versionType: VersionType = 'internal';
    let ifSeqNo: number | undefined;
    let ifPrimaryTerm: number | undefined;
    let retryOnConflict = 0;
    let pipeline: string | undefined;
    let opType: string | undefined;
    let fetchSource: WriteOperation['fetchSource'];
    for (const [key, value] of Object.entries(metadata)) {
      if (!METADATA_KEYS.has(key)) throw illegalArgument(`Action/metadata line [${actionLine}] contains an unknown parameter [${key}]`);
      if (value === null) continue;
      if (key === '_source') {
        fetchSource = parseSourceFilter(value);
        continue;
      }
      if (Array.isArray(value) || isJsonObject(value)) {
        throw illegalArgument(`Malformed action/metadata line [${actionLine}], expected a simple value for field [${key}] but found [${tokenOf(value)}]`);
      }
      switch (key) {
        case '_index': index = String(value); break;
        case '_id': id = String(value); break;
        case 'op_type': opType = String(value); break;
        case 'version': version = longOf(value, key); break;
        case 'version_type': versionType = versionTypeOf(value); break;
        case 'if_seq_no': ifSeqNo = longOf(value, key); break;
        case 'if_primary_term': ifPrimaryTerm = longOf(value, key); break;
        case 'retry_on_conflict': retryOnConflict = longOf(value, key); break;
        case 'pipeline': pipeline = String(value); break;
        default: break; // routing, require_alias: accepted, no effect on one node without aliases
      }
    }
    if (ifSeqNo !== undefined && ifSeqNo < 0 && ifSeqNo !== -2) throw illegalArgument(`sequence numbers must be non negative. got [${ifSeqNo}].`);
    if (ifPrimaryTerm !== undefined && ifPrimaryTerm < 0) throw illegalArgument(`primary term must be non negative. got [${ifPrimaryTerm}]`);
    const common = { index, id, version, versionType, ifSeqNo, ifPrimaryTerm, pipeline };
    if (action === 'delete') {
      operations.push({ ...common, action: 'delete' });
      continue;
    }
    const sourceText = nextLine();
    // An action whose document line is missing at the very end is dropped, as OpenSearch does.
    if (sourceText === undefined) break;
    if (action === 'update') {
      if (version !== undefined || versionType !== 'internal') throw illegalArgument('Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` instead');
      operations.push({ ...common, action: 'update', retryOnConflict, update: parseUpdateBody(jsonLine(sourceText, line)), fetchSource });
    } else {
      let effective: BulkAction = action as BulkAction;
      if (action === 'index' && opType !== undefined) {
        if (opType !== 'create' && opType !== 'index') throw illegalArgument(`opType must be 'create' or 'index', found: [${opType}]`);
        effective = opType;
      }
      operations.push({ ...common, action: effective, sourceText });
    }
  }
  return operations;
}

/** Throws `action_request_validation_exception` listing every invalid item (or `no requests added`). */
export function validateBulk(operations: readonly WriteOperation[]): void {
  if (operations.length === 0) throw validationFailed(['no requests added']);
  const messages = operations.flatMap(validateWrite);
  if (messages.length > 0) throw validationFailed(messages);
}

export interface BulkResult {
  readonly body: { took: number; errors: boolean; items: Serializable[] };
  /** The indices written to (for `?refresh`). */
  readonly touched: ReadonlySet<IndexStore>;
  readonly failedItems: number;
}

/** Runs every operation in order; each item succeeds or fails on its own. */
export function executeBulk(cluster: Cluster, faults: FaultRegistry, operations: readonly WriteOperation[], options: { forcedRefresh?: boolean } = {}): BulkResult {
  const started = performance.now();
  const items: Serializable[] = [];
  const touched = new Set<IndexStore>();
  let failed = 0;
  for (const op of operations) {
    try {
      const outcome = executeWrite(cluster, faults, op);
      touched.add(outcome.index);
      items.push({ [op.action]: writeResultJson(outcome, { status: true, forcedRefresh: options.forcedRefresh }) });
    } catch (error) {
      if (!(error instanceof OpenSearchError)) throw error;
      failed++;
      const index = cluster.index(op.index ?? '');
      if (index !== undefined) touched.add(index);
      const item: JsonObject = { _index: op.index ?? null, _id: op.id ?? null, status: error.status, error: error.toCauseJson() };
      items.push({ [op.action]: item });
    }
  }
  return { body: { took: Math.round(performance.now() - started), errors: failed > 0, items }, touched, failedItems: failed };
}
