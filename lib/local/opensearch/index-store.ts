/**
 * One index: its settings and mapping, its documents with OpenSearch's write semantics
 * (`_version`, `_seq_no`, `_primary_term`, internal and external versioning, `if_seq_no`
 * concurrency, delete tombstones kept for `index.gc_deletes`), and near-real-time visibility:
 * writes are seen at once by a realtime GET and by searches only after a refresh (explicit, or
 * every `index.refresh_interval`).
 *
 * The index has one primary shard for every `number_of_shards`: sequence numbers are kept per
 * index (as on a one-shard index), which is what single-shard tests observe.
 * @see https://opensearch.org/docs/latest/api-reference/document-apis/index-document/
 */
import { randomBytes } from 'node:crypto';
import { documentMissing, illegalArgument, OpenSearchError, versionConflict } from './errors';
import { parseDocument, type IndexedField } from './document-parser';
import { cloneJson, isJsonObject, jsonEquals, stringifyJson, type JsonObject, type JsonValue } from './json';
import { emptyRootMapping, type RootMapping } from './mapping';
import { parseTimeValue, type FlatSettings } from './settings';

export type VersionType = 'internal' | 'external' | 'external_gte';

/** A document as stored. */
export interface StoredDocument {
  readonly id: string;
  readonly source: JsonObject;
  /** The `_source` exactly as sent (returned byte for byte). */
  readonly sourceText: string;
  readonly version: number;
  readonly seqNo: number;
  readonly primaryTerm: number;
  readonly fields: ReadonlyMap<string, IndexedField>;
}

interface Tombstone {
  readonly deleted: true;
  readonly version: number;
  readonly seqNo: number;
  readonly primaryTerm: number;
  readonly at: number;
}

type Entry = StoredDocument | Tombstone;
const isTombstone = (entry: Entry | undefined): entry is Tombstone => entry !== undefined && 'deleted' in entry;

/** The outcome of one write, as a response reports it. */
export interface WriteResult {
  readonly id: string;
  readonly version: number;
  readonly seqNo: number;
  readonly primaryTerm: number;
  readonly result: 'created' | 'updated' | 'deleted' | 'not_found' | 'noop';
  readonly status: number;
  /** For updates: the document after the write (for `_source` in the response). */
  readonly document?: StoredDocument;
}

/** The versioning and concurrency parameters of a write. */
export interface WriteConditions {
  readonly version?: number;
  readonly versionType?: VersionType;
  readonly ifSeqNo?: number;
  readonly ifPrimaryTerm?: number;
}

export interface IndexRequest extends WriteConditions {
  readonly id: string;
  readonly source: JsonObject;
  readonly sourceText: string;
  readonly opType: 'index' | 'create';
}

export interface UpdateRequest {
  readonly id: string;
  readonly doc?: JsonObject;
  readonly upsert?: JsonObject;
  readonly docAsUpsert: boolean;
  readonly detectNoop: boolean;
  readonly ifSeqNo?: number;
  readonly ifPrimaryTerm?: number;
}

/** Recursive merge of a partial document, as `_update` with `doc` does (objects merged, anything else replaced). */
export function mergeDocument(target: JsonObject, partial: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(partial)) {
    const current = out[key];
    out[key] = isJsonObject(current) && isJsonObject(value) ? mergeDocument(current, value) : cloneJson(value);
  }
  return out;
}

const DEFAULT_GC_DELETES_MS = 60_000;

/** A base64url id of 20 characters, like OpenSearch's auto-generated ids. */
export const generateDocumentId = (): string => randomBytes(15).toString('base64url');

