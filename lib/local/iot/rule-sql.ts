/**
 * A topic rule's SQL statement, `SELECT <items> FROM '<topic filter>'`, parsed and evaluated
 * for the local rules engine. `WHERE` clauses are refused (none is declared; evaluating one
 * wrongly would route messages AWS would not).
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html
 */
import type { MessageContext, RuleExpression } from './rule-expressions';
import { compileExpression, UnsupportedRuleExpressionError } from './rule-expressions';

export interface RuleStatement {
  readonly topicFilter: string;
  /** The message the actions get: JSON text, or the raw payload for `SELECT *` on a non-JSON payload. */
  evaluate(payload: Buffer, context: Omit<MessageContext, 'json'>): Buffer;
}

/** The payload is not JSON but the statement needs its fields. */
export class RuleSqlEvaluationError extends Error {
  override readonly name = 'RuleSqlEvaluationError';
}

const STATEMENT = /^\s*SELECT\s+(.+?)\s+FROM\s+'([^']+)'\s*(WHERE\s+.+)?$/is;

/** Splits on top-level commas (not inside quotes or parentheses). */
function splitItems(list: string): string[] {
  const items: string[] = [];
  let depth = 0, quoted = false, start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      items.push(list.slice(start, i));
      start = i + 1;
    }
  }
  items.push(list.slice(start));
  return items.map((item) => item.trim());
}

export function parseRuleSql(sql: string): RuleStatement {
  const match = STATEMENT.exec(sql);
  if (!match) throw new UnsupportedRuleExpressionError(sql, "expected SELECT <items> FROM '<topic filter>'");
  if (match[3]) throw new UnsupportedRuleExpressionError(match[3], 'WHERE clauses are not evaluated locally');
  let star = false;
  const named: { name: string; value: RuleExpression }[] = [];
  for (const item of splitItems(match[1]!)) {
    if (item === '*') {
      star = true;
      continue;
    }
    const alias = /^(.+?)\s+AS\s+([A-Za-z_]\w*)$/i.exec(item);
    const expression = alias ? alias[1]! : item;
    const name = alias ? alias[2]! : expression.split('.').pop()!.replace(/\(.*\)$/, '');
    named.push({ name, value: compileExpression(expression) });
  }
  return {
    topicFilter: match[2]!,
    evaluate(payload, context) {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        if (star && named.length === 0) return payload;
        throw new RuleSqlEvaluationError(`the payload on ${context.topic} is not JSON, and the statement selects fields of it`);
      }
      const full = { ...context, json };
      const out: Record<string, unknown> = star && json !== null && typeof json === 'object' && !Array.isArray(json) ? { ...(json as Record<string, unknown>) } : {};
      for (const { name, value } of named) {
        const result = value(full);
        if (result !== undefined) out[name] = result;
      }
      return Buffer.from(JSON.stringify(star && named.length === 0 ? json : out));
    },
  };
}
