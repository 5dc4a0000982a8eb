/**
 * PostgreSQL log sequence numbers (LSNs): 64-bit WAL positions, written `X/Y` (two hex halves).
 * Kept as `bigint` for arithmetic, since the halves overflow a JS number's exact range together.
 */
import { lsnToCommitPosition } from '../change-event';

/** An LSN text that is not `X/Y` with 1–8 hex digits on each side. */
export class InvalidLsnError extends RangeError {
  override readonly name = 'InvalidLsnError';
  constructor(readonly text: string) {
    super(`not a PostgreSQL LSN: ${JSON.stringify(text)}`);
  }
}

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const MAX_LSN = (1n << 64n) - 1n;

/** `16/B374D848` → 0x16B374D848n. */
export function parseLsn(text: string): bigint {
  const match = LSN_TEXT.exec(text);
  if (!match) throw new InvalidLsnError(text);
  return (BigInt(`0x${match[1]!}`) << 32n) | BigInt(`0x${match[2]!}`);
}

/** 0x16B374D848n → `16/B374D848` (PostgreSQL's own spelling: upper-case, no leading zeros per half). */
export function formatLsn(lsn: bigint): string {
  if (lsn < 0n || lsn > MAX_LSN) throw new RangeError(`LSN out of range: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

/** `a − b` of two LSN texts, in bytes (e.g. how far a consumer is behind). */
export function lsnDistance(a: string, b: string): bigint {
  return parseLsn(a) - parseLsn(b);
}

/** Compares two LSN texts numerically: negative when `a` is earlier. */
export function compareLsn(a: string, b: string): number {
  const x = parseLsn(a);
  const y = parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The LSN text `delta` bytes after (or, negative, before) `lsn`, borrowing across the halves. */
export function addToLsn(lsn: string, delta: bigint | number): string {
  const moved = parseLsn(lsn) + BigInt(delta);
  if (moved < 0n) throw new RangeError(`${lsn} ${delta < 0 ? '−' : '+'} ${Math.abs(Number(delta))} is below 0/0`);
  return formatLsn(moved);
}

/** The later of two LSN texts. */
export const maxLsn = (a: string, b: string): string => (compareLsn(a, b) >= 0 ? a : b);

/** The commit position of {@link ChangePosition} for an LSN text (16 upper-case hex digits). */
export const commitPositionOf = (lsn: string): string => lsnToCommitPosition(lsn);

/** `00000000016B3748` → `0/16B3748`: a commit position back to an LSN text. */
export function lsnOfCommitPosition(position: string): string {
  if (!/^[0-9A-F]{16}$/.test(position)) throw new InvalidLsnError(position);
  return formatLsn(BigInt(`0x${position}`));
}

/** A 64-bit LSN as read from the wire (two big-endian 32-bit halves) → its text. */
export function lsnFromBuffer(buffer: Buffer, offset: number): string {
  return formatLsn(buffer.readBigUInt64BE(offset));
}
