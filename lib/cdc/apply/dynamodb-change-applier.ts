/**
 * Change events into DynamoDB, one table per source table, ordered per row, idempotent and
 * monotonic: whatever order, duplication or redelivery the stream brings, a row never moves
 * backwards.
 *
 * How:
 * - every write is conditional on the stored item's `_cdc_position` (see ./conditional-writes):
 *   a put replaces an absent or older item, a delete removes an older one. A failed condition
 *   means the stored row is already as new or newer — a duplicate, a redelivery, an out-of-order
 *   retry — and is a success (counted as `conditionalNoOps`);
 * - a batch is grouped by target row and only each row's newest write is sent (./row-groups says
 *   why that equals applying them all in order); rows are independent and written in parallel,
 *   with bounded concurrency;
 * - a primary-key update is two writes to two rows: a delete of the old key (conditional: if the
 *   old key's item is already newer — the key was re-used by a later insert — it stays, which is
 *   right: that later change owns it) and a put of the new key. They are not atomic: for a moment
 *   a reader may see both keys or neither; the next state is reached either way;
 * - throttling and 5xx are retried with full-jitter backoff, a bounded number of times; then the
 *   change is a `transient` failure (the stream redelivers it: harmless, see above). A value
 *   DynamoDB refuses (too large, a bad number) is `permanent`: the consumer sends it to the
 *   failure destination.
 *
 * Deletes. In `remove` mode (the default) a delete removes the item and leaves nothing behind. That
 * is monotonic only as long as no change older than the delete arrives after it: an older insert
 * or update redelivered after the delete (a Lambda retry from an earlier sequence number, a
 * replay of the stream or of an S3 folder, a record from another shard after a primary-key
 * change) finds no item and re-creates the row — until the delete itself is redelivered, which
 * Kinesis's per-row ordering and Lambda's resume-from-failure do make happen, but in between the
 * table is wrong. In `tombstone` mode a delete writes a tombstone instead (the key,
 * `_cdc_deleted: true`, the delete's position and a TTL in `_cdc_expires_at`): an older change
 * finds a newer item and loses, so the table is strictly monotonic — as long as the tombstone
 * lives, so set the TTL above the longest redelivery window (the stream's retention, the age of
 * any folder you may replay). Readers must skip items with `_cdc_deleted`.
 *
 * Control changes (table-level). `truncate` at position P deletes (or tombstones) every item of the
 * target table whose position is older than P: a scan filtered on `_cdc_position < P`, then one
 * conditional delete per item (so a row written meanwhile by a newer change survives); rows of the
 * same batch are folded in as deletes at P. A row change older than P that arrives after the
 * truncate has run can re-create its row, in either mode (only rows present at the scan get a
 * tombstone): the table-level truncate leaves no per-row trace to compare with. `create-table`,
 * `drop-table` and column changes are counted and reported through `onControlChange`, not applied:
 * the target tables belong to the deployment (serverless.yml), and DynamoDB has no columns.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { BackoffOptions } from '../../aws/backoff';
import { DEFAULT_BACKOFF, sleep as realSleep } from '../../aws/backoff';
import type { RefFailure } from '../../sinks/dynamodb/batch-readings';
import { mergeFailures } from '../../sinks/dynamodb/batch-readings';
import { forEachConcurrently } from '../../sinks/dynamodb/concurrency';
import { errorMessage, errorName, isConditionalCheckFailed, isValidationError } from '../../sinks/dynamodb/errors';
import type { RetryPolicy } from '../../sinks/dynamodb/retry';
import { sendWithRetry } from '../../sinks/dynamodb/retry';
import type { Sink, SinkItem, SinkResult } from '../../sinks/sink';
import type { ChangeEvent, ControlChange } from '../change-event';
import { positionKey } from '../change-event';
import { conditionalDelete, conditionalPut, tombstoneItem } from './conditional-writes';
import { ChangeRejection, InvalidApplierOptionsError } from './errors';
import { CDC_POSITION } from './item-attributes';
import type { RowGroup } from './row-groups';
import { groupByRow, newestFirst } from './row-groups';
import type { RowWrite, TargetRow } from './row-writes';
import { rowWritesOf } from './row-writes';
import type { TargetTableOf } from './table-mapping';
import { targetTableResolverFromEnv } from './table-mapping';
import type { ApplyTableSpec, TableSpecOf } from './table-specs';
import { sourceTableSpecs } from './table-specs';

/** What a delete leaves: nothing (`remove`), or a tombstone with the delete's position (`tombstone`, strictly monotonic). */
export type DeleteMode = 'remove' | 'tombstone';

