/**
 * Exact decimal sums for the per-minute aggregates. Binary floating point makes a sum depend on
 * the order of its terms (0.1 + 0.2 + 0.3 ≠ 0.3 + 0.2 + 0.1), and readings of one minute arrive in
 * any order, split across batches and shards: a float sum would differ in its last digits between
 * a run and its replay. DynamoDB numbers are decimals of up to 38 significant digits, so the sink
 * adds the readings' decimal texts exactly (BigInt coefficients) and the stored sum is the same
 * whatever the order.
 */

/** `coefficient × 10^exponent`. */
export interface Decimal {
  readonly coefficient: bigint;
  readonly exponent: number;
}

/** DynamoDB keeps at most 38 significant digits. */
export const DYNAMODB_NUMBER_DIGITS = 38;

export const DECIMAL_ZERO: Decimal = { coefficient: 0n, exponent: 0 };

/** A text that is not a decimal number. */
export class DecimalFormatError extends Error {
  override readonly name = 'DecimalFormatError';
  constructor(readonly text: string) {
    super(`not a decimal number: ${JSON.stringify(text)}`);
  }
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses `-12.5`, `0.0000001`, `1.5E+3` (DynamoDB's and JavaScript's number texts). */
export function parseDecimal(text: string): Decimal {
  const match = DECIMAL.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole.length + fraction.length === 0) throw new DecimalFormatError(text);
  const magnitude = BigInt(whole + fraction);
  return { coefficient: match[1] === '-' ? -magnitude : magnitude, exponent: Number(match[4] ?? 0) - fraction.length };
}

/** The exact value of a finite JavaScript number, as its shortest round-trip text says it. */
export const decimalOfNumber = (value: number): Decimal => parseDecimal(String(value));

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  if (a.exponent === b.exponent) return { coefficient: a.coefficient + b.coefficient, exponent: a.exponent };
  const [low, high] = a.exponent < b.exponent ? [a, b] : [b, a];
  return { coefficient: low.coefficient + high.coefficient * 10n ** BigInt(high.exponent - low.exponent), exponent: low.exponent };
}

/**
 * Plain decimal text (no exponent), rounded half-even to `maxDigits` significant digits — which
 * only happens for sums of values far apart in magnitude (say 1e-30 and 100), never for sensor
 * readings of a few decimals.
 */
export function formatDecimal(value: Decimal, maxDigits = DYNAMODB_NUMBER_DIGITS): string {
  let { coefficient, exponent } = value;
  if (coefficient === 0n) return '0';
  const negative = coefficient < 0n;
  if (negative) coefficient = -coefficient;
  while (coefficient % 10n === 0n) {
    coefficient /= 10n;
    exponent++;
  }
  let digits = coefficient.toString();
  if (digits.length > maxDigits) {
    const drop = digits.length - maxDigits;
    const scale = 10n ** BigInt(drop);
    let kept = coefficient / scale;
    const rest = coefficient % scale;
    const half = scale / 2n;
    if (rest > half || (rest === half && kept % 2n === 1n)) kept++;
    exponent += drop;
    return formatDecimal({ coefficient: negative ? -kept : kept, exponent }, maxDigits);
  }
  if (exponent >= 0) digits += '0'.repeat(exponent);
  else if (-exponent >= digits.length) digits = `0.${'0'.repeat(-exponent - digits.length)}${digits}`;
  else digits = `${digits.slice(0, digits.length + exponent)}.${digits.slice(digits.length + exponent)}`;
  return negative ? `-${digits}` : digits;
}

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Texts of at most this many digits convert to an integer coefficient exactly by `Math.round(value × 10^decimals)` (the error stays well under ½). */
const FAST_DIGITS = 14;

/**
 * A running exact sum. Sensor values have a few decimals, so the sum is kept as a safe integer
 * number of 10^-scale units — exact, and several times faster than BigInt — and moves to a
 * BigInt coefficient only if it would leave the safe-integer range.
 */
export class ExactSum {
  private small = 0;
  private big: bigint | undefined;
  /** The value is `coefficient × 10^-scale`. */
  private scale = 0;

  constructor(start?: Decimal) {
    if (start === undefined) return;
    const coefficient = Number(start.coefficient);
    if (start.exponent <= 0 && Number.isSafeInteger(coefficient)) {
      this.small = coefficient;
      this.scale = -start.exponent;
    } else {
      this.add(start);
    }
  }

  /** Adds a finite number, read as its shortest round-trip text (`text`, when the caller has it). */
  addNumber(value: number, text: string = String(value)): void {
    const dot = text.indexOf('.');
    const decimals = dot < 0 ? 0 : text.length - dot - 1;
    const digits = text.length - (dot < 0 ? 0 : 1) - (text.charCodeAt(0) === 45 ? 1 : 0);
    // Past 10^22 a power of ten is undefined here: the products are NaN, and the BigInt path takes over.
    if (this.big === undefined && digits <= FAST_DIGITS && text.indexOf('e') < 0) {
      const target = Math.max(decimals, this.scale);
      const current = this.small * POW10[target - this.scale]!;
      const added = Math.round(value * POW10[decimals]!) * POW10[target - decimals]!;
      const sum = current + added;
      if (Number.isSafeInteger(current) && Number.isSafeInteger(added) && Number.isSafeInteger(sum)) {
        this.small = sum;
        this.scale = target;
        return;
      }
    }
    this.add(parseDecimal(text));
  }

  add(value: Decimal): void {
    const total = addDecimals(this.value(), value);
    this.big = total.coefficient;
    this.scale = -total.exponent;
  }

  value(): Decimal {
    return { coefficient: this.big ?? BigInt(this.small), exponent: -this.scale };
  }
}
