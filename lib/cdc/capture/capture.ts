/**
 * A DMS-like full-load-and-CDC task from PostgreSQL: a `pgoutput` logical replication slot and a
 * publication for the captured tables; a full load from the slot's exported snapshot; then the
 * slot's stream, one committed transaction at a time, written to a {@link CaptureSink}.
 *
 * No loss, no gap (pg-logical-replication's defaults lose changes; see the library notes):
 *  - the slot is confirmed only after the sink confirmed: `auto: false`, `timeoutSeconds: 0`,
 *    and the capture itself acknowledges `commitEndLsn − 1` (the library adds one) once the batch
 *    holding that transaction was written; after a failed write nothing more is ever confirmed;
 *  - on (re)start it subscribes from `0/00000000`, so the server resumes at the slot's confirmed
 *    position, never at a position some process kept in memory;
 *  - transactions are buffered whole and written at COMMIT (never a part of one), and a
 *    transaction at or before a position already delivered is skipped (de-duplication by commit
 *    LSN): the slot's confirmed position, `resumeAfter`, and the last one written;
 *  - a full load that did not finish (no record of it in the state table) is redone from a new slot.
 * Delivery is at least once: a batch that failed (or was written but not yet confirmed when the
 * process died) is delivered again after a restart, at the same positions.
 */
import pg from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import type { ChangeEvent } from '../change-event';
import { CaptureConnectionError, CaptureSetupError, CaptureSinkError, CaptureTimeoutError } from './errors';
import { runFullLoad } from './full-load';
import { addToLsn, commitPositionOf, compareLsn, lsnDistance } from './lsn';
import { CANONICAL_SESSION_OPTIONS } from './pg-values';
import { CapturePlugin, type ArrivedMessage } from './replication-plugin';
import type { CaptureSink } from './sink';
import { checkObjectName, checkSource, createSlot, createSlotExportingSnapshot, dropSlot, ensurePublication, LoadStateTable, primaryKeys, readSlot, tableKey, type CapturedTable } from './slot';
import { TransactionAssembler, type CapturedTransaction } from './transaction-assembler';

/** Connection settings of the source (`pg`'s ClientConfig: host, port, user, password, database, ssl …). */
export type SourceConnection = Omit<pg.ClientConfig, 'replication' | 'options' | 'types'>;

export interface CdcCaptureOptions {
  /** The source database. The role needs REPLICATION (or superuser), and CREATE for the publication and state table. */
  readonly connection: SourceConnection;
  readonly sink: CaptureSink;
  readonly tables: readonly CapturedTable[];
  /** Default `shardline_cdc`. */
  readonly slotName?: string;
  /** Default: the slot name. */
  readonly publicationName?: string;
  /** Schema of the load-state table in the source (default `shardline_cdc`). */
  readonly stateSchema?: string;
  /** Load the tables before streaming changes, like DMS's full-load-and-cdc (default true); false: changes only. */
  readonly fullLoad?: boolean;
  /** Rows per sink write during the full load (default 5,000). */
  readonly loadBatchRows?: number;
  /** Committed changes gathered into one sink write (default 2,000; a larger transaction goes whole). */
  readonly maxBatchChanges?: number;
  /** Longest a committed transaction waits for more to fill its batch (default 20 ms). */
  readonly maxBatchDelayMs?: number;
  /**
   * How long to wait for the slot to be released by a previous consumer (its walsender exits a
   * moment after the connection closes). Default 10 s.
   */
  readonly slotReleaseTimeoutMs?: number;
  /**
   * Commit position (16 hex digits, as in ChangePosition) through which the sink is known to hold
   * every transaction: those are confirmed without being written again.
   */
  readonly resumeAfter?: string;
}

export type CapturePhase = 'new' | 'starting' | 'loading' | 'streaming' | 'stopping' | 'stopped' | 'failed';

export interface CaptureStats {
  readonly phase: CapturePhase;
  /** Whether this run created the slot (and, with a full load, loaded the tables). */
  readonly slotCreated: boolean;
  /** Why an existing slot was dropped and the load redone, if it was. */
  readonly reloadReason: string | undefined;
  /** The snapshot's consistent point, when this run loaded. */
  readonly consistentPoint: string | undefined;
  readonly loadRows: number;
  readonly loadRowsByTable: Readonly<Record<string, number>>;
  /** Committed transactions written to the sink (skipped ones excluded). */
  readonly transactions: number;
  /** Changes of those transactions. */
  readonly changes: number;
  /** Transactions not written because the sink already held them. */
  readonly skippedTransactions: number;
  readonly sinkWrites: number;
  /** pgoutput message bytes received. */
  readonly bytesReceived: number;
  /** Last position confirmed to the slot (end of the last transaction written). */
  readonly confirmedLsn: string | undefined;
  /** The server's WAL position last heard of (keepalive or commit). */
  readonly serverLsn: string | undefined;
  /** serverLsn − confirmedLsn, in bytes. */
  readonly lagBytes: number | undefined;
  readonly lastCommitTimestamp: string | undefined;
  /** From the last written transaction's commit at the source to the sink's confirmation. */
  readonly lastDeliveryLagMs: number | undefined;
}

