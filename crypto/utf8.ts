/** Text to and from the bytes of Temporal payloads and their metadata. */

export function utf8(value: string): Uint8Array {
  return Buffer.from(value, 'utf8');
}

export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