export const DELETE_MODES: readonly DeleteMode[] = ['remove', 'tombstone'];

/** What the applier did with a control change. */
export interface ControlChangeReport {
  readonly change: ControlChange;
  /** `truncated`: the target table's older items were deleted (or tombstoned); `ignored`: counted, not applied. */
  readonly action: 'truncated' | 'ignored';
  readonly targetTable: string | undefined;
  /** Items a truncate deleted or tombstoned (its scan only; rows of the batch are counted as writes). */
  readonly items: number;
}

export interface DynamoDbChangeApplierOptions {
  readonly client: DynamoDBClient;
  /** The target table of a source table. Default: `CDC_TARGET_TABLE_PREFIX` and `CDC_TABLE_MAPPING` from the environment ({@link targetTableResolverFromEnv}). */
  readonly targetTableOf?: TargetTableOf;
  /** Key and column types of a source table. Default: the CDC source schema (schemas/cdc/). A change of a table it does not know is rejected (`UnknownSourceTable`). */
  readonly tableSpecOf?: TableSpecOf;
  /** Default `remove`. */
  readonly deletes?: DeleteMode;
  /** How long a tombstone lives (DynamoDB TTL on `_cdc_expires_at`), from when it is written. Default 8 days (above Kinesis's 7-day extended retention). */
  readonly tombstoneTtlSeconds?: number;
  /** Rows written at once. Default 16. */
  readonly concurrency?: number;
  /** Attempts per request, the first included, on throttling and 5xx (after the SDK's own retries). Default 5. */
  readonly maxAttempts?: number;
  /** Full-jitter backoff between attempts. Default {@link DEFAULT_BACKOFF}. */
  readonly backoff?: BackoffOptions;
  /** Injected in tests to avoid real waits. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock for tombstone expiry, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Told of every control change: what was done (for logs). */
  readonly onControlChange?: (report: ControlChangeReport) => void;
}

/** What a call to the applier did. Every count is since the call began (or since the applier was made, in {@link DynamoDbChangeApplier.totalStats}). */
export interface ChangeApplierStats {
  /** Items the caller passed. */
  changesReceived: number;
  rowChanges: number;
  controlChanges: number;
  /** Writes the row changes stand for (a primary-key update is two). */
  writesPlanned: number;
  /** Writes not sent because a newer write of the same row in the batch decides the row's state. */
  supersededInBatch: number;
  /** Items put (load, insert, update), tombstones not included. */
  itemsPut: number;
  /** Items removed (`remove` mode deletes, truncates). */
  itemsDeleted: number;
  /** Tombstones written (`tombstone` mode deletes, truncates). */
  tombstonesWritten: number;
  /** Writes whose condition failed: the stored row was as new or newer (or already gone). Successes. */
  conditionalNoOps: number;
  truncates: number;
  /** Items a truncate's scan deleted or tombstoned. */
  truncatedItems: number;
  /** Control changes counted but not applied (create-table, drop-table, column changes). */
  controlIgnored: number;
  /** Requests refused for throttling or a 5xx and retried. */
  throttledRequests: number;
  transientFailures: number;
  permanentFailures: number;
}

