import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command, PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { SinkWriteError } from '../../../../lib/cdc/capture/sink';
import { KinesisSink } from '../../../../lib/cdc/capture/sinks/kinesis-sink';
import { MemorySink } from '../../../../lib/cdc/capture/sinks/memory-sink';
import { S3Sink } from '../../../../lib/cdc/capture/sinks/s3-sink';
import type { ChangeEvent, RowChange } from '../../../../lib/cdc/change-event';
import { parseDmsKinesisMessage } from '../../../../lib/cdc/formats/dms-kinesis';
import { parseDmsS3Csv } from '../../../../lib/cdc/formats/dms-s3';

const customer = (id: string, name: string) => ({
  customer_id: id,
  email: `${id}@example.com`,
  full_name: name,
  country: 'X ',
  balance: '123456789012.34',
  vip: false,
  signed_up_at: '2026-11-25T22:00:00.123456Z',
  notes: null,
});

function change(operation: RowChange['operation'], id: string, sequence: number, commit = '00000000016B3748', xid = '900'): RowChange {
  const row = customer(id, `Zoë, "${id}"\n🚀`);
  return {
    kind: 'row',
    operation,
    schema: 'shop',
    table: 'customers',
    after: operation === 'delete' ? undefined : row,
    before: operation === 'insert' || operation === 'load' ? undefined : row,
    keyColumns: ['customer_id'],
    position: { commit, sequence },
    transactionId: operation === 'load' ? undefined : xid,
    commitTimestamp: operation === 'load' ? undefined : '2026-11-25T22:00:01.000001Z',
  };
}

describe('KinesisSink', () => {
  function kinesis(fail: (partitionKey: string, call: number) => string | undefined = () => undefined) {
    const client = new KinesisClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(client);
    const requests: PutRecordsCommandInput[] = [];
    mock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      requests.push(input);
      const call = requests.length;
      const records = input.Records!.map((entry, i) => {
        const code = fail(entry.PartitionKey!, call);
        return code ? { ErrorCode: code, ErrorMessage: 'slow down' } : { ShardId: 'shardId-000000000000', SequenceNumber: `${call}${i}` };
      });
      return { FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length, Records: records };
    });
    return { client, requests };
  }

  test('writes one plain DMS JSON record per change, keyed by schema.table.primary key, and resolves once all landed', async () => {
    const { client, requests } = kinesis();
    const sink = new KinesisSink({ client, streamName: 'cdc' });
    const changes = [change('insert', '9007199254740993', 0), change('update', '9007199254740993', 1), change('delete', '7', 2)];
    await sink.write(changes);
    const entries = requests.flatMap((r) => r.Records!);
    expect(entries.map((e) => e.PartitionKey)).toEqual(['shop.customers.9007199254740993', 'shop.customers.9007199254740993', 'shop.customers.7']);
    // Not aggregated: each record is the DMS message itself.
    const parsed = entries.map((e) => parseDmsKinesisMessage(Buffer.from(e.Data!)));
    expect(parsed.map((p) => p.position)).toEqual(changes.map((c) => c.position));
    expect((parsed[0] as RowChange).after).toEqual(changes[0]!.after);
    expect(sink.records).toBe(3);
    expect((await sink.close()).userRecordsWritten).toBe(3);
  });

  test('a record still failing after the retries makes the write fail: never dropped', async () => {
    const { client } = kinesis((key) => (key === 'shop.customers.2' ? 'InternalFailure' : undefined));
    const sink = new KinesisSink({ client, streamName: 'cdc', producer: { maxAttempts: 2, sleep: () => Promise.resolve() } });
    const error = await sink.write([change('insert', '1', 0), change('insert', '2', 1)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SinkWriteError);
    expect(error).toMatchObject({ failed: 1, total: 2 });
    expect((error as Error).message).toMatch(/InternalFailure \(shop\.customers\.2\)/);
    expect(sink.records).toBe(0);
    await sink.close();
  });

  test('a throttled entry is resent, and the write succeeds once it lands', async () => {
    const { client, requests } = kinesis((key, call) => (call === 1 && key === 'shop.customers.1' ? 'ProvisionedThroughputExceededException' : undefined));
    const sink = new KinesisSink({ client, streamName: 'cdc', producer: { sleep: () => Promise.resolve() } });
    await sink.write([change('insert', '1', 0), change('insert', '2', 1)]);
    expect(requests.map((r) => r.Records!.length)).toEqual([2, 1]);
    await sink.close();
  });

  test('DMS prev-transaction fields follow transactions across writes', async () => {
    const { client, requests } = kinesis();
    const sink = new KinesisSink({ client, streamName: 'cdc', encoding: { messageFormat: 'json-unformatted' } });
    await sink.write([change('insert', '1', 0, '0000000000000100', '10'), change('insert', '2', 1, '0000000000000100', '10')]);
    await sink.write([change('insert', '3', 0, '0000000000000200', '11')]);
    const last = JSON.parse(Buffer.from(requests.at(-1)!.Records!.at(-1)!.Data!).toString()) as { metadata: Record<string, unknown> };
    expect(last.metadata).toMatchObject({ 'transaction-id': 11, 'prev-transaction-id': 10, 'prev-transaction-record-id': 2 });
    await sink.close();
  });
});

