/**
 * A seeded random workload against the shop source: inserts, updates and deletes in multi-row
 * transactions, some rolled back whole and some partly (ROLLBACK TO SAVEPOINT), updates of primary
 * keys (customers.customer_id, order_lines.line_no), multi-row statements, NULLs, wide numerics,
 * zoned timestamps with microseconds, unicode text and padded `char(2)`. The same seed gives the
 * same statements; the counts say what was committed, so a capture can be checked against them.
 */
import type { ClientBase } from 'pg';
import { intBetween, pick, seededRandom, type Random } from '../../datasets/random';
import { KeyPool } from './key-pool';
import { shopTables, type SourceTables } from '../source-tables';
import { qualifiedName, SourceSchemaError, sourceTableNamed } from './shop-source';
import { countryCode, decimalText, freeText, ORDER_STATUSES, personName, seededUuid, skuText, timestamptzText } from './values';

/** Text written by rolled-back work only (whole transactions, or savepoints rolled back): it must never reach a target. */
export const ROLLED_BACK_MARKER = '⟲rolled-back⟲ ';

export interface WorkloadOptions {
  /** Transactions to run, committed and rolled back together. */
  readonly transactions: number;
  readonly seed?: number;
  /** Share of transactions rolled back whole (default 0.1). */
  readonly rollbackRate?: number;
  /** Share of committed transactions that also roll back a savepoint's work (default 0.05). */
  readonly savepointRollbackRate?: number;
  /** Most statements in one transaction (default 6; at least 1). */
  readonly maxStatements?: number;
  /**
   * Update primary keys too (default true). Off for targets that cannot carry the old key of an
   * update (DMS's S3 CSV writes only the row after an update).
   */
  readonly primaryKeyUpdates?: boolean;
  /** Record each transaction's xid and rows (default false: one more round trip per transaction). */
  readonly journal?: boolean;
  /** Stops the workload between two transactions (the result counts what ran). */
  readonly signal?: AbortSignal;
  /** Called after each transaction with the number done so far. */
  readonly onTransaction?: (done: number) => void;
  /** The source the statements go to (default schemas/cdc/shop.json's). */
  readonly source?: SourceTables;
}

export type ChangeKind = 'insert' | 'update' | 'delete';

export interface TableCounts {
  inserts: number;
  updates: number;
  deletes: number;
}

/** One transaction of the journal. */
export interface WorkloadTransaction {
  /** `pg_current_xact_id()` modulo 2^32: the xid logical decoding reports. */
  readonly xid: string;
  readonly committed: boolean;
  /** Row changes it made (those of a rolled-back savepoint excluded): what a capture must deliver for it when committed. */
  readonly changes: number;
}

export interface WorkloadResult {
  readonly transactions: number;
  readonly committed: number;
  readonly rolledBack: number;
  readonly savepointsRolledBack: number;
  /** Row changes committed, by kind. */
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
  /** Updates that changed a primary key (counted in `updates` too). */
  readonly keyUpdates: number;
  /** inserts + updates + deletes committed. */
  readonly changes: number;
  readonly byTable: Readonly<Record<string, Readonly<TableCounts>>>;
  readonly journal: readonly WorkloadTransaction[] | undefined;
}

interface OrderState {
  nextLine: number;
  readonly lines: Set<number>;
}

interface Model {
  nextCustomerId: bigint;
  readonly customers: KeyPool<true>;
  readonly orders: KeyPool<OrderState>;
  /** `orderId/lineNo` → the line's key. */
  readonly lines: KeyPool<{ readonly orderId: string; readonly lineNo: number }>;
}

interface Counts {
  inserts: number;
  updates: number;
  deletes: number;
  keyUpdates: number;
  readonly byTable: Record<string, TableCounts>;
}

const newCounts = (): Counts => ({ inserts: 0, updates: 0, deletes: 0, keyUpdates: 0, byTable: {} });

/** Above 2^53, so that any trip through a JS number would show. */
const FIRST_CUSTOMER_ID = 9_007_199_254_740_993n;

/** The columns each table's statements write: checked against the source description, so the two cannot drift apart silently. */
const WRITTEN_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  customers: ['customer_id', 'email', 'full_name', 'country', 'balance', 'vip', 'signed_up_at', 'notes'],
  orders: ['order_id', 'customer_id', 'status', 'total', 'placed_at', 'shipped_at'],
  order_lines: ['order_id', 'line_no', 'sku', 'quantity', 'unit_price', 'note'],
};