const emptyStats = (): ChangeApplierStats => ({
  changesReceived: 0,
  rowChanges: 0,
  controlChanges: 0,
  writesPlanned: 0,
  supersededInBatch: 0,
  itemsPut: 0,
  itemsDeleted: 0,
  tombstonesWritten: 0,
  conditionalNoOps: 0,
  truncates: 0,
  truncatedItems: 0,
  controlIgnored: 0,
  throttledRequests: 0,
  transientFailures: 0,
  permanentFailures: 0,
});

export interface ChangeApplierResult extends SinkResult {
  readonly stats: Readonly<ChangeApplierStats>;
}

export const DEFAULT_TOMBSTONE_TTL_SECONDS = 8 * 86_400;
export const DEFAULT_APPLY_CONCURRENCY = 16;
export const DEFAULT_APPLY_MAX_ATTEMPTS = 5;

/** The outcome of one conditional write. */
type WriteOutcome = { readonly ok: true; readonly changed: boolean } | { readonly ok: false; readonly kind: 'transient' | 'permanent'; readonly code: string; readonly message: string };

interface PendingTruncate {
  readonly ref: number;
  readonly change: ControlChange;
  readonly table: string;
  readonly spec: ApplyTableSpec;
  readonly position: string;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) throw new InvalidApplierOptionsError(`${name} must be an integer ≥ 1, got ${chosen}`);
  return chosen;
}

/**
 * Applies change events to DynamoDB. A `Sink<ChangeEvent>` (so also a `Sink<RowChange>`): it
 * answers per ref, as the consumer core expects.
 *
 * @example
 * const applier = new DynamoDbChangeApplier({ client: clients.dynamodb(), targetTableOf: targetTableResolver({ prefix: 'dev-' }), deletes: 'tombstone' });
 * const { failures, stats } = await applier.write(changes.map((value, ref) => ({ ref, value })));
 */
export class DynamoDbChangeApplier implements Sink<ChangeEvent> {
  private readonly client: DynamoDBClient;
  private readonly targetTableOf: TargetTableOf;
  private readonly tableSpecOf: TableSpecOf;
  readonly deletes: DeleteMode;
  private readonly tombstoneTtlSeconds: number;
  private readonly concurrency: number;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly onControlChange: ((report: ControlChangeReport) => void) | undefined;
  private readonly totals = emptyStats();

  /** @throws {InvalidApplierOptionsError} for an unknown delete mode or a non-positive count. */
  constructor(options: DynamoDbChangeApplierOptions) {
    this.client = options.client;
    this.targetTableOf = options.targetTableOf ?? targetTableResolverFromEnv();
    this.tableSpecOf = options.tableSpecOf ?? sourceTableSpecs;
    this.deletes = options.deletes ?? 'remove';
    if (!DELETE_MODES.includes(this.deletes)) throw new InvalidApplierOptionsError(`deletes must be one of ${DELETE_MODES.join(', ')}, got ${String(this.deletes)}`);
    this.tombstoneTtlSeconds = positiveInteger('tombstoneTtlSeconds', options.tombstoneTtlSeconds, DEFAULT_TOMBSTONE_TTL_SECONDS);
    this.concurrency = positiveInteger('concurrency', options.concurrency, DEFAULT_APPLY_CONCURRENCY);
    this.retry = {
      maxAttempts: positiveInteger('maxAttempts', options.maxAttempts, DEFAULT_APPLY_MAX_ATTEMPTS),
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      sleep: options.sleep ?? realSleep,
    };
    this.now = options.now ?? Date.now;
    this.onControlChange = options.onControlChange;
  }

