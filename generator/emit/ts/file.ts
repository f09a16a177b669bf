// Emit stage (TypeScript): the assembler of `<name>.ts`. Each routine yields
// its fragments (wire interfaces, encoders and decoders, result types, a
// client method, a handler signature, a demux entry); this module joins them
// into one source file — wire layer first, then the client class, the server
// interface and the serve function — written with the TypeScript writer
// (laid out as it goes, no formatter pass), and adds exactly the imports from
// 'tsmig' the text uses.

import type { InterfaceIR } from '../../check/ir.js';
import type { InterfaceLayout, RoutineLayout } from '../../layout/types.js';
import type { EmitInput } from '../index.js';
import { clientMethod, timingExpression } from './client.js';
import { writeDecoderBody } from './decode.js';
import { writeEncoderBody } from './encode.js';
import { MessageView } from './messages.js';
import { NameScope, pascalCase, propertyKey, quote } from './naming.js';
import { routineModel, serverResultDiffers, type ResultValue, type RoutineModel } from './routine.js';
import { serverEntry, serverMethod } from './server.js';
import type { WireValue } from './values.js';
import { writeDocs, writeFunction, writeInterface, writeProperty, type FunctionDecl, type InterfaceDecl, type PropertyDecl } from './declarations.js';
import { TsWriter } from './writer.js';

/** Everything generated code may import from 'tsmig', by whether it is a type. */
const RUNTIME_TYPES = [
  'AuditToken',
  'CallOptions',
  'ClientOptions',
  'Disposition',
  'OutOfLinePortsInit',
  'PortName',
  'PortTransfer',
  'ReceivedMessage',
  'SecurityToken',
  'ServeOptions',
  'ServerCall',
  'ServerHandle',
  'ServerReturn',
  'ServerRoutine',
  'ServerSubsystem',
  'WireIn',
  'WireMessage',
];
const RUNTIME_VALUES = [
  'MIG_ARRAY_TOO_LARGE',
  'MIG_BAD_ARGUMENTS',
  'MIG_REPLY_MISMATCH',
  'MIG_SERVER_DIED',
  'MIG_TRAILER_ERROR',
  'MIG_TYPE_ERROR',
  'MigClientCore',
  'NO_BUFFERS',
  'Port',
  'PortSet',
  'allocatePort',
  'arrayCount',
  'bytesOf',
  'checkBigInt',
  'checkBoolean',
  'checkDisposition',
  'checkInt',
  'checkPortName',
  'checkReal',
  'commonDisposition',
  'decodeCString',
  'encodeCString',
  'hasNul',
  'isComplex',
  'messageBits',
  'messageSize',
  'namesOf',
  'oolPortNames',
  'oolRegion',
  'portArrayCount',
  'portNames',
  'readArray',
  'readAuditToken',
  'readPortDescriptor',
  'readPortDescriptors',
  'readSecurityToken',
  'readU32',
  'regionAs',
  'round4',
  'routineTiming',
  'sendPort',
  'sendPortArray',
  'sendPorts',
  'sendTransfer',
  'serveSubsystem',
  'viewOf',
  'writeArray',
  'writeHeader',
  'writeNdr',
  'writeOolDescriptor',
  'writeOolPortsDescriptor',
  'writePortDescriptor',
];

/** Where the generated code imports its support from (the package's own name). */
export const RUNTIME_MODULE = 'tsmig';

/** A top-level statement; `tight` ones that follow each other are not set apart by a blank line. */
interface TopLevel {
  write: (w: TsWriter) => void;
  tight?: boolean;
}

function properties(values: WireValue[], decodeOnlyOptional: boolean): PropertyDecl[] {
  return values.map((v) => ({
    name: propertyKey(v.key),
    type: v.type,
    docs: v.decodeOnly ? `${v.doc} (decoders fill it in from the trailer)` : v.encodeOnly ? `${v.doc} (encoders only: a receiver cannot see it)` : v.doc,
    optional: (v.decodeOnly || v.encodeOnly === true) && decodeOnlyOptional,
  }));
}

