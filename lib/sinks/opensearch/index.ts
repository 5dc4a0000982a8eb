/** The OpenSearch sink: client factory, index-template installation, and the `_bulk` sink. */
export type { OpenSearchClientConfig, OpenSearchCredentials, OpenSearchCredentialsProvider } from './client';
export { createOpenSearchClient, DEFAULT_REQUEST_TIMEOUT_MS, OpenSearchConfigError } from './client';
export type { IndexTemplateApi } from './ensure-index-template';
export { ensureIndexTemplate, IndexTemplateNotAcknowledgedError } from './ensure-index-template';
export type { BulkWriteStats, OpenSearchBulkApi, OpenSearchBulkResult, OpenSearchBulkSinkOptions } from './bulk-sink';
export { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BULK_BYTES, DEFAULT_MAX_BULK_ITEMS, OpenSearchBulkSink } from './bulk-sink';
export { MAX_DOCUMENT_ID_BYTES } from './bulk-body';
export { OpenSearchBulkResponseError, OpenSearchRequestRejectedError } from './errors';
