/**
 * A DMS S3 folder (in fauxqs's S3) replayed into DynamoDB Local, interrupted part-way through a
 * file and resumed from the checkpoint: the tables must end holding exactly the source's rows,
 * and exactly what one uninterrupted replay leaves.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { scanAll } from '../../../lib/aws/scan-all';
import { DynamoDbChangeApplier, sourceTableSpecs, targetKeyDefinition, targetTableResolver } from '../../../lib/cdc/apply';
import type { TargetTableOf } from '../../../lib/cdc/apply';
import type { ChangeEvent } from '../../../lib/cdc/change-event';
import { compareTable } from '../../../lib/cdc/proof/compare-tables';
import { DEMO_CSV_SETTINGS, demoDmsFolder, replayDmsS3Folder, S3CheckpointStore, shopHistory } from '../../../lib/cdc/replay';
import { shopTables } from '../../../lib/cdc/source-tables';
import type { Sink, SinkItem, SinkResult } from '../../../lib/sinks/sink';
import { useEmulators } from '../../support/emulators';

const emulators = useEmulators({ services: ['s3', 'dynamodb'] });
const NOW_MS = Date.UTC(2026, 10, 26);
const BUCKET = 'dms-target';

let run = 0;
async function createTargets(client: DynamoDBClient): Promise<TargetTableOf> {
  const of = targetTableResolver({ prefix: `replay-${++run}-` });
  for (const table of shopTables.tables.keys()) {
    const { KeySchema, AttributeDefinitions } = targetKeyDefinition(sourceTableSpecs('shop', table)!);
    await client.send(new CreateTableCommand({ TableName: of('shop', table), KeySchema: [...KeySchema], AttributeDefinitions: [...AttributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
  }
  return of;
}

async function snapshot(client: DynamoDBClient, of: TargetTableOf): Promise<Record<string, Record<string, AttributeValue>[]>> {
  const tables: Record<string, Record<string, AttributeValue>[]> = {};
  for (const [name, table] of shopTables.tables) {
    const keyOf = (item: Record<string, AttributeValue>): string => JSON.stringify(table.keyColumns.map((c) => item[c]));
    tables[name] = (await scanAll(client, of('shop', name))).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  }
  return tables;
}

/** The process dying after `calls` sink calls, half-way through whatever it was doing. */
class CrashingSink implements Sink<ChangeEvent> {
  private calls = 0;
  constructor(private readonly inner: Sink<ChangeEvent>, private readonly crashAfter: number) {}

  async write(items: readonly SinkItem<ChangeEvent>[]): Promise<SinkResult> {
    if (++this.calls > this.crashAfter) {
      // Half of the batch lands, then the process is gone.
      await this.inner.write(items.slice(0, Math.ceil(items.length / 2)));
      throw new Error('process killed');
    }
    return this.inner.write(items);
  }
}

describe('DMS S3 folder replay into DynamoDB Local', () => {
  it('resumes after an interruption and ends with the source rows, as an uninterrupted replay does', async () => {
    const { s3, dynamodb } = { s3: emulators().clients.s3(), dynamodb: emulators().clients.dynamodb() };
    const history = shopHistory({ seed: 21, transactions: 250 });
    const files = demoDmsFolder(history.changes, { bucketFolder: 'cdc/shop-db', transactionsPerFile: 20 });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const file of files) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: file.key, Body: file.body }));
    const options = { s3, bucket: BUCKET, prefix: 'cdc/shop-db', csv: DEMO_CSV_SETTINGS, batchSize: 10 } as const;
    const applierFor = (of: TargetTableOf) => new DynamoDbChangeApplier({ client: dynamodb, targetTableOf: of, deletes: 'tombstone', now: () => NOW_MS });

    // Uninterrupted, for reference.
    const reference = await createTargets(dynamodb);
    const straight = await replayDmsS3Folder({ ...options, sink: applierFor(reference), checkpoint: new S3CheckpointStore({ s3, bucket: BUCKET, key: 'replay/reference.json' }) });
    expect(straight).toMatchObject({ completed: true, filesApplied: files.length, rejected: 0, changesApplied: history.changes.length });

    // Interrupted in the middle of a file, then resumed with the same checkpoint.
    const targets = await createTargets(dynamodb);
    const checkpoint = new S3CheckpointStore({ s3, bucket: BUCKET, key: 'replay/checkpoint.json' });
    await expect(replayDmsS3Folder({ ...options, sink: new CrashingSink(applierFor(targets), 45), checkpoint })).rejects.toThrow('process killed');
    const saved = (await checkpoint.load())!;
    expect(saved.planIndex).toBeGreaterThan(0);
    expect(saved.planIndex).toBeLessThan(files.length - 1);

    const applier = applierFor(targets);
    const resumed = await replayDmsS3Folder({ ...options, sink: applier, checkpoint });
    expect(resumed).toMatchObject({ completed: true, filesSkipped: saved.planIndex + 1, filesApplied: files.length - saved.planIndex - 1, rejected: 0 });
    // The interrupted file was applied again from its start: what had landed was found already there.
    expect(applier.totalStats().conditionalNoOps).toBeGreaterThan(0);

    const resumedTables = await snapshot(dynamodb, targets);
    expect(resumedTables).toEqual(await snapshot(dynamodb, reference));
    for (const [name, table] of shopTables.tables) {
      expect(compareTable(table, [...history.rows.get(name)!.values()], resumedTables[name]!)).toEqual([]);
    }
    expect(resumedTables.customers!.some((item) => item._cdc_deleted?.BOOL === true)).toBe(true);
  }, 180_000);
});
