/**
 * The part of the AWS IoT SQL expression language the local rules engine evaluates, in SELECT
 * items and in `${…}` substitution templates: field paths (`a.b.c`), string and number literals,
 * and the functions `topic()`, `topic(n)`, `clientid()`, `timestamp()`, `newuuid()`. Anything
 * else is refused with an error naming it, rather than evaluated wrongly.
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html
 */
import { randomUUID } from 'node:crypto';

/** What an expression can see: the message and where it came from. */
export interface MessageContext {
  readonly topic: string;
  readonly clientId: string;
  /** The message as JSON, or undefined when the payload is not JSON. */
  readonly json: unknown;
  /** When the rules engine received the message (ms since the epoch). */
  readonly receivedMs: number;
}

export class UnsupportedRuleExpressionError extends Error {
  override readonly name = 'UnsupportedRuleExpressionError';

  constructor(readonly expression: string, detail: string) {
    super(`the local IoT rules engine cannot evaluate ${JSON.stringify(expression)}: ${detail}`);
  }
}

export type RuleExpression = (context: MessageContext) => unknown;

const FIELD_PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;
const FUNCTION_CALL = /^([a-z_]\w*)\(\s*(.*?)\s*\)$/i;

/** Compiles one expression, e.g. `topic(2)`, `'literal'`, `reading.temperature_c`. */
export function compileExpression(text: string): RuleExpression {
  const expression = text.trim();
  if (/^'[^']*'$/.test(expression)) {
    const literal = expression.slice(1, -1);
    return () => literal;
  }
  if (/^-?\d+(\.\d+)?$/.test(expression)) {
    const number = Number(expression);
    return () => number;
  }
  const call = FUNCTION_CALL.exec(expression);
  if (call) {
    const [, name, argument] = call;
    switch (name!.toLowerCase()) {
      case 'topic': {
        if (!argument) return (c) => c.topic;
        if (!/^\d+$/.test(argument)) throw new UnsupportedRuleExpressionError(expression, 'topic() takes a level number');
        const level = Number(argument);
        // topic(n) is 1-based; a level the topic does not have is Undefined.
        return (c) => c.topic.split('/')[level - 1];
      }
      case 'clientid':
        return (c) => c.clientId;
      case 'timestamp':
        return (c) => c.receivedMs;
      case 'newuuid':
        return () => randomUUID();
      default:
        throw new UnsupportedRuleExpressionError(expression, `function ${name}() is not implemented locally`);
    }
  }
  if (FIELD_PATH.test(expression)) {
    const path = expression.split('.');
    return (c) => path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined), c.json);
  }
  throw new UnsupportedRuleExpressionError(expression, 'only field paths, literals and topic()/clientid()/timestamp()/newuuid() are supported');
}

/**
 * A substitution template (`devices/${topic(2)}/${newuuid()}`) as a function of the message.
 * An expression that is Undefined becomes the empty string, as in AWS IoT.
 */
export function compileTemplate(template: string): (context: MessageContext) => string {
  const parts: (string | RuleExpression)[] = [];
  let last = 0;
  for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
    parts.push(template.slice(last, match.index), compileExpression(match[1]!));
    last = match.index + match[0].length;
  }
  parts.push(template.slice(last));
  return (context) => parts.map((part) => {
    if (typeof part === 'string') return part;
    const value = part(context);
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  }).join('');
}
