/**
 * A deterministic history of the `shop` source (schemas/cdc/shop.json) as change events, and the
 * rows it leaves: for the replay's demo (`npm run cdc:replay-s3 -- --local`) and its tests. It has
 * what makes replay hard: a full load, then transactions of several changes that insert, update
 * and delete customers, orders and order lines, delete a key and insert it again, and move
 * customers to a new primary key. Values are canonical (lib/cdc/source-tables), positions are
 * commit times (one microsecond-distinct time per transaction), as DMS's S3 files give them.
 */
import type { RowChange, RowImage } from '../change-event';
import { SNAPSHOT_POSITION } from '../formats/positions';
import { sourceTable } from '../source-tables';
import type { Random } from '../../datasets/random';
import { pick, seededRandom } from '../../datasets/random';

export interface ShopHistoryOptions {
  readonly seed?: number;
  /** Customers and orders of the full load. Default 20 and 10. */
  readonly initialCustomers?: number;
  readonly initialOrders?: number;
  /** CDC transactions after the load. Default 200. */
  readonly transactions?: number;
  /** Primary-key updates (a customer moved to a new id). Default true; DMS CSV needs before-image key columns for them. */
  readonly keyUpdates?: boolean;
  /** Commit time of the first transaction, ms since the epoch. Default 2026-11-25T22:00:00Z. */
  readonly startMs?: number;
}

export interface ShopHistory {
  /** Load rows first, then every transaction's changes in commit order. */
  readonly changes: readonly RowChange[];
  /** The rows the source holds at the end, per table, by `keyText`. */
  readonly rows: ReadonlyMap<string, ReadonlyMap<string, RowImage>>;
  readonly transactions: number;
}

/** A row's key as text (`42`, `8f14…/3`), for the maps of {@link ShopHistory.rows}. */
export function keyText(table: string, image: RowImage): string {
  const spec = sourceTable('shop', table);
  if (!spec) throw new RangeError(`shop.${table} is not a source table`);
  return spec.keyColumns.map((column) => String(image[column])).join('/');
}

