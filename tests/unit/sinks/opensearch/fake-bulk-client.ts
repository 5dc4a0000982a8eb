/**
 * A stand-in for the OpenSearch client's `bulk`: it parses each NDJSON body it is sent (failing
 * the test on a malformed one), keeps the documents in an in-memory store by index and id, and
 * answers each document with the status a test script chooses, or fails the whole request.
 */
import { errors } from '@opensearch-project/opensearch';
import type { OpenSearchBulkApi } from '../../../../lib/sinks/opensearch';

export interface SentDocument {
  readonly index: string;
  readonly id: string;
  readonly source: Record<string, unknown>;
}

export interface SentRequest {
  readonly body: string;
  readonly documents: readonly SentDocument[];
  readonly refresh: unknown;
}

/** An item's answer: a status, with an error type and reason for failures. */
export interface ItemReply {
  readonly status: number;
  readonly type?: string;
  readonly reason?: string;
  readonly causedBy?: { readonly type: string; readonly reason: string };
}

/** Per request: throw to fail it whole, or return a reply per document (default 201 for all). */
export type BulkScript = (documents: readonly SentDocument[], call: number) => ((document: SentDocument) => ItemReply) | undefined;

export interface FakeBulkClient {
  readonly client: OpenSearchBulkApi;
  readonly requests: SentRequest[];
  /** What is stored, by `index/id`: only documents answered 2xx. */
  readonly store: Map<string, Record<string, unknown>>;
}

function parseBody(body: string): SentDocument[] {
  if (!body.endsWith('\n')) throw new Error('bulk body does not end with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length % 2 !== 0) throw new Error(`bulk body has an odd number of lines (${lines.length})`);
  const documents: SentDocument[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const action = JSON.parse(lines[i]!) as Record<string, { _index: string; _id: string }>;
    if (Object.keys(action).join() !== 'index') throw new Error(`expected an index action, got ${lines[i]}`);
    documents.push({ index: action.index!._index, id: action.index!._id, source: JSON.parse(lines[i + 1]!) as Record<string, unknown> });
  }
  return documents;
}

export function fakeBulkClient(script: BulkScript = () => undefined): FakeBulkClient {
  const requests: SentRequest[] = [];
  const store = new Map<string, Record<string, unknown>>();
  const bulk = (params: { body: unknown; refresh?: unknown }) => {
    if (typeof params.body !== 'string') throw new Error('the sink must send its NDJSON as a string');
    const documents = parseBody(params.body);
    requests.push({ body: params.body, documents, refresh: params.refresh });
    try {
      const replyOf = script(documents, requests.length) ?? ((): ItemReply => ({ status: 201 }));
      const items = documents.map((document) => {
        const reply = replyOf(document);
        if (reply.status < 300) store.set(`${document.index}/${document.id}`, document.source);
        const error = reply.status >= 300
          ? { type: reply.type ?? 'error', reason: reply.reason ?? `status ${reply.status}`, ...(reply.causedBy ? { caused_by: reply.causedBy } : {}) }
          : undefined;
        return { index: { _index: document.index, _id: document.id, status: reply.status, ...(error ? { error } : { result: 'created' }) } };
      });
      return Promise.resolve({ body: { took: 1, errors: items.some((i) => i.index.status >= 300), items }, statusCode: 200 });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  return { client: { bulk } as unknown as OpenSearchBulkApi, requests, store };
}

/** The client's error for a whole request answered `statusCode`, with OpenSearch's error body. */
export function responseError(statusCode: number, body: unknown): errors.ResponseError {
  return new errors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} as never });
}

/** OpenSearch's error body, `{"error": {type, reason, root_cause}, "status": n}`. */
export const errorBody = (status: number, type: string, reason: string) => ({ error: { root_cause: [{ type, reason }], type, reason }, status });