interface BatchEntry {
  readonly transaction: CapturedTransaction;
  /** Already delivered: confirmed, not written. */
  readonly skip: boolean;
}

interface Heartbeat {
  readonly lsn: string;
  /** Data messages that had arrived before it. */
  readonly afterArrival: number;
}

export class CdcCapture {
  private readonly options: CdcCaptureOptions;
  private readonly slotName: string;
  private readonly publicationName: string;
  private readonly stateTable: LoadStateTable;
  private readonly maxBatchChanges: number;
  private readonly maxBatchDelayMs: number;

  private phase: CapturePhase = 'new';
  private control: pg.Client | undefined;
  private service: LogicalReplicationService | undefined;
  private plugin: CapturePlugin | undefined;
  private readonly assembler: TransactionAssembler;
  private keys = new Map<string, readonly string[]>();

  private batch: BatchEntry[] = [];
  private batchChanges = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writesInFlight = 0;

  /** Nothing at or before these is written again. */
  private confirmedAtStart: string | undefined;
  private lastWrittenCommit: string | undefined;

  /** Messages the handler has finished with (compared against arrival counts). */
  private processed = 0;
  /** The highest position through which everything has arrived: commit ends and keepalives between transactions. */
  private receivedThrough: string | undefined;
  private pendingHeartbeat: Heartbeat | undefined;

  private failure: Error | undefined;
  private settle: { resolve: (stats: CaptureStats) => void; reject: (error: Error) => void } | undefined;
  /** Settles when the capture has stopped: with its stats, or with the error that stopped it. */
  readonly finished: Promise<CaptureStats>;
  private stopping: Promise<CaptureStats> | undefined;

  private counters = {
    slotCreated: false,
    reloadReason: undefined as string | undefined,
    consistentPoint: undefined as string | undefined,
    loadRows: 0,
    loadRowsByTable: {} as Record<string, number>,
    transactions: 0,
    changes: 0,
    skippedTransactions: 0,
    sinkWrites: 0,
    bytesReceived: 0,
    confirmedLsn: undefined as string | undefined,
    serverLsn: undefined as string | undefined,
    lastCommitTimestamp: undefined as string | undefined,
    lastDeliveryLagMs: undefined as number | undefined,
  };

  constructor(options: CdcCaptureOptions) {
    if (options.tables.length === 0) throw new CaptureSetupError('no tables to capture');
    this.options = options;
    this.slotName = checkObjectName('slot', options.slotName ?? 'shardline_cdc');
    this.publicationName = checkObjectName('publication', options.publicationName ?? this.slotName);
    this.stateTable = new LoadStateTable(options.stateSchema ?? 'shardline_cdc');
    this.maxBatchChanges = Math.max(1, options.maxBatchChanges ?? 2_000);
    this.maxBatchDelayMs = Math.max(0, options.maxBatchDelayMs ?? 20);
    if (options.resumeAfter !== undefined && !/^[0-9A-F]{16}$/.test(options.resumeAfter)) {
      throw new CaptureSetupError(`resumeAfter must be a commit position of 16 upper-case hex digits, got ${JSON.stringify(options.resumeAfter)}`);
    }
    this.assembler = new TransactionAssembler({ primaryKeyOf: (relation) => this.keys.get(tableKey(relation.schema, relation.name)) });
    this.finished = new Promise<CaptureStats>((resolve, reject) => (this.settle = { resolve, reject }));
    // Handled here so that a capture nobody awaits cannot crash the process; callers still see the rejection.
    this.finished.catch(() => undefined);
  }