export class IndexStore {
  readonly uuid = randomBytes(16).toString('base64url').slice(0, 22);
  readonly creationDate = Date.now();
  private readonly live = new Map<string, Entry>();
  private readonly searchable = new Map<string, StoredDocument>();
  private readonly dirty = new Set<string>();
  private nextSeqNo = 0;
  private readonly primaryTerm = 1;
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    public settings: FlatSettings,
    public mapping: RootMapping = emptyRootMapping(),
    /** The emulator's default refresh interval (ms; -1 = only explicit refreshes). */
    private readonly defaultRefreshIntervalMs: number = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.scheduleRefresh();
  }

  get numberOfShards(): number {
    return Number(this.settings['index.number_of_shards'] ?? '1');
  }

  get numberOfReplicas(): number {
    return Number(this.settings['index.number_of_replicas'] ?? '1');
  }

  get maxResultWindow(): number {
    return Number(this.settings['index.max_result_window'] ?? '10000');
  }

  /** The refresh interval in force (ms, -1 for none). */
  get refreshIntervalMs(): number {
    const setting = this.settings['index.refresh_interval'];
    return setting === undefined ? this.defaultRefreshIntervalMs : parseTimeValue(setting, 'index.refresh_interval');
  }

  /** `_shards` of a write response: one primary written, replicas counted but absent (a single node). */
  shardsHeader(): JsonObject {
    return { total: 1 + this.numberOfReplicas, successful: 1, failed: 0 };
  }

  /** (Re)starts the refresh timer after a settings change. */
  scheduleRefresh(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const interval = this.refreshIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => {
        if (this.dirty.size > 0 || this.waiters.length > 0) this.refresh();
      }, interval);
      this.timer.unref();
    }
  }

  /** Stops the refresh timer and releases `wait_for` waiters (the index is deleted or the emulator stops). */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Makes every write so far visible to search. */
  refresh(): void {
    for (const id of this.dirty) {
      const entry = this.live.get(id);
      this.searchable.delete(id); // re-inserted at the end: an updated document moves, as in Lucene
      if (entry !== undefined && !isTombstone(entry)) this.searchable.set(id, entry);
    }
    this.dirty.clear();
    this.releaseWaiters();
  }

  /** Resolves at the next refresh (`?refresh=wait_for`). */
  waitForRefresh(): Promise<void> {
    if (this.dirty.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The live (realtime) document. */
  get(id: string): StoredDocument | undefined {
    const entry = this.live.get(id);
    return entry === undefined || isTombstone(entry) ? undefined : entry;
  }

  /** Documents visible to search, in index order. */
  searchableDocuments(): IterableIterator<StoredDocument> {
    return this.searchable.values();
  }

  get searchableCount(): number {
    return this.searchable.size;
  }

  /** Live documents (what a realtime GET sees), in write order. */
  liveDocuments(): StoredDocument[] {
    return [...this.live.values()].filter((e): e is StoredDocument => !isTombstone(e));
  }

  /** The current entry, forgetting tombstones older than `index.gc_deletes`. */
  private current(id: string): Entry | undefined {
    const entry = this.live.get(id);
    if (isTombstone(entry)) {
      const gc = this.settings['index.gc_deletes'] === undefined ? DEFAULT_GC_DELETES_MS : parseTimeValue(this.settings['index.gc_deletes'], 'index.gc_deletes');
      if (this.now() - entry.at > gc) {
        this.live.delete(id);
        return undefined;
      }
    }
    return entry;
  }

  private checkSeqNo(id: string, entry: Entry | undefined, conditions: WriteConditions): void {
    if (conditions.ifSeqNo === undefined) return;
    const required = `required seqNo [${conditions.ifSeqNo}], primary term [${conditions.ifPrimaryTerm ?? 0}]`;
    if (entry === undefined || isTombstone(entry)) throw versionConflict(id, `${required}. but no document was found`, this.name, this.uuid);
    if (entry.seqNo !== conditions.ifSeqNo || entry.primaryTerm !== conditions.ifPrimaryTerm) {
      throw versionConflict(id, `${required}. current document has seqNo [${entry.seqNo}] and primary term [${entry.primaryTerm}]`, this.name, this.uuid);
    }
  }

  /** The version a write gets, or a version conflict (`VersionType.isVersionConflictForWrites`). */
  private nextVersion(id: string, entry: Entry | undefined, conditions: WriteConditions, create: boolean): number {
    const versionType = conditions.versionType ?? 'internal';
    const currentVersion = entry === undefined ? -1 : entry.version;
    const deleted = entry === undefined || isTombstone(entry);
    if (versionType === 'internal') {
      if (create && !deleted) throw versionConflict(id, `document already exists (current version [${currentVersion}])`, this.name, this.uuid);
      return currentVersion === -1 ? 1 : currentVersion + 1;
    }
    const expected = conditions.version!;
    if (currentVersion !== -1) {
      const conflict = versionType === 'external' ? currentVersion >= expected : currentVersion > expected;
      if (conflict) {
        const relation = versionType === 'external' ? 'higher or equal to' : 'higher than';
        throw versionConflict(id, `current version [${currentVersion}] is ${relation} the one provided [${expected}]`, this.name, this.uuid);
      }
    }
    return expected;
  }

  private store(document: StoredDocument): void {
    this.live.delete(document.id);
    this.live.set(document.id, document);
    this.dirty.add(document.id);
  }

  /**
   * Parses a document against the mapping, growing it with dynamic fields. The mapping update
   * is kept even if the write then fails on a version conflict (OpenSearch updates the mapping
   * before the engine checks versions).
   */
  private parse(id: string, source: JsonObject) {
    const parsed = parseDocument(this.mapping, source, id, { totalFields: Number(this.settings['index.mapping.total_fields.limit'] ?? '1000') });
    if (parsed.updatedMapping !== undefined) this.mapping = parsed.updatedMapping;
    return parsed;
  }

  /** `index` and `create` operations. Throws {@link OpenSearchError} (mapping errors, conflicts). */
  index(request: IndexRequest): WriteResult {
    const parsed = this.parse(request.id, request.source);
    const entry = this.current(request.id);
    this.checkSeqNo(request.id, entry, request);
    const version = this.nextVersion(request.id, entry, request, request.opType === 'create');
    const existed = entry !== undefined && !isTombstone(entry);
    const document: StoredDocument = {
      id: request.id, source: request.source, sourceText: request.sourceText, version,
      seqNo: this.nextSeqNo++, primaryTerm: this.primaryTerm, fields: parsed.fields,
    };
    this.store(document);
    return { id: request.id, version, seqNo: document.seqNo, primaryTerm: this.primaryTerm, result: existed ? 'updated' : 'created', status: existed ? 200 : 201, document };
  }

  /** `delete` operations; deleting a missing document is `not_found` (404) and still leaves a tombstone. */
  delete(id: string, conditions: WriteConditions): WriteResult {
    const entry = this.current(id);
    this.checkSeqNo(id, entry, conditions);
    const version = this.nextVersion(id, entry, conditions, false);
    const existed = entry !== undefined && !isTombstone(entry);
    const tombstone: Tombstone = { deleted: true, version, seqNo: this.nextSeqNo++, primaryTerm: this.primaryTerm, at: this.now() };
    this.live.delete(id);
    this.live.set(id, tombstone);
    this.dirty.add(id);
    return { id, version, seqNo: tombstone.seqNo, primaryTerm: this.primaryTerm, result: existed ? 'deleted' : 'not_found', status: existed ? 200 : 404 };
  }

  /** `_update` with `doc`, `upsert` or `doc_as_upsert` (scripts are refused before this). */
  update(request: UpdateRequest): WriteResult {
    const current = this.get(request.id);
    if (current === undefined) {
      const upsert = request.upsert ?? (request.docAsUpsert ? request.doc : undefined);
      if (upsert === undefined) throw documentMissing(request.id, this.name, this.uuid);
      return this.index({ id: request.id, source: upsert, sourceText: stringifyJson(upsert), opType: 'create' });
    }
    if (request.ifSeqNo !== undefined && (current.seqNo !== request.ifSeqNo || current.primaryTerm !== request.ifPrimaryTerm)) {
      throw versionConflict(
        request.id,
        `required seqNo [${request.ifSeqNo}], primary term [${request.ifPrimaryTerm ?? 0}]. current document has seqNo [${current.seqNo}] and primary term [${current.primaryTerm}]`,
        this.name, this.uuid,
      );
    }
    if (request.doc === undefined) throw illegalArgument('the update request needs [doc]');
    const merged = mergeDocument(current.source, request.doc);
    if (request.detectNoop && jsonEquals(merged, current.source)) {
      return { id: request.id, version: current.version, seqNo: current.seqNo, primaryTerm: current.primaryTerm, result: 'noop', status: 200, document: current };
    }
    return this.index({ id: request.id, source: merged, sourceText: stringifyJson(merged), opType: 'index', ifSeqNo: current.seqNo, ifPrimaryTerm: current.primaryTerm });
  }

  /** Removes every document (for the emulator's reset). */
  clear(): void {
    this.live.clear();
    this.searchable.clear();
    this.dirty.clear();
  }

  /** Why a value is not an acceptable document source. */
  static sourceError(value: JsonValue): OpenSearchError | undefined {
    return isJsonObject(value) ? undefined : new OpenSearchError(400, 'mapper_parsing_exception', 'failed to parse', { causedBy: { type: 'not_x_content_exception', reason: 'Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes', java: true } });
  }
}
