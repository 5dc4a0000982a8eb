/** What every command shares: option parsers and the error for bad usage (exit code 2, no stack trace). */
import { InvalidArgumentError } from 'commander';

/** Bad usage: reported without a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
};
