/**
 * A {@link Sink} that indexes values into OpenSearch with `_bulk`, idempotently (the `index`
 * action with an `_id` derived from the value), retrying only what is worth retrying:
 *
 * - Items are sent in rounds. In each round the pending documents are cut into requests by bytes
 *   and by count; documents OpenSearch throttled (429), failed with a 5xx, or that were in a
 *   request that failed as a whole (connection error, timeout, 429, 5xx) go to the next round,
 *   after a full-jitter backoff wait. After `maxAttempts` rounds they are `transient` failures.
 * - A document OpenSearch rejects (a mapping error, a bad value) is a `permanent` failure with
 *   OpenSearch's error type as its code, and is never sent again.
 * - A request answered 413 (too large for the domain) is split in two and sent again at once.
 * - A request rejected with any other 4xx throws {@link OpenSearchRequestRejectedError}: a bug or a
 *   misconfiguration, not the data.
 */
import type { API, Client } from '@opensearch-project/opensearch';
import type { BackoffOptions } from '../../aws/backoff';
import { DEFAULT_BACKOFF, fullJitterDelayMs, sleep as realSleep } from '../../aws/backoff';
import { chunkByCountAndBytes } from '../../aws/chunk';
import type { Sink, SinkFailure, SinkItem, SinkResult } from '../sink';
import type { BulkEntry } from './bulk-body';
import { bulkBodyOf, bulkEntryOf, isBulkEntry } from './bulk-body';
import { itemOutcome, requestFailureOf } from './bulk-outcome';
import { OpenSearchBulkResponseError } from './errors';

/** The one call the sink makes; a `Client` from `@opensearch-project/opensearch` has it. */
export type OpenSearchBulkApi = Pick<Client, 'bulk'>;

/**
 * 5 MiB. Amazon OpenSearch Service caps a request body at `http.max_content_length`, 10 MiB on
 * the small instance types (100 MiB on larger ones; a larger body is answered 413), and AWS's
 * indexing guidance starts bulk requests at 5 MiB and grows them only while throughput improves:
 * beyond that, larger requests mostly add memory pressure on the coordinating node and make each
 * retry costlier. 5 MiB fits every instance type with room to spare.
 */
export const DEFAULT_MAX_BULK_BYTES = 5 * 1024 * 1024;

/**
 * 5,000 documents. The byte limit binds first for typical documents (a telemetry reading is
 * ≈ 350 bytes with its action line); the count keeps the response, which carries one result per
 * document, and the time to walk it bounded for very small documents.
 */
export const DEFAULT_MAX_BULK_ITEMS = 5_000;

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface OpenSearchBulkSinkOptions<T> {
  readonly client: OpenSearchBulkApi;
  /** The index a value goes to, e.g. a daily index. */
  readonly indexOf: (value: T) => string;
  /** The document id: deterministic from the value, so writing it again overwrites it (≤ 512 bytes). */
  readonly idOf: (value: T) => string;
  /** The document's source; must fit the index's mapping. */
  readonly documentOf: (value: T) => object;
  /** Rounds a document is sent in at most, the first included (default {@link DEFAULT_MAX_ATTEMPTS}). */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** Injected in tests to avoid real waits. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Largest request body in bytes (default {@link DEFAULT_MAX_BULK_BYTES}). */
  readonly maxBulkBytes?: number;
  /** Most documents in one request (default {@link DEFAULT_MAX_BULK_ITEMS}). */
  readonly maxBulkItems?: number;
  /**
   * `_bulk`'s `refresh`: `wait_for` answers once the documents are searchable (tests, demos);
   * leave unset in production, where the index's refresh interval decides.
   */
  readonly refresh?: boolean | 'wait_for';
}

/** What one {@link OpenSearchBulkSink.write} did, for metrics. */
export interface BulkWriteStats {
  /** Items given. */
  readonly items: number;
  readonly written: number;
  /** Rounds used (1 when nothing needed a retry). */
  readonly attempts: number;
  /** `_bulk` requests sent, splits included. */
  readonly requests: number;
  /** Document sends after the first, summed over rounds (a document retried twice counts 2). */
  readonly retriedItems: number;
  /** Requests split in two after a 413. */
  readonly splitRequests: number;
  readonly transientFailures: number;
  readonly permanentFailures: number;
}

export interface OpenSearchBulkResult extends SinkResult {
  readonly stats: BulkWriteStats;
}

interface Retry {
  readonly entry: BulkEntry;
  readonly code: string;
  readonly message: string;
}

interface Counters {
  written: number;
  requests: number;
  splitRequests: number;
}

export class OpenSearchBulkSink<T> implements Sink<T> {
  private readonly maxAttempts: number;
  private readonly maxBulkBytes: number;
  private readonly maxBulkItems: number;
  private readonly wait: (ms: number) => Promise<void>;

