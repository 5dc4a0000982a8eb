/** Change events for the applier's tests, in the shape the parsers produce. */
import type { ChangeEvent, ControlChange, RowChange, RowImage, RowOperation } from '../../../../lib/cdc/change-event';

/** A PostgreSQL commit position (16 hex digits) for a small number. */
export const commit = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');

export interface ChangeInput {
  readonly table?: string;
  readonly operation: RowOperation;
  readonly after?: RowImage;
  readonly before?: RowImage;
  /** Commit number (→ {@link commit}) and sequence in the transaction. */
  readonly at: number;
  readonly sequence?: number;
  readonly commitTimestamp?: string;
}

export function rowChange(input: ChangeInput): RowChange {
  return {
    kind: 'row',
    operation: input.operation,
    schema: 'shop',
    table: input.table ?? 'customers',
    after: input.after,
    before: input.before,
    keyColumns: undefined,
    position: { commit: commit(input.at), sequence: input.sequence ?? 0 },
    transactionId: String(input.at),
    commitTimestamp: input.commitTimestamp ?? new Date(Date.UTC(2026, 10, 25, 22, 0, input.at)).toISOString(),
  };
}

export function controlChange(operation: ControlChange['operation'], at: number, table = 'customers'): ControlChange {
  return { kind: 'control', operation, schema: 'shop', table, position: { commit: commit(at), sequence: 0 }, transactionId: String(at), commitTimestamp: undefined };
}

/** A full `shop.customers` row; fields overridden as given. */
export function customer(id: number | string, overrides: Partial<Record<string, string | number | boolean | null>> = {}): RowImage {
  return {
    customer_id: String(id),
    email: `c${id}@example.com`,
    full_name: `Customer ${id}`,
    country: 'FR',
    balance: '12.50',
    vip: false,
    signed_up_at: '2026-11-25T22:00:00.123456Z',
    notes: null,
    ...overrides,
  };
}

export const insert = (id: number | string, at: number, overrides: Partial<Record<string, string | number | boolean | null>> = {}): RowChange =>
  rowChange({ operation: 'insert', after: customer(id, overrides), at });
export const update = (id: number | string, at: number, overrides: Partial<Record<string, string | number | boolean | null>> = {}): RowChange =>
  rowChange({ operation: 'update', after: customer(id, overrides), before: { customer_id: String(id) }, at });
export const remove = (id: number | string, at: number): RowChange => rowChange({ operation: 'delete', before: { customer_id: String(id) }, at });

export const asItems = (changes: readonly ChangeEvent[]): { ref: number; value: ChangeEvent }[] => changes.map((value, ref) => ({ ref, value }));

export function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {} }, extra);
}