function checkSource(source: SourceTables): void {
  for (const [table, columns] of Object.entries(WRITTEN_COLUMNS)) {
    const defined = sourceTableNamed(table, source).columns.map((c) => c.name);
    if (defined.length !== columns.length || columns.some((c) => !defined.includes(c))) {
      throw new SourceSchemaError(`the workload writes ${table}(${columns.join(', ')}), the source defines (${defined.join(', ')})`);
    }
  }
}

/** Runs statements of one transaction against the model, keeping undo steps for rollbacks. */
class TransactionRunner {
  readonly undo: (() => void)[] = [];
  readonly counts = newCounts();

  constructor(
    private readonly client: ClientBase,
    private readonly random: Random,
    private readonly model: Model,
    private readonly names: { readonly customers: string; readonly orders: string; readonly lines: string },
    private readonly keyUpdates: boolean,
  ) {}

  private count(table: string, kind: ChangeKind, rows: number, keyUpdate = false): void {
    const byTable = (this.counts.byTable[table] ??= { inserts: 0, updates: 0, deletes: 0 });
    const field = kind === 'insert' ? 'inserts' : kind === 'update' ? 'updates' : 'deletes';
    byTable[field] += rows;
    this.counts[field] += rows;
    if (keyUpdate) this.counts.keyUpdates += rows;
  }

  private async run(text: string, values: unknown[]): Promise<number> {
    const result = await this.client.query(text, values);
    return result.rowCount ?? 0;
  }

  /** One random statement (or a short group: an order with its lines, an order deleted with its lines). */
  async statement(marker: string): Promise<void> {
    const { model, random } = this;
    const roll = random() * 100;
    if (roll < 20 || model.customers.size === 0) return this.insertCustomer(marker);
    if (roll < 33) return this.updateCustomer(marker);
    if (roll < 37) return this.keyUpdates ? this.updateCustomerKey() : this.updateCustomer(marker);
    if (roll < 41) return this.deleteCustomer();
    if (roll < 56 || model.orders.size === 0) return this.insertOrder(marker);
    if (roll < 65) return this.updateOrder();
    if (roll < 68) return this.updateOrdersOfCustomer();
    if (roll < 72) return this.deleteOrder();
    if (roll < 80 || model.lines.size === 0) return this.insertLine(model.orders.pick(random)!, marker);
    if (roll < 89) return this.updateLine(marker);
    if (roll < 93) return this.keyUpdates ? this.updateLineKey() : this.updateLine(marker);
    return this.deleteLine();
  }