const hex = (random: Random, digits: number): string => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
const uuid = (random: Random): string => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${pick(random, ['8', '9', 'a', 'b'])}${hex(random, 3)}-${hex(random, 12)}`;
const decimal = (random: Random, whole: number, scale: number): string => `${Math.floor(random() * 10 ** whole)}.${String(Math.floor(random() * 10 ** scale)).padStart(scale, '0')}`;
const micros = (ms: number, extra: number): string => `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1000 + extra).padStart(6, '0')}Z`;

export function shopHistory(options: ShopHistoryOptions = {}): ShopHistory {
  const random = seededRandom(options.seed ?? 1);
  const startMs = options.startMs ?? Date.UTC(2026, 10, 25, 22);
  const rows = new Map<string, Map<string, RowImage>>([['customers', new Map()], ['orders', new Map()], ['order_lines', new Map()]]);
  const changes: RowChange[] = [];
  let nextCustomer = 1000;
  const deletedCustomers: string[] = [];

  const customer = (id: string, signedUp: string): RowImage => ({
    customer_id: id,
    email: `c${id}@example.com`,
    full_name: pick(random, ['Ada Lovelace', 'Grace Hopper', 'Émilie du Châtelet', 'Alan Turing', 'Katherine Johnson']),
    country: random() < 0.15 ? null : pick(random, ['FR', 'DE', 'JP', 'BR']),
    balance: decimal(random, 12, 2),
    vip: random() < 0.3,
    signed_up_at: signedUp,
    notes: random() < 0.6 ? null : pick(random, ['likes "quotes", commas', 'multi\nline', 'ü€😀']),
  });
  const order = (id: string, customerId: string, placed: string): RowImage => ({
    order_id: id, customer_id: customerId, status: pick(random, ['pending', 'paid', 'shipped']), total: random() < 0.1 ? null : decimal(random, 6, 2), placed_at: placed, shipped_at: null,
  });
  const line = (orderId: string, lineNo: number): RowImage => ({
    order_id: orderId, line_no: lineNo, sku: `SKU-${hex(random, 6).toUpperCase()}`, quantity: 1 + Math.floor(random() * 9), unit_price: decimal(random, 4, 4), note: random() < 0.8 ? null : 'gift, wrapped',
  });
  const live = (table: string): RowImage[] => [...rows.get(table)!.values()];
  const set = (table: string, image: RowImage): void => void rows.get(table)!.set(keyText(table, image), image);
  const drop = (table: string, image: RowImage): void => void rows.get(table)!.delete(keyText(table, image));
  const keyOnly = (table: string, image: RowImage): RowImage => Object.fromEntries(sourceTable('shop', table)!.keyColumns.map((c) => [c, image[c]!]));

  // The full load.
  const loaded = micros(startMs - 86_400_000, 0);
  const base = { kind: 'row' as const, schema: 'shop', keyColumns: undefined, transactionId: undefined, commitTimestamp: undefined };
  for (let i = 0; i < (options.initialCustomers ?? 20); i++) {
    const image = customer(String(nextCustomer++), loaded);
    set('customers', image);
    changes.push({ ...base, table: 'customers', operation: 'load', after: image, before: undefined, position: SNAPSHOT_POSITION });
  }
  for (let i = 0; i < (options.initialOrders ?? 10); i++) {
    const image = order(uuid(random), pick(random, live('customers')).customer_id as string, loaded);
    set('orders', image);
    changes.push({ ...base, table: 'orders', operation: 'load', after: image, before: undefined, position: SNAPSHOT_POSITION });
    for (let n = 1; n <= 1 + Math.floor(random() * 3); n++) {
      const lineImage = line(image.order_id as string, n);
      set('order_lines', lineImage);
      changes.push({ ...base, table: 'order_lines', operation: 'load', after: lineImage, before: undefined, position: SNAPSHOT_POSITION });
    }
  }

  const transactions = options.transactions ?? 200;
  for (let t = 0; t < transactions; t++) {
    const commit = micros(startMs + t * 250, t % 1000);
    const tx = { kind: 'row' as const, schema: 'shop', keyColumns: undefined, transactionId: String(5000 + t), commitTimestamp: commit };
    let sequence = 0;
    const push = (change: Omit<RowChange, 'kind' | 'schema' | 'keyColumns' | 'transactionId' | 'commitTimestamp' | 'position'>): void => {
      changes.push({ ...tx, ...change, position: { commit, sequence: sequence++ } });
    };
    for (let c = 0, size = 1 + Math.floor(random() * 4); c < size; c++) {
      const roll = random();
      const customers = live('customers');
      if (roll < 0.25 || customers.length < 3) {
        // A new customer, or one deleted earlier coming back under its old id.
        const id = deletedCustomers.length > 0 && random() < 0.3 ? deletedCustomers.splice(Math.floor(random() * deletedCustomers.length), 1)[0]! : String(nextCustomer++);
        const image = customer(id, commit);
        set('customers', image);
        push({ table: 'customers', operation: 'insert', after: image, before: undefined });
      } else if (roll < 0.5) {
        const before = pick(random, customers);
        const after = { ...customer(before.customer_id as string, before.signed_up_at as string) };
        set('customers', after);
        push({ table: 'customers', operation: 'update', after, before: keyOnly('customers', before) });
      } else if (roll < 0.58) {
        const before = pick(random, customers);
        if (live('orders').some((o) => o.customer_id === before.customer_id)) continue;
        drop('customers', before);
        deletedCustomers.push(before.customer_id as string);
        push({ table: 'customers', operation: 'delete', after: undefined, before: keyOnly('customers', before) });
      } else if (roll < 0.63 && options.keyUpdates !== false) {
        const before = pick(random, customers);
        if (live('orders').some((o) => o.customer_id === before.customer_id)) continue;
        const after = { ...before, customer_id: String(nextCustomer++) };
        drop('customers', before);
        deletedCustomers.push(before.customer_id as string);
        set('customers', after);
        push({ table: 'customers', operation: 'update', after, before: keyOnly('customers', before) });
      } else if (roll < 0.75) {
        const image = order(uuid(random), pick(random, customers).customer_id as string, commit);
        set('orders', image);
        push({ table: 'orders', operation: 'insert', after: image, before: undefined });
      } else if (roll < 0.85 && live('orders').length > 0) {
        const before = pick(random, live('orders'));
        const after = { ...before, status: pick(random, ['paid', 'shipped', 'delivered']), shipped_at: random() < 0.5 ? commit : before.shipped_at ?? null };
        set('orders', after);
        push({ table: 'orders', operation: 'update', after, before: keyOnly('orders', before) });
      } else if (live('orders').length > 0) {
        const orderId = pick(random, live('orders')).order_id as string;
        const lineNo = 1 + Math.floor(random() * 5);
        const existing = rows.get('order_lines')!.get(`${orderId}/${lineNo}`);
        if (existing && random() < 0.4) {
          drop('order_lines', existing);
          push({ table: 'order_lines', operation: 'delete', after: undefined, before: keyOnly('order_lines', existing) });
        } else {
          const image = line(orderId, lineNo);
          set('order_lines', image);
          push(existing
            ? { table: 'order_lines', operation: 'update', after: image, before: keyOnly('order_lines', existing) }
            : { table: 'order_lines', operation: 'insert', after: image, before: undefined });
        }
      }
    }
  }
  return { changes, rows, transactions };
}
