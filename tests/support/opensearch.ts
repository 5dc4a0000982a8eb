/** Test helpers for the local OpenSearch emulator and the official client. */
import { errors, type API } from '@opensearch-project/opensearch';
import { OpenSearchError } from '../../lib/local/opensearch/errors';
import { thrownBy } from './errors';

/** The OpenSearchError `run` throws (fails the test if it throws nothing or something else). */
export const openSearchFailure = (run: () => unknown): OpenSearchError => thrownBy(OpenSearchError, run);

/** The status and error body of a client call that must be rejected. */
export async function rejection(call: Promise<unknown>): Promise<{ statusCode: number | null | undefined; body: unknown }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof errors.ResponseError) return { statusCode: error.statusCode, body: error.meta.body };
    throw error;
  }
  throw new Error('expected the call to be rejected');
}

/** A raw NDJSON body: the client sends a string body as it is (typed as an array by the client). */
export const ndjson = (text: string): API.Bulk_RequestBody => text as unknown as API.Bulk_RequestBody;
