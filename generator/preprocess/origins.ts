// Preprocess stage: where every token came from, stored compactly.
//
// An origin is an index into a table of int32 triples. A file origin is
// (instance, offset, length): a range of one file as one inclusion of it
// saw it. An expansion origin is (macro, use site, spelling): the use site
// is the origin of the macro name that was expanded, the spelling is the
// origin of the token in the macro's body or argument. `Loc` objects are
// built only when asked for, and the `includedFrom` chain of each file
// instance is built once and shared.

import { type Loc } from '../source.js';
import { Triples } from './triples.js';

/** One file as the run read it (text and lazily computed line starts). */
export class FileRecord {
  private lineStarts: Int32Array | null = null;

  constructor(
    /** The path as the run opened it (`Loc.file`). */
    readonly path: string,
    readonly text: string,
  ) {}

  /** The 0-based line index containing `offset`. */
  lineIndex(offset: number): number {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The offset where 0-based line `index` starts. */
  lineStart(index: number): number {
    return this.starts()[index];
  }

  private starts(): Int32Array {
    if (this.lineStarts) return this.lineStarts;
    const t = this.text;
    let count = 1;
    for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) count++;
    const starts = new Int32Array(count);
    let k = 1;
    for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) starts[k++] = i + 1;
    this.lineStarts = starts;
    return starts;
  }
}

/**
 * One stretch of a file as one inclusion saw it: `#line` and line markers
 * start a new instance with another presumed name or line numbering.
 */
export interface FileInstance {
  file: FileRecord;
  /** The name diagnostics print (the path, or what `#line` said). */
  presumedName: string;
  /** Presumed line = physical 1-based line + lineDelta. */
  lineDelta: number;
  /** Origin of the directive that brought this file in, or -1 for the entry file. */
  includedFrom: number;
  /** Built on first use and shared by every Loc of this instance. */
  includedFromLoc?: Loc | null;
}

/** The origin table of one preprocessing run; see the file header. */
export class Origins {
  private readonly rows = new Triples();
  readonly instances: FileInstance[] = [];
  /** Macro names, indexed by the number expansion origins store. */
  readonly macroNames: string[] = [];
  private readonly macroIndex = new Map<string, number>();

  /** Registers a file instance; returns its id. */
  addInstance(inst: FileInstance): number {
    this.instances.push(inst);
    return this.instances.length - 1;
  }

  /** The number expansion origins use for macro `name`. */
  macroId(name: string): number {
    let id = this.macroIndex.get(name);
    if (id === undefined) {
      id = this.macroNames.length;
      this.macroNames.push(name);
      this.macroIndex.set(name, id);
    }
    return id;
  }

  /** A file origin: `length` characters at `offset` of instance `inst`. */
  addFile(inst: number, offset: number, length: number): number {
    return this.rows.push(inst, offset, length);
  }

  /** An expansion origin: macro `macro` used at origin `use` produced the token spelled at origin `spelling`. */
  addExpansion(macro: number, use: number, spelling: number): number {
    return this.rows.push(-1 - macro, use, spelling);
  }

  /** The file origin a token finally sits at: the outermost use site of its expansions. */
  topFileOrigin(o: number): number {
    while (this.rows.a(o) < 0) o = this.rows.b(o);
    return o;
  }

  /** The instance of a file origin. */
  instanceOf(fileOrigin: number): number {
    return this.rows.a(fileOrigin);
  }

  /** The offset of a file origin. */
  offsetOf(fileOrigin: number): number {
    return this.rows.b(fileOrigin);
  }

  /** The length of a file origin. */
  lengthOf(fileOrigin: number): number {
    return this.rows.c(fileOrigin);
  }

  /** The presumed (file, line) of a file origin, for `__FILE__` and `__LINE__`. */
  presumed(fileOrigin: number): { file: string; line: number } {
    const inst = this.instances[this.rows.a(fileOrigin)];
    return {
      file: inst.presumedName,
      line: inst.file.lineIndex(this.rows.b(fileOrigin)) + 1 + inst.lineDelta,
    };
  }

  /** The full location of origin `o` (with its include and macro chains). */
  loc(o: number): Loc {
    if (!(o >= 0 && o < this.rows.length))
      return { file: '<unknown>', line: 1, column: 1, endLine: 1, endColumn: 1 };
    return this.chainLoc(o, { levels: MAX_CHAIN });
  }

  /** `loc`, spending at most `budget.levels` macro levels in all (nested spellings included). */
  private chainLoc(o: number, budget: { levels: number }): Loc {
    // Walk the use-site links outward: [innermost … outermost] expansions.
    const chain: number[] = [];
    let cur = o;
    while (this.rows.a(cur) < 0) {
      chain.push(cur);
      cur = this.rows.b(cur);
    }
    const base = this.fileLoc(cur);
    if (chain.length === 0 || budget.levels <= 0) return base;
    // Keep the chain printable: a 10,000-deep expansion keeps its two ends.
    const keep = Math.max(1, budget.levels);
    const levels =
      chain.length > keep
        ? [...chain.slice(0, keep >> 1), ...chain.slice(-(keep - (keep >> 1)))]
        : chain;
    budget.levels -= levels.length;
    // Outermost first: each level's spelling carries the next level inside it.
    let tail: Loc = base;
    for (let k = levels.length - 1; k >= 0; k--) {
      const e = levels[k];
      const s = this.rows.c(e);
      const spelling = this.rows.a(s) < 0 ? this.chainLoc(s, budget) : this.fileLoc(s);
      tail.expandedFrom = { macro: this.macroNames[-1 - this.rows.a(e)], spelling };
      tail = innermost(spelling);
    }
    return base;
  }

  /** The location of a file origin, with the instance's shared include chain. */
  fileLoc(o: number): Loc {
    const inst = this.instances[this.rows.a(o)];
    const start = this.rows.b(o);
    const end = start + this.rows.c(o);
    const f = inst.file;
    const l1 = f.lineIndex(start);
    const l2 = end === start ? l1 : f.lineIndex(end);
    const loc: Loc = {
      file: inst.presumedName,
      line: l1 + 1 + inst.lineDelta,
      column: start - f.lineStart(l1) + 1,
      endLine: l2 + 1 + inst.lineDelta,
      endColumn: end - f.lineStart(l2) + 1,
    };
    const inc = this.includedFromLoc(inst);
    if (inc) loc.includedFrom = inc;
    return loc;
  }

  private includedFromLoc(inst: FileInstance): Loc | null {
    if (inst.includedFromLoc !== undefined) return inst.includedFromLoc;
    inst.includedFromLoc = null;
    if (inst.includedFrom >= 0) {
      // An include directive sits in a file, never inside an expansion.
      inst.includedFromLoc = this.fileLoc(this.topFileOrigin(inst.includedFrom));
    }
    return inst.includedFromLoc;
  }
}

/** The most macro levels a Loc chain keeps (half from each end). */
const MAX_CHAIN = 64;

/** The innermost spelling of a location's macro chain (where the next level attaches). */
function innermost(loc: Loc): Loc {
  let cur = loc;
  while (cur.expandedFrom) cur = cur.expandedFrom.spelling;
  return cur;
}
