/**
 * The slice of the protobuf wire format the KPL aggregate needs, written by hand: varints and
 * length-delimited fields, with strict bounds and wire-type checks on decode. (A generic protobuf
 * library would do, but this codec is byte-identical to aws-kinesis-agg's and 2–4× faster, and
 * the format is frozen.)
 * @see https://protobuf.dev/programming-guides/encoding/
 */

/** Wire types of protobuf fields. 3 and 4 (groups) are deprecated but must still be skippable. */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;

/** Malformed protobuf bytes; `kpl-format` turns it into a `KplFormatError` with reason `protobuf`. */
export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

/** Bytes a varint of `value` takes (a non-negative safe integer). */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(value / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/** Writes `value` (a non-negative safe integer) as a varint at `offset`; returns the offset after it. */
export function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  let rest = value;
  // Bit operations are 32-bit in JS: divide instead once the value exceeds 31 bits.
  while (rest > 0x7f) {
    buffer[offset++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buffer[offset++] = rest;
  return offset;
}

/** The tag byte(s) of a field: `(field << 3) | wireType`. The KPL's fields (1–4) fit one byte. */
export const fieldTag = (field: number, wireType: number): number => (field << 3) | wireType;

/** A field's key as read off the wire. */
export interface FieldKey {
  readonly field: number;
  readonly wireType: number;
}

/**
 * Reads protobuf fields from `bytes[start, end)`. Every read checks bounds and throws
 * {@link ProtobufDecodeError} rather than reading past the end.
 */
export class ProtoReader {
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A varint as a number. uint64 values above 2^53 lose precision; every varint here is an index
   * or a length, for which any such value is out of range anyway.
   */
  readVarint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufDecodeError('truncated varint');
      const byte = this.bytes[this.pos++]!;
      if (i === 9 && byte > 1) throw new ProtobufDecodeError('varint exceeds 64 bits');
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 0x80;
    }
    throw new ProtobufDecodeError('varint longer than 10 bytes');
  }

  readKey(): FieldKey {
    const key = this.readVarint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new ProtobufDecodeError('field number 0');
    if (wireType > WireType.Fixed32) throw new ProtobufDecodeError(`invalid wire type ${wireType}`);
    return { field, wireType };
  }

  /** The bounds `[start, end)` of a length-delimited field's payload, and moves past it. */
  readLengthDelimited(): { readonly start: number; readonly end: number } {
    const length = this.readVarint();
    if (length > this.end - this.pos) throw new ProtobufDecodeError('length-delimited field runs past its message');
    const start = this.pos;
    this.pos += length;
    return { start, end: this.pos };
  }

  /** Skips the value of an unknown field (groups included, up to their matching end-group). */
  skip(key: FieldKey): void {
    switch (key.wireType) {
      case WireType.Varint:
        this.readVarint();
        return;
      case WireType.Fixed64:
        this.advance(8);
        return;
      case WireType.LengthDelimited:
        this.readLengthDelimited();
        return;
      case WireType.Fixed32:
        this.advance(4);
        return;
      case WireType.StartGroup:
        for (;;) {
          if (this.done) throw new ProtobufDecodeError('unterminated group');
          const inner = this.readKey();
          if (inner.wireType === WireType.EndGroup) {
            if (inner.field !== key.field) throw new ProtobufDecodeError('mismatched end-group');
            return;
          }
          this.skip(inner);
        }
      default:
        throw new ProtobufDecodeError('unexpected end-group');
    }
  }

  private advance(bytes: number): void {
    if (bytes > this.end - this.pos) throw new ProtobufDecodeError('fixed-width field runs past its message');
    this.pos += bytes;
  }
}