function interfaceStatement(decl: InterfaceDecl): TopLevel {
  return { write: (w) => writeInterface(w, decl) };
}

function resultInterface(name: string, results: ResultValue[], doc: string): TopLevel {
  return interfaceStatement({ name, docs: doc, properties: results.map((r) => ({ name: propertyKey(r.key), type: r.type, docs: r.doc })) });
}

function fn(name: string, docs: string, parameters: FunctionDecl['parameters'], returnType: string, body: (w: TsWriter) => void): TopLevel {
  return { write: (w) => writeFunction(w, 'export function ', { name, docs, parameters, returnType, body }) };
}

/** The wire layer of one routine: its messages' values, encoders and decoders. */
function wireFragments(model: RoutineModel): TopLevel[] {
  const { rt, layout, names, source } = model;
  const out: TopLevel[] = [];
  const replyPortParam = rt.replyPort.kind !== 'argument' && layout.requestHeader.local.disposition !== null;
  out.push(
    interfaceStatement({
      name: names.requestType,
      docs: `The values of \`${rt.name}\`'s request (id ${layout.request.id}, ${source}), keyed by MIG's argument names.`,
      properties: properties(model.request, true),
    }),
  );
  out.push(
    fn(
      names.encodeRequest,
      `Encodes \`${rt.name}\`'s request (${source}) into the bytes of ${layout.request.struct}: ${describeSize(layout.request.minSize, layout.request.maxSize)}.${replyPortParam ? '\n@param replyPort the reply port the header names (MIG’s reply port, sent as MAKE_SEND_ONCE)' : ''}`,
      [{ name: 'values', type: names.requestType }, ...(replyPortParam ? [{ name: 'replyPort', type: 'PortName' }] : [])],
      'WireMessage',
      (w) => writeEncoderBody(w, new MessageView(rt, layout.request, 'request'), { kind: 'request', ports: layout.requestHeader }),
    ),
  );
  out.push(
    fn(
      names.decodeRequest,
      `Checks \`${rt.name}\`'s request as MIG's server does and reads its values, or returns the MIG error code of the first check it fails (${source}).`,
      [{ name: 'message', type: 'WireIn' }],
      `${names.requestType} | number`,
      (w) => writeDecoderBody(w, new MessageView(rt, layout.request, 'request'), model.request, []),
    ),
  );
  if (layout.reply === null) return out;
  const reply = layout.reply;
  const capacities = model.reply.filter((v) => v.codec?.kind === 'array' && v.arg.type.variable && v.arg.type.category === 'inline');
  out.push(
    interfaceStatement({
      name: names.replyType,
      docs: `The values of \`${rt.name}\`'s reply (id ${reply.id}, ${source}), keyed by MIG's argument names.`,
      properties: properties(model.reply, true),
    }),
  );
  out.push(
    fn(
      names.encodeReply,
      `Encodes \`${rt.name}\`'s successful reply (${source}) into the bytes of ${reply.struct}: ${describeSize(reply.minSize, reply.maxSize)}.\n@param replyTo the reply right the request came with, and the disposition that sends it back`,
      [
        // A reply that carries nothing but its RetCode reads no values.
        { name: model.reply.some((v) => !v.decodeOnly) ? 'values' : '_values', type: names.replyType },
        { name: 'replyTo', type: 'PortName' },
      ],
      'WireMessage',
      (w) => writeEncoderBody(w, new MessageView(rt, reply, 'reply'), { kind: 'reply' }),
    ),
  );
  const capacityType = `{ ${capacities.map((c) => `readonly ${propertyKey(c.key)}?: number`).join('; ')} }`;
  out.push(
    fn(
      names.decodeReply,
      `Checks \`${rt.name}\`'s reply as MIG's client does and reads its values, or returns the error: a MIG code, or the server's own return code (${source}).${capacities.length ? '\n@param capacities how many elements the caller accepts per variable array (more is MIG_ARRAY_TOO_LARGE)' : ''}`,
      [{ name: 'message', type: 'WireIn' }, ...(capacities.length ? [{ name: 'capacities', type: capacityType, optional: true }] : [])],
      `${names.replyType} | number`,
      (w) => writeDecoderBody(w, new MessageView(rt, reply, 'reply'), model.reply, capacities),
    ),
  );
  return out;
}