  /**
   * Applies the changes and answers per ref: a ref not named was applied (or found already
   * superseded). `permanent`: the change cannot be stored (unknown table, missing key, a value
   * DynamoDB refuses); `transient`: still throttled or failing after the retries.
   * @throws {TableMappingError} when a target table name cannot be made (a configuration error, not about a change).
   */
  async write(items: readonly SinkItem<ChangeEvent>[]): Promise<ChangeApplierResult> {
    const stats = emptyStats();
    stats.changesReceived = items.length;
    const failures: RefFailure[] = [];
    const writes: RowWrite[] = [];
    const truncates: PendingTruncate[] = [];
    items.forEach(({ ref, value: change }, arrival) => {
      if (change.kind === 'control') {
        stats.controlChanges++;
        if (change.operation !== 'truncate') {
          stats.controlIgnored++;
          this.onControlChange?.({ change, action: 'ignored', targetTable: undefined, items: 0 });
          return;
        }
      } else {
        stats.rowChanges++;
      }
      const spec = this.tableSpecOf(change.schema, change.table);
      if (spec === undefined) {
        failures.push({ refs: [ref], kind: 'permanent', code: 'UnknownSourceTable', message: `no key definition for source table ${change.schema}.${change.table}` });
        return;
      }
      const table = this.targetTableOf(change.schema, change.table);
      if (change.kind === 'control') {
        truncates.push({ ref, change, table, spec, position: positionKey(change.position) });
        return;
      }
      try {
        writes.push(...rowWritesOf(change, ref, arrival, table, spec));
      } catch (error) {
        if (!(error instanceof ChangeRejection)) throw error;
        failures.push({ refs: [ref], kind: 'permanent', code: error.code, message: error.message });
      }
    });
    stats.writesPlanned = writes.length;

    const groups = groupByRow(writes);
    // A truncate is a delete at its position of every row of its table: the batch's rows get it as
    // one more candidate (the newest candidate wins, as for any write); the stored rows, by the scan.
    for (const truncate of truncates) {
      for (const group of groups) {
        const [newest] = group.writes;
        if (newest?.table !== truncate.table) continue;
        group.writes.push({ ...rowOf(newest), ref: truncate.ref, action: 'delete', item: undefined, position: truncate.position, operation: 'truncate', commitTimestamp: truncate.change.commitTimestamp, arrival: -1 });
      }
    }
    if (truncates.length > 0) for (const group of groups) group.writes.sort(newestFirst);

    await forEachConcurrently(groups, this.concurrency, async (group) => {
      failures.push(...(await this.applyGroup(group, stats)));
    });
    for (const truncate of truncates) {
      const failure = await this.truncate(truncate, stats);
      if (failure) failures.push(failure);
    }

    const merged = mergeFailures([failures]);
    for (const failure of merged) {
      if (failure.kind === 'permanent') stats.permanentFailures++;
      else stats.transientFailures++;
    }
    for (const key of Object.keys(stats) as (keyof ChangeApplierStats)[]) this.totals[key] += stats[key];
    return { failures: merged, stats };
  }

  /** Counts since the applier was made. */
  totalStats(): Readonly<ChangeApplierStats> {
    return { ...this.totals };
  }

  /**
   * Sends the row's newest write; if DynamoDB refuses its value, that change is rejected and the
   * next newest is tried (the row's last good state). A transient failure fails every candidate
   * not yet decided: they are folded into the write that did not happen.
   */
  private async applyGroup(group: RowGroup, stats: ChangeApplierStats): Promise<RefFailure[]> {
    const failures: RefFailure[] = [];
    for (let i = 0; i < group.writes.length; i++) {
      const write = group.writes[i]!;
      const outcome = await this.send(write, stats);
      if (outcome.ok) {
        stats.supersededInBatch += group.writes.length - i - 1;
        return failures;
      }
      if (outcome.kind === 'transient') {
        failures.push({ refs: group.writes.slice(i).map((w) => w.ref), kind: 'transient', code: outcome.code, message: outcome.message });
        return failures;
      }
      failures.push({ refs: [write.ref], kind: 'permanent', code: outcome.code, message: outcome.message });
    }
    return failures;
  }

