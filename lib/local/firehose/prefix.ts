/**
 * Firehose's S3 prefix expressions: `!{timestamp:<Java DateTimeFormatter pattern>}`,
 * `!{firehose:error-output-type}`, `!{firehose:random-string}` and
 * `!{partitionKeyFromLambda:<key>}`, and the object name suffix
 * `<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><extension>`.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html
 * @see https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html
 */
import { randomUUID } from 'node:crypto';

export class PrefixEvaluationError extends Error {
  override readonly name = 'PrefixEvaluationError';
}

export interface PrefixContext {
  /** Approximate arrival time of the oldest record in the object (ms since the epoch, UTC). */
  readonly arrivalMs: number;
  readonly errorOutputType?: string;
  readonly partitionKeys?: Readonly<Record<string, string>>;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The subset of Java's DateTimeFormatter that prefixes use: y, M, d, H, m, s, S and 'quoted' text. */
export function formatJavaDateTime(pattern: string, date: Date): string {
  let out = '';
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === -1) throw new PrefixEvaluationError(`unterminated quote in timestamp pattern "${pattern}"`);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    let run = 1;
    while (pattern[i + run] === c) run++;
    i += run;
    switch (c) {
      case 'y': case 'Y': case 'u': out += run === 2 ? pad(date.getUTCFullYear() % 100, 2) : pad(date.getUTCFullYear(), run); break;
      case 'M': out += pad(date.getUTCMonth() + 1, run); break;
      case 'd': out += pad(date.getUTCDate(), run); break;
      case 'H': out += pad(date.getUTCHours(), run); break;
      case 'm': out += pad(date.getUTCMinutes(), run); break;
      case 's': out += pad(date.getUTCSeconds(), run); break;
      case 'S': out += pad(date.getUTCMilliseconds(), 3).slice(0, run).padEnd(run, '0'); break;
      default:
        if (/[A-Za-z]/.test(c)) throw new PrefixEvaluationError(`unsupported timestamp pattern letter "${c}" in "${pattern}"`);
        out += c.repeat(run);
    }
  }
  return out;
}

const EXPRESSION = /!\{([A-Za-z]+):([^}]*)\}/g;

/** Evaluates a custom prefix; throws {@link PrefixEvaluationError} for what Firehose would reject. */
export function evaluatePrefix(template: string, context: PrefixContext): string {
  const date = new Date(context.arrivalMs);
  return template.replace(EXPRESSION, (_expression, namespace: string, value: string) => {
    switch (namespace) {
      case 'timestamp':
        return formatJavaDateTime(value, date);
      case 'firehose':
        if (value === 'error-output-type') {
          if (!context.errorOutputType) throw new PrefixEvaluationError('!{firehose:error-output-type} is only allowed in the error output prefix');
          return context.errorOutputType;
        }
        if (value === 'random-string') return randomUUID().replace(/-/g, '').slice(0, 11);
        throw new PrefixEvaluationError(`unknown firehose namespace value "${value}"`);
      case 'partitionKeyFromLambda': {
        const key = context.partitionKeys?.[value];
        if (key === undefined) throw new PrefixEvaluationError(`record has no partition key "${value}"`);
        return key;
      }
      default:
        throw new PrefixEvaluationError(`unsupported prefix namespace "${namespace}"`);
    }
  });
}

/** `YYYY/MM/dd/HH/`: Firehose's prefix when none is configured. */
export const DEFAULT_PREFIX = '!{timestamp:yyyy/MM/dd/HH}/';

/** The object name after the prefix: `<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><extension>`. */
export function objectSuffix(streamName: string, version: number, writtenMs: number, extension: string): string {
  return `${streamName}-${version}-${formatJavaDateTime('yyyy-MM-dd-HH-mm-ss', new Date(writtenMs))}-${randomUUID()}${extension}`;
}