  constructor(private readonly options: OpenSearchBulkSinkOptions<T>) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.maxBulkBytes = options.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES;
    this.maxBulkItems = options.maxBulkItems ?? DEFAULT_MAX_BULK_ITEMS;
    this.wait = options.sleep ?? realSleep;
    if (!(this.maxAttempts >= 1)) throw new RangeError(`maxAttempts must be at least 1, got ${this.maxAttempts}`);
    if (!(this.maxBulkItems >= 1) || !(this.maxBulkBytes >= 1)) throw new RangeError('maxBulkItems and maxBulkBytes must be positive');
  }

  /**
   * Indexes the values; answers with the items it could not write, under the caller's refs.
   * Throws {@link OpenSearchRequestRejectedError} or {@link OpenSearchBulkResponseError} for
   * failures that are not about the documents (documents sent before then may be written).
   */
  async write(items: readonly SinkItem<T>[]): Promise<OpenSearchBulkResult> {
    const failures: SinkFailure[] = [];
    const counters: Counters = { written: 0, requests: 0, splitRequests: 0 };
    let pending: BulkEntry[] = [];
    for (const { ref, value } of items) {
      const entry = this.entryOf(ref, value);
      if (isBulkEntry(entry)) pending.push(entry);
      else failures.push({ ref, kind: 'permanent', code: entry.code, message: entry.message });
    }

    let attempts = 0;
    let retriedItems = 0;
    let retries: Retry[] = [];
    while (pending.length > 0 && attempts < this.maxAttempts) {
      if (attempts > 0) {
        await this.wait(fullJitterDelayMs(attempts - 1, this.options.backoff ?? DEFAULT_BACKOFF));
        retriedItems += pending.length;
      }
      attempts++;
      retries = [];
      for (const chunk of chunkByCountAndBytes(pending, this.maxBulkItems, this.maxBulkBytes, (e) => e.bytes)) {
        await this.send(chunk, retries, failures, counters);
      }
      pending = retries.map((r) => r.entry);
    }
    for (const { entry, code, message } of retries) failures.push({ ref: entry.ref, kind: 'transient', code, message });

    failures.sort((a, b) => a.ref - b.ref);
    const permanentFailures = failures.filter((f) => f.kind === 'permanent').length;
    return {
      failures,
      stats: {
        items: items.length,
        written: counters.written,
        attempts,
        requests: counters.requests,
        retriedItems,
        splitRequests: counters.splitRequests,
        transientFailures: failures.length - permanentFailures,
        permanentFailures,
      },
    };
  }

  private entryOf(ref: number, value: T): ReturnType<typeof bulkEntryOf> {
    let index: string, id: string, document: object;
    try {
      index = this.options.indexOf(value);
      id = this.options.idOf(value);
      document = this.options.documentOf(value);
    } catch (error) {
      return { code: 'invalid_document', message: `cannot make a document of the value: ${error instanceof Error ? error.message : String(error)}` };
    }
    try {
      return bulkEntryOf(ref, index, id, document, this.maxBulkBytes);
    } catch (error) {
      // JSON.stringify throws on BigInt and cycles.
      return { code: 'invalid_document', message: `cannot serialise the document: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** Sends one request; sorts its documents into written, `retries` and (permanent) `failures`. */
  private async send(chunk: readonly BulkEntry[], retries: Retry[], failures: SinkFailure[], counters: Counters): Promise<void> {
    counters.requests++;
    let body: API.Bulk_ResponseBody;
    try {
      const response = await this.options.client.bulk({
        // The transport sends a string body as it is (it serialises only arrays): the NDJSON is
        // built here so that its size is known exactly before sending.
        body: bulkBodyOf(chunk) as unknown as API.Bulk_RequestBody,
        ...(this.options.refresh !== undefined ? { refresh: this.options.refresh } : {}),
      });
      body = response.body;
    } catch (error) {
      const failure = requestFailureOf(error);
      if (failure.kind === 'retry') {
        for (const entry of chunk) retries.push({ entry, code: failure.code, message: failure.message });
      } else if (chunk.length === 1) {
        const [entry] = chunk as [BulkEntry];
        failures.push({ ref: entry.ref, kind: 'permanent', code: failure.code, message: `the document alone is too large for the domain: ${failure.message}` });
      } else {
        counters.splitRequests++;
        const half = Math.ceil(chunk.length / 2);
        await this.send(chunk.slice(0, half), retries, failures, counters);
        await this.send(chunk.slice(half), retries, failures, counters);
      }
      return;
    }

    const results = (body as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(results) || results.length !== chunk.length) {
      throw new OpenSearchBulkResponseError(`_bulk answered ${Array.isArray(results) ? results.length : 'no'} items for ${chunk.length} documents`);
    }
    if (body.errors === false) {
      counters.written += chunk.length;
      return;
    }
    chunk.forEach((entry, i) => {
      const outcome = itemOutcome(body.items[i]!);
      if (outcome.kind === 'written') counters.written++;
      else if (outcome.kind === 'retry') retries.push({ entry, code: outcome.code, message: outcome.message });
      else failures.push({ ref: entry.ref, kind: 'permanent', code: outcome.code, message: outcome.message });
    });
  }
}
