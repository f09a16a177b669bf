// Emit stage (TypeScript): the code writer every TypeScript fragment writes
// into. It keeps lines with their nesting level, indents by two spaces, and
// when the text is asked for lays out each line wider than the print width
// (layout-line.ts), so emitters write one statement per line and never think
// about wrapping. Text written right after a block's `}` stays on its line
// (`};`, `} catch (error) {`), and a block with nothing in it prints as `{}`.

import { layoutLine } from './layout-line.js';

interface WrittenLine {
  level: number;
  text: string;
}

/** An indentation-aware writer of TypeScript source. */
export class TsWriter {
  private readonly lines: WrittenLine[] = [];
  private level = 0;
  /** The line being written, not yet ended. */
  private current: WrittenLine | null = null;

  /**
   * Appends to the current line. After a block's closing brace, punctuation
   * continues the line (`};`), `catch`/`else`/`finally` follow a space, and
   * any other word starts a new statement on the next line.
   */
  write(text: string): this {
    if (this.current !== null && this.current.text.endsWith('}') && /^\w/.test(text)) {
      if (/^(catch|else|finally)\b/.test(text)) text = ` ${text}`;
      else this.newLine();
    }
    if (this.current === null) this.current = { level: this.level, text };
    else this.current.text += text;
    return this;
  }

  /** Ends the current line, unless it is empty. */
  newLine(): this {
    if (this.current !== null) this.lines.push(this.current);
    this.current = null;
    return this;
  }

  /** Ends the current line with `text` (a line of its own after a closing brace). */
  writeLine(text: string): this {
    if (this.current !== null && this.current.text.endsWith('}')) this.newLine();
    return this.write(text).newLine();
  }

  /** An empty line. */
  blankLine(): this {
    this.newLine();
    this.lines.push({ level: 0, text: '' });
    return this;
  }

  /** ` {`, the lines `body` writes one level deeper, and a pending `}` (or `{}` when the body wrote nothing). */
  block(body: () => void): this {
    // `) {`, `= {`, `try {`, but `({` and a `{` starting a line.
    this.write(this.current === null || /[ ([]$/.test(this.current.text) ? '{' : ' {');
    const opening = this.current!;
    this.newLine();
    const before = this.lines.length;
    this.level++;
    body();
    this.newLine();
    this.level--;
    if (this.lines.length === before) {
      this.lines.pop();
      this.current = opening;
      this.current.text += '}';
    } else {
      this.current = { level: this.level, text: '}' };
    }
    return this;
  }

  /** The lines `body` writes, one level deeper. */
  indent(body: () => void): this {
    this.newLine();
    this.level++;
    body();
    this.newLine();
    this.level--;
    return this;
  }

  /** Appends everything another writer wrote, nested at this writer's current level. */
  append(other: TsWriter): this {
    this.newLine();
    other.newLine();
    for (const l of other.lines) this.lines.push(l.text === '' ? l : { level: l.level + this.level, text: l.text });
    return this;
  }

  /** Whether anything written so far matches `pattern`. */
  contains(pattern: RegExp): boolean {
    return this.lines.some((l) => pattern.test(l.text)) || (this.current !== null && pattern.test(this.current.text));
  }

  /** The source text, every line laid out to the print width, ending with a newline. */
  toString(): string {
    this.newLine();
    let out = '';
    for (const { level, text } of this.lines) {
      if (text === '') {
        out += '\n';
        continue;
      }
      const indentation = ' '.repeat(level * 2);
      out += indentation + layoutLine(text, level * 2) + '\n';
    }
    return out;
  }
}