function describeSize(min: number, max: number): string {
  return min === max ? `${max} bytes` : `${min} to ${max} bytes`;
}

/** The result types a routine's client and handler return. */
function resultFragments(model: RoutineModel): TopLevel[] {
  const out: TopLevel[] = [];
  const { rt, names, source } = model;
  if (model.layout.reply === null) return out;
  if (model.clientResults.length > 1) {
    out.push(resultInterface(names.resultType, model.clientResults, `What \`${rt.name}\` returns to the caller (${source}).`));
  }
  if (model.serverResults.length > 1 && serverResultDiffers(model)) {
    out.push(resultInterface(names.serverResultType, model.serverResults, `What \`${rt.name}\`'s handler returns (${source}).`));
  }
  return out;
}

/** Builds and writes the whole file. */
export function printInterfaceFile(input: EmitInput): string {
  const { ir, layouts } = input;
  const subsystem = ir.subsystem!;
  const pascal = pascalCase(subsystem.name);
  const scope = new NameScope([...RUNTIME_TYPES, ...RUNTIME_VALUES]);
  const clientClass = scope.claim(`${pascal}Client`);
  const serverInterface = scope.claim(`${pascal}Server`);
  const serveFunction = scope.claim(`serve${pascal}`);
  const subsystemConst = scope.claim(`${camel(subsystem.name)}Subsystem`);
  const clientMembers = new NameScope(['core', 'port', 'close', 'constructor']);
  const serverMembers = new NameScope();

  const models: Array<RoutineModel | null> = [];
  ir.routines.forEach((rt, i) => {
    const layout: RoutineLayout | null = layouts.routines[i];
    models.push(layout === null ? null : routineModel(rt, layout, scope, clientMembers, serverMembers));
  });
  const valid = models.filter((m): m is RoutineModel => m !== null);

  const statements: TopLevel[] = [];
  for (const model of valid) statements.push(...wireFragments(model));
  for (const model of valid) statements.push(...resultFragments(model));

  // Fixed timings are computed once.
  for (const model of valid) {
    const timing = timingExpression(model, () => undefined);
    if (!timing.fixed) continue;
    statements.push({ write: (w) => w.writeLine(`const ${model.names.timing} = ${timing.expression};`), tight: true });
  }

  statements.push({
    write: (w) => {
      writeDocs(
        w,
        `A client of subsystem \`${subsystem.name}\` over a send right to its server. Each method sends one request and (for routines) waits for its reply on a reply port of its own, so calls may overlap.`,
      );
      w.write(`export class ${clientClass}`).block(() => {
        writeProperty(w, { name: 'core', readonly: true, type: 'MigClientCore', docs: 'The server’s send right, this client’s reply ports, and the send/receive machinery.' });
        const members: FunctionDecl[] = [
          {
            name: 'constructor',
            docs: '@param port a send right to the server (the client does not take ownership)\n@param options client-wide options',
            parameters: [
              { name: 'port', type: 'Port' },
              { name: 'options', type: 'ClientOptions', optional: true },
            ],
            returnType: '',
            body: (b) => b.writeLine('this.core = new MigClientCore(port, options);'),
          },
          { name: 'port', returnType: 'Port', docs: 'The server’s send right.', parameters: [], body: (b) => b.writeLine('return this.core.port;') },
          { name: 'close', returnType: 'void', docs: 'Releases the pooled reply ports (the server’s send right stays the caller’s).', parameters: [], body: (b) => b.writeLine('this.core.close();') },
          ...valid.map((m) => clientMethod(m)),
        ];
        for (const member of members) {
          w.blankLine();
          writeFunction(w, member.name === 'port' ? 'get ' : '', member);
        }
      });
      w.newLine();
    },
  });

  statements.push(
    interfaceStatement({
      name: serverInterface,
      docs: `What a server of subsystem \`${subsystem.name}\` implements: one handler per routine (async allowed). Serve it with ${serveFunction}().`,
      methods: valid.map((m) => serverMethod(m)),
    }),
  );

  // The demux entries and the routine table follow each other without blank lines.
  for (const model of valid) statements.push({ write: (w) => serverEntry(w, model, serverInterface), tight: true });
  const routineTable: string[] = [];
  for (let n = 0; n < ir.idCount; n++) {
    const model = valid.find((m) => m.rt.number === n);
    routineTable.push(model === undefined ? 'null' : model.names.entry);
  }
  statements.push({
    write: (w) => {
      writeDocs(w, `The routine table of \`${subsystem.name}\`: ids ${subsystem.base} to ${subsystem.base + ir.idCount - 1} (null where the .defs skips an id).`);
      w.writeLine(
        `const ${subsystemConst}: ServerSubsystem<${serverInterface}> = { name: ${quote(subsystem.name)}, base: ${subsystem.base}, routines: [${routineTable.join(', ')}] };`,
      );
    },
    tight: true,
  });
  statements.push(
    fn(
      serveFunction,
      `Serves subsystem \`${subsystem.name}\` on a receive right (or port set) with \`impl\`: every request is checked as MIG's server checks it, handled, and answered; rights and regions follow MIG's ownership rules. Returns a handle whose stop() ends the demux.`,
      [
        { name: 'port', type: 'Port | PortSet' },
        { name: 'impl', type: serverInterface },
        { name: 'options', type: 'ServeOptions', optional: true },
      ],
      'ServerHandle',
      (w) => w.writeLine(`return serveSubsystem(port, impl, ${subsystemConst}, options);`),
    ),
  );

  const body = new TsWriter();
  statements.forEach((statement, i) => {
    if (i > 0 && !(statement.tight && statements[i - 1].tight)) body.blankLine();
    statement.write(body);
  });
  const text = body.toString();
  return `${headerComment(input, ir, layouts)}\n\n${importLine(text)}\n\n${text}`;
}

