// Hand-derived wire vectors are written as fields laid end to end —
// `[name, type, value]` — rather than as hex, so a person can derive them
// from Apple's rules and a test can check every named field against the
// layout (fields.test.ts). This module assembles the bytes and records where
// each field landed. Fields the sender leaves uninitialised in Apple's stubs
// are don't-care: `pad`, a descriptor's `padN`, an out-of-line `address`.

/** One field: Apple's member name (or `pad`), its type, its value. */
export type FieldEntry = [name: string, type: FieldType, value: number | string];

export type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64' | 'hex';

/** Where a field landed. */
export interface PlacedField {
  name: string;
  type: FieldType;
  offset: number;
  size: number;
  value: number | string;
}

const SIZES: Record<Exclude<FieldType, 'hex'>, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8, f32: 4, f64: 8 };

/** A number written as a decimal or a `0x…` string. */
function numberOf(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Whether Apple's stubs leave a field uninitialised. */
export function isDontCare(name: string): boolean {
  return name === 'pad' || /\.pad\d$/.test(name) || /\.address$/.test(name);
}

/** Lays the fields end to end (little-endian). */
export function assembleFields(fields: FieldEntry[]): { bytes: Uint8Array; dontCare: [number, number][]; placed: PlacedField[] } {
  const chunks: Uint8Array[] = [];
  const placed: PlacedField[] = [];
  const dontCare: [number, number][] = [];
  let offset = 0;
  for (const [name, type, value] of fields) {
    let chunk: Uint8Array;
    if (type === 'hex') {
      chunk = Uint8Array.from(Buffer.from(String(value).replace(/\s+/g, ''), 'hex'));
    } else {
      chunk = new Uint8Array(SIZES[type]);
      const view = new DataView(chunk.buffer);
      switch (type) {
        case 'u8':
          view.setUint8(0, numberOf(value));
          break;
        case 'u16':
          view.setUint16(0, numberOf(value), true);
          break;
        case 'u32':
          view.setUint32(0, numberOf(value) >>> 0, true);
          break;
        case 'i32':
          view.setInt32(0, numberOf(value), true);
          break;
        case 'u64':
          view.setBigUint64(0, BigInt(value), true);
          break;
        case 'i64':
          view.setBigInt64(0, BigInt(value), true);
          break;
        case 'f32':
          view.setFloat32(0, numberOf(value), true);
          break;
        case 'f64':
          view.setFloat64(0, numberOf(value), true);
          break;
      }
    }
    placed.push({ name, type, offset, size: chunk.length, value });
    if (isDontCare(name)) dontCare.push([offset, offset + chunk.length]);
    chunks.push(chunk);
    offset += chunk.length;
  }
  const bytes = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, dontCare, placed };
}