  /** One conditional write (a tombstone for a delete in `tombstone` mode), with retries. */
  private async send(write: Pick<RowWrite, 'table' | 'key' | 'hashKey' | 'rowId' | 'action' | 'item' | 'position' | 'operation' | 'commitTimestamp'>, stats: ChangeApplierStats): Promise<WriteOutcome> {
    const onRetry = (): void => {
      stats.throttledRequests++;
    };
    const tombstone = write.action === 'delete' && this.deletes === 'tombstone';
    try {
      if (write.action === 'put' || tombstone) {
        const item = tombstone ? tombstoneItem(write, write, Math.floor(this.now() / 1000) + this.tombstoneTtlSeconds) : write.item!;
        const input = conditionalPut(write.table, write.hashKey, item, write.position);
        await sendWithRetry(() => this.client.send(new PutItemCommand(input)), this.retry, onRetry);
        if (tombstone) stats.tombstonesWritten++;
        else stats.itemsPut++;
      } else {
        const input = conditionalDelete(write, write.position);
        await sendWithRetry(() => this.client.send(new DeleteItemCommand(input)), this.retry, onRetry);
        stats.itemsDeleted++;
      }
      return { ok: true, changed: true };
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        stats.conditionalNoOps++;
        return { ok: true, changed: false };
      }
      // A missing table or no permission is not about the value: the change waits in the stream.
      return { ok: false, kind: isValidationError(error) ? 'permanent' : 'transient', code: errorName(error), message: errorMessage(error) };
    }
  }

  /** Deletes (or tombstones) every stored item of the table older than the truncate, page by page. */
  private async truncate(truncate: PendingTruncate, stats: ChangeApplierStats): Promise<RefFailure | undefined> {
    stats.truncates++;
    const { table, spec, position, change, ref } = truncate;
    const keyColumns = spec.keyColumns.slice(0, 2);
    const names: Record<string, string> = { '#position': CDC_POSITION };
    keyColumns.forEach((column, i) => (names[`#k${i}`] = column));
    let start: Record<string, AttributeValue> | undefined;
    let items = 0;
    let failure: WriteOutcome | undefined;
    const onRetry = (): void => {
      stats.throttledRequests++;
    };
    try {
      do {
        const exclusiveStartKey = start;
        const page = await sendWithRetry(() => this.client.send(new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          ProjectionExpression: [...keyColumns.map((_, i) => `#k${i}`), '#position'].join(', '),
          FilterExpression: '#position < :position',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':position': { S: position } },
          ExclusiveStartKey: exclusiveStartKey,
        })), this.retry, onRetry);
        const rows = (page.Items ?? []).map((item): TargetRow => ({
          table,
          key: Object.fromEntries(keyColumns.map((column) => [column, item[column]!])),
          hashKey: keyColumns[0]!,
          rowId: '',
        }));
        await forEachConcurrently(rows, this.concurrency, async (row) => {
          const outcome = await this.send({ ...row, action: 'delete', item: undefined, position, operation: 'truncate', commitTimestamp: change.commitTimestamp }, stats);
          if (!outcome.ok) failure ??= outcome;
          else if (outcome.changed) items++;
        });
        start = page.LastEvaluatedKey;
      } while (start !== undefined && failure === undefined);
    } catch (error) {
      failure = { ok: false, kind: isValidationError(error) ? 'permanent' : 'transient', code: errorName(error), message: `truncate scan: ${errorMessage(error)}` };
    }
    stats.truncatedItems += items;
    if (failure !== undefined && !failure.ok) return { refs: [ref], kind: failure.kind, code: failure.code, message: failure.message };
    this.onControlChange?.({ change, action: 'truncated', targetTable: table, items });
    return undefined;
  }
}

const rowOf = (write: RowWrite): TargetRow => ({ table: write.table, key: write.key, hashKey: write.hashKey, rowId: write.rowId });
