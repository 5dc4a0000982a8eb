/**
 * An in-memory stand-in for the few DynamoDB requests the worker sinks make (GetItem and
 * TransactWriteItems with the condition and update expressions they use), behind
 * aws-sdk-client-mock: transactions are all-or-nothing, conditions are checked, cancellations
 * carry per-action reasons (with ALL_OLD items) as DynamoDB sends them. Faults can be injected per
 * request.
 */
import type { AttributeValue, TransactWriteItem, TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, GetItemCommand, TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { addDecimals, formatDecimal, parseDecimal } from '../../../../lib/sinks/dynamodb/decimal';
import type { TableKeyDefinition } from '../../../../lib/sinks/dynamodb/tables';

type Item = Record<string, AttributeValue>;

/** What a fault injector sees of a transaction, and may answer with an error to throw instead of running it. */
export type TransactionFault = (actions: readonly TransactWriteItem[], attempt: number) => Error | undefined;

export class FakeDynamoDb {
  readonly mock = mockClient(DynamoDBClient);
  readonly tables = new Map<string, Map<string, Item>>();
  /** Every transaction that was applied, in order. */
  readonly committed: TransactWriteItem[][] = [];
  transactionCalls = 0;
  private fault: TransactionFault | undefined;

  constructor(private readonly keys: Readonly<Record<string, TableKeyDefinition>>) {
    this.install();
  }

  /** Re-installs the behaviour (after `mock.reset()` in a `beforeEach`) and empties the tables. */
  install(): void {
    this.mock.reset();
    this.tables.clear();
    this.committed.length = 0;
    this.transactionCalls = 0;
    this.fault = undefined;
    this.mock.on(GetItemCommand).callsFake((input: { TableName: string; Key: Item }) => Promise.resolve({ Item: this.get(input.TableName, input.Key) }));
    this.mock.on(TransactWriteItemsCommand).callsFake((input: TransactWriteItemsCommandInput) => this.transact(input.TransactItems ?? []));
  }

  injectFault(fault: TransactionFault | undefined): void {
    this.fault = fault;
  }

  items(table: string): Item[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }

  get(table: string, key: Item): Item | undefined {
    return this.tables.get(table)?.get(this.keyOf(table, key));
  }

  put(table: string, item: Item): void {
    let rows = this.tables.get(table);
    if (rows === undefined) this.tables.set(table, (rows = new Map<string, Item>()));
    rows.set(this.keyOf(table, item), item);
  }

  private keyOf(table: string, item: Item): string {
    const definition = this.keys[table];
    if (definition === undefined) throw new Error(`fake DynamoDB: no table ${table}`);
    return definition.KeySchema.map((k) => JSON.stringify(item[k.AttributeName!])).join('|');
  }

  private transact(actions: readonly TransactWriteItem[]): Promise<object> {
    this.transactionCalls++;
    const injected = this.fault?.(actions, this.transactionCalls);
    if (injected !== undefined) return Promise.reject(injected);
    const keys = actions.map((a) => {
      const table = (a.Put?.TableName ?? a.Update?.TableName)!;
      return `${table}#${this.keyOf(table, (a.Put?.Item ?? a.Update?.Key)!)}`;
    });
    if (new Set(keys).size !== keys.length) {
      return Promise.reject(Object.assign(new Error('Transaction request cannot include multiple operations on one item'), { name: 'ValidationException' }));
    }
    const reasons = actions.map((action) => this.check(action));
    if (reasons.some((r) => r.Code !== 'None')) {
      const codes = reasons.map((r) => r.Code).join(', ');
      return Promise.reject(new TransactionCanceledException({ message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`, $metadata: {}, CancellationReasons: reasons }));
    }
    for (const action of actions) this.apply(action);
    this.committed.push([...actions]);
    return Promise.resolve({});
  }

  private check(action: TransactWriteItem): { Code: string; Item?: Item } {
    const spec = action.Put ?? action.Update!;
    const table = spec.TableName!;
    const existing = this.get(table, (action.Put?.Item ?? action.Update?.Key)!);
    const condition = spec.ConditionExpression;
    if (condition === undefined) return { Code: 'None' };
    const notExists = /^attribute_not_exists\(([^)]+)\)$/.exec(condition);
    let holds: boolean;
    if (notExists) {
      holds = existing === undefined;
    } else {
      const equals = /^(#\w+) = (:\w+)$/.exec(condition);
      if (!equals) throw new Error(`fake DynamoDB: condition not understood: ${condition}`);
      const name = spec.ExpressionAttributeNames![equals[1]!]!;
      const value = spec.ExpressionAttributeValues![equals[2]!]!;
      holds = existing !== undefined && JSON.stringify(existing[name]) === JSON.stringify(value);
    }
    if (holds) return { Code: 'None' };
    return { Code: 'ConditionalCheckFailed', ...(spec.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && existing ? { Item: existing } : {}) };
  }

  private apply(action: TransactWriteItem): void {
    if (action.Put) {
      this.put(action.Put.TableName!, { ...action.Put.Item });
      return;
    }
    const update = action.Update!;
    const item: Item = { ...(this.get(update.TableName!, update.Key!) ?? update.Key!) };
    const names = update.ExpressionAttributeNames ?? {};
    const values = update.ExpressionAttributeValues ?? {};
    const name = (token: string): string => names[token] ?? token;
    // "ADD #a :x SET #b = :y, #c = :z" or "SET …"
    for (const [, keyword, clause] of update.UpdateExpression!.matchAll(/(ADD|SET)\s+(.*?)(?=\s+(?:ADD|SET)\s|$)/g)) {
      for (const part of clause!.split(',').map((p) => p.trim())) {
        if (keyword === 'SET') {
          const [target, value] = part.split('=').map((s) => s.trim());
          item[name(target!)] = values[value!]!;
        } else {
          const [target, value] = part.split(/\s+/);
          const current = item[name(target!)]?.N ?? '0';
          item[name(target!)] = { N: formatDecimal(addDecimals(parseDecimal(current), parseDecimal(values[value!]!.N!)), Infinity) };
        }
      }
    }
    this.put(update.TableName!, item);
  }
}

/** An error shaped as the SDK raises DynamoDB's (name, server fault for 5xx). */
export function dynamoDbError(name: string, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(`${name} (injected)`), { name, $fault: fault, $metadata: {} });
}

/** A cancellation as DynamoDB sends one: per action, in request order. */
export function cancelled(codes: readonly string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`, $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
}

/** The names of the tables used with the fake in the tests. */
export const VOTE_TABLES = { votes: 'votes', tallies: 'tallies' } as const;
export const LEDGER_TABLES = { entries: 'ledger', accounts: 'accounts' } as const;
