// Preprocess stage: compact storage for the origin and output tables.
//
// Rows of three int32 values kept in fixed-size chunks: past the first
// chunk, appending never copies what is stored, so a 10 MB input's tables
// cost their size and nothing more; the first chunk starts small and
// doubles, so a small file pays little. Reading a row is two indexings.

const CHUNK_BITS = 15;
const CHUNK_ROWS = 1 << CHUNK_BITS;
const ROW_MASK = CHUNK_ROWS - 1;
const FIRST_ROWS = 256;

/** A growable table of (a, b, c) int32 rows. */
export class Triples {
  private readonly chunks: Int32Array[] = [];
  private n = 0;

  /** The number of rows. */
  get length(): number {
    return this.n;
  }

  /** Appends a row; returns its index. */
  push(a: number, b: number, c: number): number {
    const i = this.n++;
    const k = i >>> CHUNK_BITS;
    const o = (i & ROW_MASK) * 3;
    if (k === this.chunks.length)
      this.chunks.push(new Int32Array((k === 0 ? FIRST_ROWS : CHUNK_ROWS) * 3));
    else if (k === 0 && o === this.chunks[0].length) {
      // The first chunk grows by doubling up to the full chunk size.
      const grown = new Int32Array(this.chunks[0].length * 2);
      grown.set(this.chunks[0]);
      this.chunks[0] = grown;
    }
    const chunk = this.chunks[k];
    chunk[o] = a;
    chunk[o + 1] = b;
    chunk[o + 2] = c;
    return i;
  }

  /** First value of row `i`. */
  a(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][(i & ROW_MASK) * 3];
  }

  /** Second value of row `i`. */
  b(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][(i & ROW_MASK) * 3 + 1];
  }

  /** Third value of row `i`. */
  c(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][(i & ROW_MASK) * 3 + 2];
  }
}
