/** Hand-built protobuf bytes for the KPL decoder tests: each helper returns one encoded field. */
export function varint(value: number | bigint): number[] {
  let rest = BigInt(value);
  const out: number[] = [];
  while (rest > 0x7fn) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
}

export const key = (field: number, wireType: number): number[] => varint((field << 3) | wireType);
export const varintField = (field: number, value: number | bigint): number[] => [...key(field, 0), ...varint(value)];
export const bytesField = (field: number, payload: readonly number[] | string): number[] => {
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload, 'utf8')] : [...payload];
  return [...key(field, 2), ...varint(bytes.length), ...bytes];
};
export const fixed32Field = (field: number): number[] => [...key(field, 5), 1, 2, 3, 4];
export const fixed64Field = (field: number): number[] => [...key(field, 1), 1, 2, 3, 4, 5, 6, 7, 8];
export const groupField = (field: number, inner: readonly number[]): number[] => [...key(field, 3), ...inner, ...key(field, 4)];
