/**
 * A local Firehose endpoint speaking the Firehose API (JSON 1.1 protocol, as the AWS SDKs send
 * it): `PutRecord`, `PutRecordBatch`, `DescribeDeliveryStream` and `ListDeliveryStreams`, with
 * AWS's limits and error shapes, in front of {@link LocalDeliveryStream}s.
 * @see https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FIREHOSE_BATCH_LIMITS } from '../../firehose/reingest';
import type { LocalDeliveryStream } from './delivery-stream';

/** An error the Firehose API returns, by its `__type`. */
export class FirehoseApiError extends Error {
  override readonly name = 'FirehoseApiError';
  constructor(readonly type: 'ResourceNotFoundException' | 'InvalidArgumentException' | 'ServiceUnavailableException' | 'UnknownOperationException' | 'SerializationException', message: string, readonly status = 400) {
    super(message);
  }
}

interface PutRecordInput { DeliveryStreamName?: unknown; Record?: { Data?: unknown } }
interface PutRecordBatchInput { DeliveryStreamName?: unknown; Records?: unknown }

export interface LocalFirehoseServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decodeData(data: unknown, where: string): Buffer {
  if (typeof data !== 'string') throw new FirehoseApiError('InvalidArgumentException', `${where}.Data must be a base64 string`);
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > FIREHOSE_BATCH_LIMITS.maxRecordBytes) {
    throw new FirehoseApiError('InvalidArgumentException', `1 validation error detected: Value at '${where}.data' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_BATCH_LIMITS.maxRecordBytes}`);
  }
  return bytes;
}

/** The operations, given the streams by name. */
export function firehoseOperations(streams: ReadonlyMap<string, LocalDeliveryStream>) {
  const streamNamed = (name: unknown): LocalDeliveryStream => {
    const stream = typeof name === 'string' ? streams.get(name) : undefined;
    if (!stream) throw new FirehoseApiError('ResourceNotFoundException', `Firehose ${String(name)} under account 000000000000 not found.`);
    return stream;
  };
  return {
    PutRecord: (input: PutRecordInput) => {
      const stream = streamNamed(input.DeliveryStreamName);
      const [recordId] = stream.put([decodeData(input.Record?.Data, 'record')]);
      return { RecordId: recordId, Encrypted: stream.config.encrypted };
    },
    PutRecordBatch: (input: PutRecordBatchInput) => {
      const stream = streamNamed(input.DeliveryStreamName);
      if (!Array.isArray(input.Records) || input.Records.length === 0) {
        throw new FirehoseApiError('InvalidArgumentException', "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1");
      }
      if (input.Records.length > FIREHOSE_BATCH_LIMITS.maxRecords) {
        throw new FirehoseApiError('InvalidArgumentException', `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_BATCH_LIMITS.maxRecords}`);
      }
      const records = (input.Records as { Data?: unknown }[]).map((r, i) => decodeData(r?.Data, `records.${i + 1}.member`));
      const total = records.reduce((sum, r) => sum + r.length, 0);
      if (total > FIREHOSE_BATCH_LIMITS.maxBytes) {
        throw new FirehoseApiError('InvalidArgumentException', `Records size exceeds ${FIREHOSE_BATCH_LIMITS.maxBytes} bytes limit`);
      }
      const ids = stream.put(records);
      return { FailedPutCount: 0, Encrypted: stream.config.encrypted, RequestResponses: ids.map((RecordId) => ({ RecordId })) };
    },
    DescribeDeliveryStream: (input: { DeliveryStreamName?: unknown }) => {
      const stream = streamNamed(input.DeliveryStreamName);
      const { config } = stream;
      return {
        DeliveryStreamDescription: {
          DeliveryStreamName: config.name, DeliveryStreamARN: stream.arn, DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut',
          VersionId: '1', HasMoreDestinations: false,
          Destinations: [{
            DestinationId: 'destinationId-000000000001',
            ExtendedS3DestinationDescription: {
              BucketARN: `arn:aws:s3:::${config.bucket}`, Prefix: config.prefix, ErrorOutputPrefix: config.errorOutputPrefix,
              CompressionFormat: config.compression,
              BufferingHints: { SizeInMBs: config.buffering.sizeMb, IntervalInSeconds: config.buffering.intervalSeconds },
            },
          }],
        },
      };
    },
    ListDeliveryStreams: () => {
      return { DeliveryStreamNames: [...streams.keys()], HasMoreDeliveryStreams: false };
    },
  };
}

/** Starts the endpoint on a free loopback port (or `port`). */
export async function startFirehoseServer(streams: ReadonlyMap<string, LocalDeliveryStream>, port = 0): Promise<LocalFirehoseServer> {
  const operations = firehoseOperations(streams);
  const reply = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const target = String(request.headers['x-amz-target'] ?? '');
        const operation = target.startsWith('Firehose_20150804.') ? target.slice('Firehose_20150804.'.length) : '';
        if (!Object.hasOwn(operations, operation)) throw new FirehoseApiError('UnknownOperationException', `Unsupported operation: ${target || '(none)'}`);
        let input: unknown;
        try {
          input = JSON.parse((await readBody(request)).toString('utf8') || '{}');
        } catch {
          throw new FirehoseApiError('SerializationException', 'Request body is not valid JSON');
        }
        const handle = operations[operation as keyof typeof operations] as (input: unknown) => unknown;
        reply(response, 200, handle(input ?? {}));
      } catch (error) {
        const apiError = error instanceof FirehoseApiError ? error : new FirehoseApiError('ServiceUnavailableException', String(error), 500);
        reply(response, apiError.status, { __type: apiError.type, message: apiError.message });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
