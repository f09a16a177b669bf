// Emit stage (TypeScript): line fitting. Generated statements are written
// on one line; one that passes the print width is laid out here the way a
// pretty-printer would: a document of groups, indents and possible line
// breaks, printed by fitting each group on the rest of its line or breaking
// it (Wadler's algorithm, with the same "does the rest fit up to its next
// break" rule prettier uses, so the output keeps the look the golden files
// had when prettier formatted them). Pure and small: no parser library, no
// TypeScript compiler.

/** The width generated TypeScript is laid out to. */
export const PRINT_WIDTH = 100;

/** A piece of layout. Strings print as they are. */
export type Doc = string | Doc[] | Group | Indent | IndentIfBreak | Line | IfBreak | ConditionalGroup;

interface Group {
  kind: 'group';
  contents: Doc;
  /** Broken whatever the width (it holds a break that must stay). */
  broken: boolean;
  /** Names the group for an indentIfBreak that follows it. */
  id?: symbol;
}
interface ConditionalGroup {
  kind: 'conditional';
  /** Tried in order: the first whose first line fits is printed; the last otherwise. */
  states: Doc[];
}
interface Indent {
  kind: 'indent';
  contents: Doc;
}
interface IndentIfBreak {
  kind: 'indentIfBreak';
  contents: Doc;
  /** The group whose decision it follows. */
  group: symbol;
}
interface Line {
  kind: 'line';
  /** A soft line prints nothing when flat; a plain one prints a space. */
  soft: boolean;
}
interface IfBreak {
  kind: 'ifBreak';
  broken: Doc;
  flat: Doc;
}

/** A group: flat if it fits on the rest of the line, else broken. `broken` forces it (and every group around it) to break. */
export function group(contents: Doc, broken = false, id?: symbol): Doc {
  return { kind: 'group', contents, broken: broken || mustBreak(contents), id };
}

/** Alternatives tried in order (a call whose last argument may hug the parentheses). */
export function conditionalGroup(states: Doc[]): Doc {
  return { kind: 'conditional', states };
}

/** Contents whose broken lines are indented one level more. */
export function indent(contents: Doc): Doc {
  return { kind: 'indent', contents };
}

/** Contents indented one level more when the group named `id` (printed before them) broke. */
export function indentIfBreak(contents: Doc, id: symbol): Doc {
  return { kind: 'indentIfBreak', contents, group: id };
}

/** A space, or a line break when its group breaks. */
export const line: Doc = { kind: 'line', soft: false };
/** Nothing, or a line break when its group breaks. */
export const softline: Doc = { kind: 'line', soft: true };

/** `broken` when the enclosing group breaks, `flat` otherwise. */
export function ifBreak(broken: Doc, flat: Doc = ''): Doc {
  return { kind: 'ifBreak', broken, flat };
}

/** `items` separated by `separator`. */
export function join(separator: Doc, items: Doc[]): Doc[] {
  const out: Doc[] = [];
  items.forEach((item, i) => {
    if (i > 0) out.push(separator);
    out.push(item);
  });
  return out;
}

/** Whether a doc holds a forced break (a conditional group decides for itself). */
export function mustBreak(doc: Doc): boolean {
  if (typeof doc === 'string') return false;
  if (Array.isArray(doc)) return doc.some(mustBreak);
  switch (doc.kind) {
    case 'group':
      return doc.broken;
    case 'indent':
      return mustBreak(doc.contents);
    case 'ifBreak':
      return mustBreak(doc.broken);
    default:
      return false;
  }
}

type Mode = 'flat' | 'break';
interface Command {
  indent: number;
  mode: Mode;
  doc: Doc;
}

/** Whether `next` fits in `width` columns, counting what follows it up to the next line break. */
function fits(next: Command, rest: Command[], width: number): boolean {
  const commands: Command[] = [next];
  let restIndex = rest.length;
  while (width >= 0) {
    const command = commands.pop() ?? (restIndex > 0 ? rest[--restIndex] : undefined);
    if (command === undefined) return true;
    const { mode, doc } = command;
    if (typeof doc === 'string') {
      width -= doc.length;
    } else if (Array.isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) commands.push({ indent: command.indent, mode, doc: doc[i] });
    } else {
      switch (doc.kind) {
        case 'indent':
        case 'indentIfBreak':
          commands.push({ indent: command.indent, mode, doc: doc.contents });
          break;
        case 'group':
          commands.push({ indent: command.indent, mode: doc.broken ? 'break' : mode, doc: doc.contents });
          break;
        case 'conditional':
          commands.push({ indent: command.indent, mode, doc: mode === 'break' ? doc.states[doc.states.length - 1] : doc.states[0] });
          break;
        case 'ifBreak':
          commands.push({ indent: command.indent, mode, doc: mode === 'break' ? doc.broken : doc.flat });
          break;
        case 'line':
          if (mode === 'break') return true;
          if (!doc.soft) width -= 1;
          break;
      }
    }
  }
  return false;
}

/** Prints a doc starting at column `column` of a line indented by `indentWidth` spaces; continuation lines carry their own indentation. */
export function printDoc(doc: Doc, indentWidth: number, column = indentWidth, width = PRINT_WIDTH): string {
  let out = '';
  let position = column;
  const commands: Command[] = [{ indent: indentWidth, mode: 'break', doc }];
  const groupModes = new Map<symbol, Mode>();
  while (commands.length > 0) {
    const command = commands.pop()!;
    const { mode, doc: d } = command;
    if (typeof d === 'string') {
      out += d;
      position += d.length;
    } else if (Array.isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) commands.push({ indent: command.indent, mode, doc: d[i] });
    } else {
      switch (d.kind) {
        case 'indent':
          commands.push({ indent: command.indent + 2, mode, doc: d.contents });
          break;
        case 'group': {
          const flat: Command = { indent: command.indent, mode: 'flat', doc: d.contents };
          const chosen = !d.broken && (mode === 'flat' || fits(flat, commands, width - position)) ? flat : { ...flat, mode: 'break' as const };
          if (d.id !== undefined) groupModes.set(d.id, chosen.mode);
          commands.push(chosen);
          break;
        }
        case 'indentIfBreak':
          commands.push({ indent: command.indent + (groupModes.get(d.group) === 'break' ? 2 : 0), mode, doc: d.contents });
          break;
        case 'conditional': {
          if (mode === 'flat') {
            commands.push({ indent: command.indent, mode, doc: d.states[0] });
            break;
          }
          const chosen = d.states.slice(0, -1).find((state) => fits({ indent: command.indent, mode: 'flat', doc: state }, commands, width - position));
          commands.push(
            chosen !== undefined
              ? { indent: command.indent, mode: 'flat', doc: chosen }
              : { indent: command.indent, mode: 'break', doc: d.states[d.states.length - 1] },
          );
          break;
        }
        case 'ifBreak':
          commands.push({ indent: command.indent, mode, doc: mode === 'break' ? d.broken : d.flat });
          break;
        case 'line':
          if (mode === 'flat') {
            if (!d.soft) {
              out += ' ';
              position += 1;
            }
          } else {
            out += '\n' + ' '.repeat(command.indent);
            position = command.indent;
          }
          break;
      }
    }
  }
  return out;
}