function camel(name: string): string {
  const p = pascalCase(name);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

function headerComment(input: EmitInput, ir: InterfaceIR, layouts: InterfaceLayout): string {
  const subsystem = ir.subsystem!;
  const count = layouts.routines.filter((l) => l !== null).length;
  return [
    `// @generated by tsmig from ${input.sourceName} — do not edit`,
    '//',
    `// Subsystem \`${subsystem.name}\` (message ids ${subsystem.base}–${subsystem.base + ir.idCount - 1}, ${count} routine${count === 1 ? '' : 's'}): the`,
    "// wire layer (each message's values, encoders and decoders producing and",
    "// checking the exact bytes of Apple's MIG layout), then the typed layer: a",
    '// client class, the server interface, and the serve function.',
  ].join('\n');
}

/** Sorts import specifiers by name, `type` aside, as the golden files have always had them. */
const byName = new Intl.Collator().compare;

/** Whether `name` occurs in `text` as an identifier of its own (not a member `.name`, not inside a longer word, not starting a string). */
function usesIdentifier(text: string, name: string): boolean {
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    const before = at === 0 ? '' : text[at - 1];
    const after = text[at + name.length] ?? '';
    if (!/[\w.$'"]/.test(before) && !/[\w$]/.test(after)) return true;
  }
  return false;
}

/** The import of exactly the runtime names the text uses: on one line when it fits, else one name a line. */
function importLine(body: string): string {
  const values = RUNTIME_VALUES.filter((name) => usesIdentifier(body, name));
  const types = RUNTIME_TYPES.filter((name) => usesIdentifier(body, name));
  const specifiers = [...values, ...types.map((t) => `type ${t}`)].sort((a, b) => byName(a.replace(/^type /, ''), b.replace(/^type /, '')));
  const flat = `import { ${specifiers.join(', ')} } from '${RUNTIME_MODULE}';`;
  if (flat.length <= 100) return flat;
  return `import {\n${specifiers.map((s) => `  ${s},\n`).join('')}} from '${RUNTIME_MODULE}';`;
}