  /**
   * Prepares the source (publication, slot), runs the full load when the slot is new, and starts
   * streaming. Resolves once the server streams; the capture then runs until {@link stop} or a failure.
   * @throws {CaptureSetupError} when the source cannot be captured; the sink's error when the load could not be written.
   */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new CaptureSetupError(`start() on a capture that is ${this.phase}`);
    this.phase = 'starting';
    try {
      const control = (this.control = new pg.Client({ ...this.options.connection, options: CANONICAL_SESSION_OPTIONS }));
      control.on('error', (error) => this.fail(new CaptureConnectionError(`control connection: ${error.message}`, { cause: error })));
      await control.connect();
      const { serverVersionNum } = await checkSource(control);
      this.keys = new Map(await primaryKeys(control, this.options.tables));
      await ensurePublication(control, this.publicationName, this.options.tables);
      await this.prepareSlot(control, serverVersionNum);
      if (this.failure) throw this.failure;
      await this.startStreaming();
      this.phase = 'streaming';
    } catch (error) {
      this.phase = 'failed';
      this.failure ??= error as Error;
      await this.release();
      this.settle?.reject(this.failure);
      throw error;
    }
  }

  private async prepareSlot(control: pg.Client, serverVersionNum: number): Promise<void> {
    const fullLoad = this.options.fullLoad ?? true;
    let slot = await readSlot(control, this.slotName);
    const releaseDeadline = Date.now() + (this.options.slotReleaseTimeoutMs ?? 10_000);
    while (slot?.activePid != null) {
      if (Date.now() > releaseDeadline) throw new CaptureSetupError(`slot ${this.slotName} is in use by process ${slot.activePid}`);
      await new Promise((wait) => setTimeout(wait, 50));
      slot = await readSlot(control, this.slotName);
    }
    if (slot && slot.plugin !== 'pgoutput') throw new CaptureSetupError(`slot ${this.slotName} uses ${slot.plugin ?? 'no plugin'}, not pgoutput`);
    if (slot && fullLoad && (await this.stateTable.completedLoad(control, this.slotName)) === undefined) {
      // Its load never finished: the snapshot is gone, so the only consistent way on is a new slot and a new load.
      this.counters.reloadReason = `slot ${this.slotName} exists but its full load never finished`;
      await dropSlot(control, this.slotName);
      slot = undefined;
    }
    if (!slot) {
      this.counters.slotCreated = true;
      if (fullLoad) await this.createSlotAndLoad(control, serverVersionNum);
      else await createSlot(control, this.slotName);
      slot = await readSlot(control, this.slotName);
    }
    this.confirmedAtStart = slot?.confirmedFlushLsn ?? undefined;
    this.counters.confirmedLsn = this.confirmedAtStart;
    this.receivedThrough = this.confirmedAtStart;
  }

  private async createSlotAndLoad(control: pg.Client, serverVersionNum: number): Promise<void> {
    await this.stateTable.ensure(control);
    await this.stateTable.forget(control, this.slotName);
    const replication = new pg.Client({ ...this.options.connection, replication: 'database', options: CANONICAL_SESSION_OPTIONS } as pg.ClientConfig);
    replication.on('error', () => undefined); // surfaces through the pending query, or not at all once closed
    await replication.connect();
    let replicationOpen = true;
    const closeReplication = async (): Promise<void> => {
      if (!replicationOpen) return;
      replicationOpen = false;
      await replication.end();
    };
    const loader = new pg.Client({ ...this.options.connection, options: CANONICAL_SESSION_OPTIONS });
    loader.on('error', () => undefined);
    try {
      const created = await createSlotExportingSnapshot(replication, this.slotName, serverVersionNum);
      this.counters.consistentPoint = created.consistentPoint;
      this.phase = 'loading';
      await loader.connect();
      // Everything up to the consistent point is in the snapshot, and the stream starts at it: the
      // rows sit one byte before it, so that a transaction committing exactly there sorts after them.
      const commit = commitPositionOf(addToLsn(created.consistentPoint, -1));
      const counts = await runFullLoad({
        client: loader,
        snapshotName: created.snapshotName,
        tables: this.options.tables,
        primaryKeys: this.keys,
        commit,
        batchRows: this.options.loadBatchRows,
        onSnapshotImported: closeReplication,
        write: async (changes, table) => {
          if (this.failure) throw this.failure;
          await this.options.sink.write(changes);
          this.counters.sinkWrites++;
          this.counters.loadRows += changes.length;
          const key = tableKey(table.schema, table.table);
          this.counters.loadRowsByTable[key] = (this.counters.loadRowsByTable[key] ?? 0) + changes.length;
        },
      });
      await this.stateTable.markCompleted(control, this.slotName, created.consistentPoint, Object.values(counts).reduce((a, b) => a + b, 0));
    } finally {
      await closeReplication().catch(() => undefined);
      await loader.end().catch(() => undefined);
    }
  }

  private async startStreaming(): Promise<void> {
    const service = (this.service = new LogicalReplicationService(
      { ...this.options.connection, options: CANONICAL_SESSION_OPTIONS },
      // Never acknowledge on receipt nor on a timer: only what the sink confirmed, by hand.
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    ));
    const plugin = (this.plugin = new CapturePlugin({ publicationName: this.publicationName }));
    service.on('data', (_lsn: string, arrived: ArrivedMessage) => this.onMessage(arrived));
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => this.onHeartbeat(lsn, shouldRespond));
    service.on('error', (error: Error) => this.fail(new CaptureConnectionError(`replication connection: ${error.message}`, { cause: error })));
    const started = new Promise<void>((resolve) => service.once('start', () => resolve()));
    // From 0/0: the server starts at the slot's confirmed position, whatever any process remembers.
    const streaming = service.subscribe(plugin, this.slotName, '0/00000000');
    streaming.then(
      () => {
        if (!this.stopping && !this.failure) this.fail(new CaptureConnectionError('the server ended the replication stream'));
      },
      (error: unknown) => {
        if (!this.stopping) this.fail(new CaptureConnectionError(`replication stream: ${(error as Error).message}`, { cause: error }));
      },
    );
    await Promise.race([started, streaming.then(() => undefined), this.finished.then(() => undefined)]);
    if (this.failure) throw this.failure;
  }

  /** The handler of every data message, awaited one at a time (the library's flow control). Never throws. */
  private async onMessage(arrived: ArrivedMessage): Promise<void> {
    try {
      this.counters.bytesReceived += arrived.bytes;
      if (this.failure || this.stopping) return; // sent again after a restart
      if (!arrived.ok) throw arrived.error;
      const transaction = this.assembler.push(arrived.message);
      if (transaction) await this.committed(transaction);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.processed = arrived.arrival;
    }
  }

  private async committed(transaction: CapturedTransaction): Promise<void> {
    this.noteReceived(transaction.endLsn);
    const commit = commitPositionOf(transaction.commitLsn);
    const skip =
      (this.confirmedAtStart !== undefined && compareLsn(transaction.endLsn, this.confirmedAtStart) <= 0) ||
      (this.options.resumeAfter !== undefined && commit <= this.options.resumeAfter) ||
      (this.lastWrittenCommit !== undefined && commit <= this.lastWrittenCommit);
    this.batch.push({ transaction, skip });
    if (!skip) this.batchChanges += transaction.changes.length;
    if (this.batchChanges >= this.maxBatchChanges) await this.writeBatch();
    else this.batchTimer ??= setTimeout(() => void this.writeBatch(), this.maxBatchDelayMs);
  }

  /** Writes the batch gathered so far, then confirms its last transaction. Serialised: writes and confirmations stay in commit order. */
  private writeBatch(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const entries = this.batch;
    const changeCount = this.batchChanges;
    this.batch = [];
    this.batchChanges = 0;
    if (entries.length === 0) return this.writing;
    this.writesInFlight++;
    this.writing = this.writing.then(async () => {
      try {
        if (this.failure) return; // never write (nor confirm) past a failed batch
        const written = entries.filter((e) => !e.skip);
        const changes: ChangeEvent[] = [];
        for (const entry of written) for (const change of entry.transaction.changes) changes.push(change);
        if (changes.length > 0) {
          try {
            await this.options.sink.write(changes);
          } catch (error) {
            const first = written[0]?.transaction.commitLsn;
            this.fail(new CaptureSinkError(`the sink did not take ${changeCount} change(s) from commit ${first}: ${(error as Error).message}`, first, changeCount, { cause: error }));
            return;
          }
          this.counters.sinkWrites++;
        }
        const last = entries[entries.length - 1]!.transaction;
        this.counters.transactions += written.length;
        this.counters.changes += changes.length;
        this.counters.skippedTransactions += entries.length - written.length;
        if (written.length > 0) {
          const lastWritten = written[written.length - 1]!.transaction;
          this.lastWrittenCommit = commitPositionOf(lastWritten.commitLsn);
          this.counters.lastCommitTimestamp = lastWritten.commitTimestamp;
          this.counters.lastDeliveryLagMs = Date.now() - Date.parse(lastWritten.commitTimestamp);
        }
        this.confirm(last.endLsn);
      } finally {
        this.writesInFlight--;
      }
    });
    return this.writing;
  }

  /** Confirms to the slot everything through `endLsn` (the end of a commit record the sink holds). */
  private confirm(endLsn: string): void {
    if (this.failure) return;
    if (this.counters.confirmedLsn !== undefined && compareLsn(endLsn, this.counters.confirmedLsn) < 0) return;
    this.counters.confirmedLsn = endLsn;
    // The library reports lsn + 1 as flushed: pass end − 1 so that the server records exactly `endLsn`.
    void this.service?.acknowledge(addToLsn(endLsn, -1));
  }

  private onHeartbeat(lsn: string, shouldRespond: boolean): void {
    this.noteServer(lsn);
    const plugin = this.plugin;
    if (plugin && !plugin.openAtArrival) this.pendingHeartbeat = { lsn, afterArrival: plugin.arrived };
    // The server asks for a status now and then (else it drops us after wal_sender_timeout): repeat
    // what is confirmed already, never more.
    if (shouldRespond && !this.failure && this.counters.confirmedLsn !== undefined) void this.service?.acknowledge(addToLsn(this.counters.confirmedLsn, -1));
  }

  private noteServer(lsn: string): void {
    if (this.counters.serverLsn === undefined || compareLsn(lsn, this.counters.serverLsn) > 0) this.counters.serverLsn = lsn;
  }

  private noteReceived(lsn: string): void {
    this.noteServer(lsn);
    if (this.receivedThrough === undefined || compareLsn(lsn, this.receivedThrough) > 0) this.receivedThrough = lsn;
  }

  /** Everything that has arrived is handled, written and confirmed, and no transaction is half-received. */
  private get idle(): boolean {
    const heartbeat = this.pendingHeartbeat;
    if (heartbeat && this.processed >= heartbeat.afterArrival) {
      this.pendingHeartbeat = undefined;
      this.noteReceived(heartbeat.lsn);
    }
    return !this.assembler.inTransaction && this.batch.length === 0 && this.writesInFlight === 0 && this.processed >= (this.plugin?.arrived ?? 0);
  }

  /**
   * Resolves once every transaction committed at the source before the call has been written to
   * the sink and confirmed (the server's WAL flush position is reached, through commits or
   * keepalives that followed them).
   * @throws {CaptureTimeoutError} after `timeoutMs` (default 60 s); the capture's failure if it fails meanwhile.
   */
  async waitUntilCaughtUp(options: { readonly timeoutMs?: number; readonly pollMs?: number } = {}): Promise<void> {
    const control = this.control;
    if (!control || (this.phase !== 'streaming' && this.phase !== 'stopping')) throw this.failure ?? new CaptureSetupError(`waitUntilCaughtUp() on a capture that is ${this.phase}`);
    const { rows } = await control.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    const target = rows[0]!.lsn;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.idle && this.receivedThrough !== undefined && compareLsn(this.receivedThrough, target) >= 0) return;
      if (Date.now() > deadline) {
        throw new CaptureTimeoutError(`not caught up with ${target} within ${options.timeoutMs ?? 60_000} ms (through ${this.receivedThrough ?? 'nothing'}, confirmed ${this.counters.confirmedLsn ?? 'nothing'})`);
      }
      await new Promise((wait) => setTimeout(wait, options.pollMs ?? 10));
    }
  }

  /**
   * Stops gracefully: writes and confirms the transactions already received whole, then closes
   * the connections (a half-received transaction is left to the next run). Resolves with the
   * final stats; rejects with the failure if the capture had failed.
   */
  stop(): Promise<CaptureStats> {
    this.stopping ??= (async () => {
      if (this.phase === 'new') {
        this.phase = 'stopped';
        this.settle?.resolve(this.stats());
        return this.stats();
      }
      if (this.phase !== 'failed') this.phase = 'stopping';
      await this.writeBatch();
      await this.release();
      if (this.failure) {
        this.phase = 'failed';
        this.settle?.reject(this.failure);
        throw this.failure;
      }
      this.phase = 'stopped';
      const stats = this.stats();
      this.settle?.resolve(stats);
      return stats;
    })();
    return this.stopping;
  }

  /** The first failure stops the capture: nothing after it is written or confirmed. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    if (this.phase === 'starting' || this.phase === 'loading') return; // start() reports it
    this.phase = 'failed';
    clearTimeout(this.batchTimer);
    void this.release().finally(() => this.settle?.reject(error));
  }

  private async release(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const service = this.service;
    this.service = undefined;
    const control = this.control;
    this.control = undefined;
    await service?.stop().catch(() => undefined);
    service?.removeAllListeners();
    await control?.end().catch(() => undefined);
  }

  /** Progress so far. */
  stats(): CaptureStats {
    const { confirmedLsn, serverLsn } = this.counters;
    return {
      phase: this.phase,
      ...this.counters,
      loadRowsByTable: { ...this.counters.loadRowsByTable },
      lagBytes: confirmedLsn !== undefined && serverLsn !== undefined ? Math.max(0, Number(lsnDistance(serverLsn, confirmedLsn))) : undefined,
    };
  }
}
