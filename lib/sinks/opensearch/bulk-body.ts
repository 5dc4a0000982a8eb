/**
 * The `_bulk` request body: newline-delimited JSON, an action line then a source line per
 * document, every line ending with `\n` (the last one too: OpenSearch rejects a body whose final
 * line is not terminated). The `index` action with an explicit `_id` creates or replaces, so a
 * retried or replayed document overwrites itself instead of being indexed twice.
 */

/**
 * OpenSearch rejects an `_id` longer than 512 bytes, and does so for the whole `_bulk` request
 * (`action_request_validation_exception`), not just the document: checked before sending.
 */
export const MAX_DOCUMENT_ID_BYTES = 512;

/** One document ready to send: its two NDJSON lines and their size in bytes. */
export interface BulkEntry {
  readonly ref: number;
  readonly index: string;
  readonly id: string;
  /** The action line and the source line, each ending with `\n`. */
  readonly lines: string;
  readonly bytes: number;
}

/** Why a value cannot become a bulk entry; the sink reports it as a permanent failure. */
export interface BulkEntryRejection {
  readonly code: 'invalid_document' | 'invalid_document_id' | 'invalid_index_name' | 'document_too_large';
  readonly message: string;
}

/**
 * The `index` action and source lines of one document, or why there are none. `maxBytes` is the
 * largest a request may be: a document that alone exceeds it could never be sent.
 */
export function bulkEntryOf(ref: number, index: string, id: string, document: object, maxBytes: number): BulkEntry | BulkEntryRejection {
  if (index.length === 0) return { code: 'invalid_index_name', message: 'empty index name' };
  const idBytes = Buffer.byteLength(id, 'utf8');
  if (idBytes === 0 || idBytes > MAX_DOCUMENT_ID_BYTES) {
    return { code: 'invalid_document_id', message: `document id must be 1–${MAX_DOCUMENT_ID_BYTES} bytes, got ${idBytes}` };
  }
  // JSON.stringify escapes control characters, so neither line can contain a raw newline.
  const source: string | undefined = JSON.stringify(document);
  if (typeof source !== 'string' || !source.startsWith('{')) return { code: 'invalid_document', message: 'a document must serialise to a JSON object' };
  const lines = `${JSON.stringify({ index: { _index: index, _id: id } })}\n${source}\n`;
  const bytes = Buffer.byteLength(lines, 'utf8');
  if (bytes > maxBytes) return { code: 'document_too_large', message: `document of ${bytes} bytes exceeds the bulk request limit of ${maxBytes} bytes` };
  return { ref, index, id, lines, bytes };
}

export const isBulkEntry = (value: BulkEntry | BulkEntryRejection): value is BulkEntry => 'lines' in value;

/** The body of one `_bulk` request. */
export const bulkBodyOf = (entries: readonly BulkEntry[]): string => entries.map((e) => e.lines).join('');