describe('S3Sink', () => {
  function s3(existing: string[] = [], failKey?: RegExp) {
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(client);
    const puts: PutObjectCommandInput[] = [];
    mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({ Contents: existing.filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })), IsTruncated: false }));
    mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      if (failKey?.test(input.Key!)) throw new Error('access denied');
      puts.push(input);
      return {};
    });
    return { client, puts };
  }

  test('full load into LOAD files continuing the folder\'s counter, CDC into files named by strictly increasing times', async () => {
    const { client, puts } = s3(['dms/shop/customers/LOAD00000009.csv', 'dms/shop/customers/LOAD0000000A.csv']);
    const time = new Date('2026-11-27T04:24:29.123Z');
    const sink = new S3Sink({ client, bucket: 'b', prefix: 'dms', now: () => time });
    await sink.write([change('load', '1', 0), change('load', '2', 0)]);
    await sink.write([change('load', '3', 0)]);
    await sink.write([change('insert', '4', 0), change('update', '4', 1)]);
    await sink.write([change('delete', '4', 0, '0000000000000200')]);
    expect(puts.map((p) => p.Key)).toEqual([
      'dms/shop/customers/LOAD0000000B.csv',
      'dms/shop/customers/LOAD0000000C.csv',
      'dms/shop/customers/20261127-0424291230.csv',
      'dms/shop/customers/20261127-0424291240.csv',
    ]);
    const cdc = parseDmsS3Csv(puts[2]!.Body as string, { schema: 'shop', table: 'customers', kind: 'cdc', fileKey: puts[2]!.Key! });
    expect(cdc.map((c) => (c as RowChange).operation)).toEqual(['insert', 'update']);
    expect((cdc[0] as RowChange).after).toEqual(change('insert', '4', 0).after);
    expect(sink).toMatchObject({ files: 4, rows: 6 });
  });

  test('a file that could not be stored fails the write', async () => {
    const { client } = s3([], /orders/);
    const sink = new S3Sink({ client, bucket: 'b' });
    const order: ChangeEvent = {
      ...change('insert', '1', 1),
      table: 'orders',
      after: { order_id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', customer_id: '1', status: 'paid', total: null, placed_at: '2026-11-25T22:00:00.000000Z', shipped_at: null },
    };
    await expect(sink.write([change('insert', '1', 0), order])).rejects.toMatchObject({ name: 'SinkWriteError', failed: 1, total: 2 });
  });

  test('table-level changes are refused by default (DMS S3 CSV cannot hold them), or skipped and counted', async () => {
    const truncate: ChangeEvent = { kind: 'control', operation: 'truncate', schema: 'shop', table: 'customers', position: { commit: '0000000000000100', sequence: 0 }, transactionId: '1', commitTimestamp: undefined };
    await expect(new S3Sink({ client: s3().client, bucket: 'b' }).write([truncate])).rejects.toThrow(SinkWriteError);
    const skipping = new S3Sink({ client: s3().client, bucket: 'b', controlChanges: 'skip' });
    await skipping.write([truncate]);
    expect(skipping.skippedControlChanges).toBe(1);
  });
});

describe('MemorySink', () => {
  test('keeps or only counts', async () => {
    const keeping = new MemorySink();
    const counting = new MemorySink({ keep: false });
    for (const sink of [keeping, counting]) await sink.write([change('insert', '1', 0), change('insert', '2', 1)]);
    expect(keeping.changes).toHaveLength(2);
    expect(counting.changes).toHaveLength(0);
    expect(counting).toMatchObject({ count: 2, writes: 1 });
  });
});
