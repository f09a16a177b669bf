// Emit stage (TypeScript): one message of a routine as the encoder and the
// decoder see it. Resolves each layout field to the IR argument it carries,
// names the locals that hold variable arrays' counts and unused bytes, and
// prints a field's offset as the layout gives it: its offset at maximum
// size, minus the unused bytes of the variable arrays the layout says come
// before it. Nothing here computes an offset of its own.

import type { IrArgument, IrRoutine } from '../../check/ir.js';
import type { LayoutField, MessageLayout } from '../../layout/types.js';
import { camelCase, NameScope } from './naming.js';

/** A variable inline array of the message, with the locals generated code keeps for it. */
export interface VariableData {
  /** Its data field. */
  field: LayoutField;
  /** The argument it carries. */
  arg: IrArgument;
  /** The local holding its element count. */
  countVar: string;
  /** The local holding the bytes it leaves unused (maximum minus what it takes, rounded to 4). */
  unusedVar: string;
}

/** Names every function body of a message starts with. */
const BODY_LOCALS = ['values', 'message', 'bytes', 'view', 'size', 'replyPort', 'replyTo', 'capacities', 'ool', 'oolPorts', 'trailerAt'];

/** The fields of one message and how code names and places them. */
export class MessageView {
  readonly variables: VariableData[] = [];
  /** Locals holding counts, by count field name (shared by SameCount arrays). */
  readonly countVars = new Map<string, string>();
  readonly scope = new NameScope(BODY_LOCALS);
  private readonly unusedByData = new Map<string, string>();

  constructor(
    readonly rt: IrRoutine,
    readonly layout: MessageLayout,
    readonly which: 'request' | 'reply',
  ) {
    for (const field of layout.fields) {
      if (!field.variable) continue;
      const arg = this.argOf(field);
      const countField = field.variable.countField;
      let countVar = this.countVars.get(countField);
      if (countVar === undefined) {
        countVar = this.scope.claim(`${camelCase(countField)}`);
        this.countVars.set(countField, countVar);
      }
      const unusedVar = this.scope.claim(`${camelCase(field.name)}Unused`);
      this.unusedByData.set(field.name, unusedVar);
      this.variables.push({ field, arg, countVar, unusedVar });
    }
  }

  /** Whether an argument travels in this message. */
  private inMessage(a: IrArgument): boolean {
    return (this.which === 'request' ? a.requestPlacement : a.replyPlacement) !== 'none';
  }

  /** The argument a field carries (for counts, the count argument). */
  argOf(field: LayoutField): IrArgument {
    const name = field.arg;
    const found = this.rt.args.find((a) => a.name === name && this.inMessage(a));
    if (found === undefined) throw new Error(`tsmig: layout field ${field.name} names no argument of ${this.rt.name}`);
    return found;
  }

  /** The argument by MIG name among those in this message. */
  argNamed(name: string): IrArgument | undefined {
    return this.rt.args.find((a) => a.name === name && this.inMessage(a));
  }

  /** The field named `name`. */
  field(name: string): LayoutField {
    const f = this.layout.fields.find((x) => x.name === name);
    if (f === undefined) throw new Error(`tsmig: no field ${name} in ${this.layout.struct}`);
    return f;
  }

  /** The data field of an argument's value in this message, if it has one in the body. */
  dataField(arg: IrArgument): LayoutField | undefined {
    return this.layout.fields.find((f) => f.arg === arg.name && (f.role === 'data' || f.role === 'count') && this.argOf(f) === arg);
  }

  /** The descriptor field of an argument, if it travels in descriptors. */
  descriptorField(arg: IrArgument): LayoutField | undefined {
    return this.layout.fields.find((f) => f.role === 'descriptor' && f.arg === arg.name);
  }

  /** The shift of a field: ` - (aUnused + bUnused)` for the variable data before it, or nothing. */
  shift(field: LayoutField): string {
    const vars = field.shiftedBy.map((name) => this.unusedByData.get(name)!);
    if (vars.length === 0) return '';
    return ` - ${sumExpression(vars)}`;
  }

  /** A field's offset in the message as sent, `plus` bytes into it. */
  at(field: LayoutField, plus = 0): string {
    return `${field.offset + plus}${this.shift(field)}`;
  }

  /** The message size: the maximum minus every variable array's unused bytes. */
  sizeExpression(): string {
    if (this.variables.length === 0) return String(this.layout.maxSize);
    return `${this.layout.maxSize} - ${sumExpression(this.variables.map((v) => v.unusedVar))}`;
  }

  /** Descriptors before a descriptor field, by kind: its index among the message's port, OOL or OOL-ports descriptors. */
  descriptorIndex(field: LayoutField): number {
    let index = 0;
    for (const f of this.layout.fields) {
      if (f === field) return index;
      if (f.descriptor?.kind === field.descriptor!.kind) index += f.descriptor.count;
    }
    throw new Error(`tsmig: ${field.name} is not a field of ${this.layout.struct}`);
  }
}

/** `a`, or `(a + b + …)`: a sum that can follow a minus sign, parenthesized only when it has several terms. */
export function sumExpression(terms: string[]): string {
  return terms.length === 1 ? terms[0] : `(${terms.join(' + ')})`;
}
