// Byte comparison shared by the replica and the backends.

/** True when `a` and `b` hold the same bytes (views of any offset and length). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