  private async insertCustomer(marker: string): Promise<void> {
    const { model, random } = this;
    const id = String(model.nextCustomerId++);
    const rows = await this.run(
      `INSERT INTO ${this.names.customers} (customer_id, email, full_name, country, balance, vip, signed_up_at, notes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, `user.${id}@exämple.com`, `${marker}${personName(random)}`, countryCode(random), decimalText(random, 14, 2), random() < 0.3, timestamptzText(random), random() < 0.4 ? null : freeText(random, marker)],
    );
    model.customers.set(id, true);
    this.undo.push(() => model.customers.delete(id));
    this.count('customers', 'insert', rows);
  }

  private async updateCustomer(marker: string): Promise<void> {
    const { random } = this;
    const id = this.model.customers.pick(random)!;
    const choices: [string, () => unknown][] = [
      ['email', () => `${marker}changed.${id}@exämple.com`],
      ['full_name', () => `${marker}${personName(random)}`],
      ['country', () => countryCode(random)],
      ['balance', () => decimalText(random, 14, 2)],
      ['vip', () => random() < 0.5],
      ['signed_up_at', () => timestamptzText(random)],
      ['notes', () => (random() < 0.3 ? null : freeText(random, marker))],
    ];
    // One to three columns; `notes` left alone most of the time, so a TOASTed value goes unchanged.
    const chosen = choices.filter(([name]) => name !== 'notes' || random() < 0.2).filter(() => random() < 0.4).slice(0, 3);
    if (chosen.length === 0) chosen.push(choices[3]!);
    const sets = chosen.map(([name], i) => `${name} = $${i + 2}`).join(', ');
    const rows = await this.run(`UPDATE ${this.names.customers} SET ${sets} WHERE customer_id = $1`, [id, ...chosen.map(([, value]) => value())]);
    this.count('customers', 'update', rows);
  }

  private async updateCustomerKey(): Promise<void> {
    const { model } = this;
    const oldId = model.customers.pick(this.random)!;
    const newId = String(model.nextCustomerId++);
    const rows = await this.run(`UPDATE ${this.names.customers} SET customer_id = $1, balance = balance + 1 WHERE customer_id = $2`, [newId, oldId]);
    model.customers.delete(oldId);
    model.customers.set(newId, true);
    this.undo.push(() => {
      model.customers.delete(newId);
      model.customers.set(oldId, true);
    });
    this.count('customers', 'update', rows, true);
  }

  private async deleteCustomer(): Promise<void> {
    const { model } = this;
    const id = model.customers.pick(this.random)!;
    const rows = await this.run(`DELETE FROM ${this.names.customers} WHERE customer_id = $1`, [id]);
    model.customers.delete(id);
    this.undo.push(() => model.customers.set(id, true));
    this.count('customers', 'delete', rows);
  }

  private async insertOrder(marker: string): Promise<void> {
    const { model, random } = this;
    let orderId = seededUuid(random);
    // A rerun with the same seed meets its own earlier orders: draw again.
    while (model.orders.has(orderId)) orderId = seededUuid(random);
    const customerId = model.customers.pick(random) ?? String(FIRST_CUSTOMER_ID);
    const rows = await this.run(
      `INSERT INTO ${this.names.orders} (order_id, customer_id, status, total, placed_at, shipped_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [orderId, customerId, pick(random, ORDER_STATUSES), random() < 0.15 ? null : decimalText(random, 14, 2, false), timestamptzText(random), random() < 0.7 ? null : timestamptzText(random)],
    );
    const state: OrderState = { nextLine: 1, lines: new Set() };
    model.orders.set(orderId, state);
    this.undo.push(() => model.orders.delete(orderId));
    this.count('orders', 'insert', rows);
    const lines = intBetween(random, 1, 3);
    for (let i = 0; i < lines; i++) await this.insertLine(orderId, marker);
  }

  private async updateOrder(): Promise<void> {
    const { random } = this;
    const orderId = this.model.orders.pick(random)!;
    const rows = await this.run(`UPDATE ${this.names.orders} SET status = $2, shipped_at = $3, total = $4 WHERE order_id = $1`, [
      orderId,
      pick(random, ORDER_STATUSES),
      random() < 0.5 ? null : timestamptzText(random),
      random() < 0.1 ? null : decimalText(random, 14, 2, false),
    ]);
    this.count('orders', 'update', rows);
  }

  /** A statement that changes any number of rows (zero included). */
  private async updateOrdersOfCustomer(): Promise<void> {
    const customerId = this.model.customers.pick(this.random)!;
    const rows = await this.run(`UPDATE ${this.names.orders} SET status = 'delivered', shipped_at = coalesce(shipped_at, placed_at) WHERE customer_id = $1`, [customerId]);
    this.count('orders', 'update', rows);
  }

  private async deleteOrder(): Promise<void> {
    const { model } = this;
    const orderId = model.orders.pick(this.random)!;
    const state = model.orders.get(orderId)!;
    const lineRows = await this.run(`DELETE FROM ${this.names.lines} WHERE order_id = $1`, [orderId]);
    this.count('order_lines', 'delete', lineRows);
    const rows = await this.run(`DELETE FROM ${this.names.orders} WHERE order_id = $1`, [orderId]);
    this.count('orders', 'delete', rows);
    const lines = [...state.lines];
    for (const lineNo of lines) model.lines.delete(`${orderId}/${lineNo}`);
    state.lines.clear();
    model.orders.delete(orderId);
    this.undo.push(() => {
      model.orders.set(orderId, state);
      for (const lineNo of lines) {
        state.lines.add(lineNo);
        model.lines.set(`${orderId}/${lineNo}`, { orderId, lineNo });
      }
    });
  }

  private async insertLine(orderId: string, marker: string): Promise<void> {
    const { model, random } = this;
    const state = model.orders.get(orderId)!;
    const lineNo = state.nextLine++;
    const rows = await this.run(`INSERT INTO ${this.names.lines} (order_id, line_no, sku, quantity, unit_price, note) VALUES ($1, $2, $3, $4, $5, $6)`, [
      orderId,
      lineNo,
      skuText(random),
      intBetween(random, 1, 50),
      decimalText(random, 12, 4, false),
      random() < 0.6 ? null : freeText(random, marker),
    ]);
    this.addLine(orderId, state, lineNo);
    this.count('order_lines', 'insert', rows);
  }

  private addLine(orderId: string, state: OrderState, lineNo: number): void {
    const { model } = this;
    state.lines.add(lineNo);
    model.lines.set(`${orderId}/${lineNo}`, { orderId, lineNo });
    this.undo.push(() => {
      state.lines.delete(lineNo);
      model.lines.delete(`${orderId}/${lineNo}`);
    });
  }

  private removeLine(orderId: string, state: OrderState, lineNo: number): void {
    const { model } = this;
    state.lines.delete(lineNo);
    model.lines.delete(`${orderId}/${lineNo}`);
    this.undo.push(() => {
      state.lines.add(lineNo);
      model.lines.set(`${orderId}/${lineNo}`, { orderId, lineNo });
    });
  }

  private async updateLine(marker: string): Promise<void> {
    const { random } = this;
    const { orderId, lineNo } = this.model.lines.get(this.model.lines.pick(random)!)!;
    const rows = await this.run(`UPDATE ${this.names.lines} SET quantity = $3, unit_price = $4, note = $5 WHERE order_id = $1 AND line_no = $2`, [
      orderId,
      lineNo,
      intBetween(random, 1, 50),
      decimalText(random, 12, 4, false),
      random() < 0.5 ? null : freeText(random, marker),
    ]);
    this.count('order_lines', 'update', rows);
  }

  private async updateLineKey(): Promise<void> {
    const { model } = this;
    const { orderId, lineNo } = model.lines.get(model.lines.pick(this.random)!)!;
    const state = model.orders.get(orderId)!;
    const newLineNo = state.nextLine++;
    const rows = await this.run(`UPDATE ${this.names.lines} SET line_no = $3 WHERE order_id = $1 AND line_no = $2`, [orderId, lineNo, newLineNo]);
    this.removeLine(orderId, state, lineNo);
    this.addLine(orderId, state, newLineNo);
    this.count('order_lines', 'update', rows, true);
  }

  private async deleteLine(): Promise<void> {
    const { model } = this;
    const { orderId, lineNo } = model.lines.get(model.lines.pick(this.random)!)!;
    const rows = await this.run(`DELETE FROM ${this.names.lines} WHERE order_id = $1 AND line_no = $2`, [orderId, lineNo]);
    this.removeLine(orderId, model.orders.get(orderId)!, lineNo);
    this.count('order_lines', 'delete', rows);
  }

  /** Undoes the model changes made since `mark` (an index into `undo`). */
  rollbackModel(mark: number): void {
    while (this.undo.length > mark) this.undo.pop()!();
  }
}

function addCounts(total: Counts, part: Counts, sign: 1 | -1 = 1): void {
  total.inserts += sign * part.inserts;
  total.updates += sign * part.updates;
  total.deletes += sign * part.deletes;
  total.keyUpdates += sign * part.keyUpdates;
  for (const [table, counts] of Object.entries(part.byTable)) {
    const into = (total.byTable[table] ??= { inserts: 0, updates: 0, deletes: 0 });
    into.inserts += sign * counts.inserts;
    into.updates += sign * counts.updates;
    into.deletes += sign * counts.deletes;
  }
}

const totalOf = (counts: Counts): number => counts.inserts + counts.updates + counts.deletes;

/**
 * Runs the workload on `client` (which must not be inside a transaction). Starts from the rows
 * the tables hold already, so runs can follow one another.
 */
export async function runShopWorkload(client: ClientBase, options: WorkloadOptions): Promise<WorkloadResult> {
  const source = options.source ?? shopTables;
  checkSource(source);
  const random = seededRandom(options.seed ?? 1);
  const rollbackRate = options.rollbackRate ?? 0.1;
  const savepointRollbackRate = options.savepointRollbackRate ?? 0.05;
  const maxStatements = Math.max(1, options.maxStatements ?? 6);
  const names = {
    customers: qualifiedName(sourceTableNamed('customers', source)),
    orders: qualifiedName(sourceTableNamed('orders', source)),
    lines: qualifiedName(sourceTableNamed('order_lines', source)),
  };
  const model = await loadModel(client, names);
  const totals = newCounts();
  const journal: WorkloadTransaction[] | undefined = options.journal ? [] : undefined;
  let committed = 0;
  let rolledBack = 0;
  let savepointsRolledBack = 0;

  for (let done = 0; done < options.transactions && !options.signal?.aborted; ) {
    const rollback = random() < rollbackRate;
    const marker = rollback ? ROLLED_BACK_MARKER : '';
    const runner = new TransactionRunner(client, random, model, names, options.primaryKeyUpdates ?? true);
    await client.query('BEGIN');
    try {
      const xid = journal ? (await client.query<{ xid: string }>('SELECT (pg_current_xact_id()::text::numeric % 4294967296)::text AS xid')).rows[0]!.xid : '';
      const statements = intBetween(random, 1, maxStatements);
      let savepointAt = !rollback && random() < savepointRollbackRate ? intBetween(random, 0, statements - 1) : -1;
      let undone = newCounts();
      for (let i = 0; i < statements; i++) {
        if (i === savepointAt) {
          savepointAt = -1;
          await client.query('SAVEPOINT workload');
          const mark = runner.undo.length;
          const before = { ...runner.counts, byTable: structuredClone(runner.counts.byTable) };
          for (let j = intBetween(random, 1, 2); j > 0; j--) await runner.statement(ROLLED_BACK_MARKER);
          await client.query('ROLLBACK TO SAVEPOINT workload');
          runner.rollbackModel(mark);
          undone = newCounts();
          addCounts(undone, runner.counts);
          addCounts(undone, before, -1);
          savepointsRolledBack++;
        }
        await runner.statement(marker);
      }
      const kept = newCounts();
      addCounts(kept, runner.counts);
      addCounts(kept, undone, -1);
      if (rollback) {
        await client.query('ROLLBACK');
        runner.rollbackModel(0);
        rolledBack++;
      } else {
        await client.query('COMMIT');
        addCounts(totals, kept);
        committed++;
      }
      journal?.push({ xid, committed: !rollback, changes: rollback ? 0 : totalOf(kept) });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      runner.rollbackModel(0);
      throw error;
    }
    done++;
    options.onTransaction?.(done);
  }

  return {
    transactions: committed + rolledBack,
    committed,
    rolledBack,
    savepointsRolledBack,
    inserts: totals.inserts,
    updates: totals.updates,
    deletes: totals.deletes,
    keyUpdates: totals.keyUpdates,
    changes: totalOf(totals),
    byTable: totals.byTable,
    journal,
  };
}

/** The keys already in the tables, so that a workload can follow an earlier one. */
async function loadModel(client: ClientBase, names: { readonly customers: string; readonly orders: string; readonly lines: string }): Promise<Model> {
  const model: Model = { nextCustomerId: FIRST_CUSTOMER_ID, customers: new KeyPool(), orders: new KeyPool(), lines: new KeyPool() };
  for (const { id } of (await client.query<{ id: string }>(`SELECT customer_id::text AS id FROM ${names.customers}`)).rows) {
    model.customers.set(id, true);
    if (BigInt(id) >= model.nextCustomerId) model.nextCustomerId = BigInt(id) + 1n;
  }
  for (const { id } of (await client.query<{ id: string }>(`SELECT order_id::text AS id FROM ${names.orders}`)).rows) {
    model.orders.set(id, { nextLine: 1, lines: new Set() });
  }
  for (const { id, line } of (await client.query<{ id: string; line: number }>(`SELECT order_id::text AS id, line_no AS line FROM ${names.lines}`)).rows) {
    let state = model.orders.get(id);
    // A line whose order is gone (the source has no foreign keys): tracked under a stand-in order state.
    if (!state) model.orders.set(id, (state = { nextLine: 1, lines: new Set() }));
    state.lines.add(line);
    state.nextLine = Math.max(state.nextLine, line + 1);
    model.lines.set(`${id}/${line}`, { orderId: id, lineNo: line });
  }
  return model;
}
