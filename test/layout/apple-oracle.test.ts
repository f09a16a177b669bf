// Apple's own headers as the oracle for layouts. The macOS SDK ships MIG's
// .defs next to the headers Apple's MIG generated from them (with
// `__Request__<routine>_t` / `__Reply__<routine>_t` structs). For every
// routine of those files, tsmig's sizes and offsets become static_asserts
// against Apple's structs, compiled by clang for x86_64 and arm64 macOS.
//
// Local only: CI has neither the SDK nor clang-16, so the test skips with
// that reason when `$HOME/.cache/tsmig-macsdk` or `clang++-16` is absent.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';
import {
  DESCRIPTOR_FIELDS,
  DESCRIPTOR_TYPE,
  HEADER_FIELDS,
  MACH_NOTIFY_SEND_ONCE,
  MACH_SIZES,
  MINIMUM_TRAILER_SIZE,
  TRAILER_ELEMENTS,
} from '../../generator/layout/types.js';
import { failedAsserts, layoutAsserts } from './c-structs.js';

const SDK = join(homedir(), '.cache', 'tsmig-macsdk');
const INCLUDE = join(SDK, 'usr', 'include');
const clangFound = spawnSync('clang++-16', ['--version']).status === 0;
const sdkFound = existsSync(join(INCLUDE, 'mach', 'mach_port.defs'));
const skipReason = !sdkFound
  ? `skipped: no macOS SDK at ${SDK}`
  : !clangFound
    ? 'skipped: clang++-16 is not installed'
    : '';

/** SDK interfaces whose MIG-generated header is in the SDK too. */
const INTERFACES = [
  'mach/clock',
  'mach/clock_priv',
  'mach/clock_reply',
  'mach/exc',
  'mach/host_priv',
  'mach/host_security',
  'mach/lock_set',
  'mach/mach_host',
  'mach/mach_port',
  'mach/mach_vm',
  'mach/mach_voucher',
  'mach/memory_entry',
  'mach/processor',
  'mach/processor_set',
  'mach/task',
  'mach/thread_act',
  'mach/vm_map',
];

/**
 * Apple quirks: structs where Apple's header can't agree with any .defs
 * reading, with the reason.
 */
const EXPLAINED: Record<string, string> = {
  __Reply__task_register_dyld_get_process_state_t:
    "task.defs declares dyld_kernel_process_info_t as struct[64] of bytes, but its C type (dyld_kernel.h) is larger; Apple's MIG declares the member by C type, so the header's struct follows the C size while the .defs says 64 bytes",
};

/**
 * Both ways the SDK's .defs can be preprocessed for user space: some
 * routines are renamed `_kernelrpc_*` unless LIBSYSCALL_INTERFACE is set.
 */
const CONFIGURATIONS: Array<Array<[string, string]>> = [[], [['LIBSYSCALL_INTERFACE', '1']]];

const work = sdkFound && clangFound ? mkdtempSync(join(tmpdir(), 'tsmig-oracle-')) : '';
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Builds the assert file for one interface and target; returns the struct names asserted. */
function assertsFor(
  iface: string,
  target: 'x86_64' | 'arm64',
): { source: string; structs: Set<string>; routines: Set<string> } {
  const header = readFileSync(join(INCLUDE, `${iface}.h`), 'utf8');
  const structs = new Set<string>();
  const routines = new Set<string>();
  let source = `#include <mach/mach.h>\n#include <${iface}.h>\n#include <stddef.h>\n`;
  for (const defines of CONFIGURATIONS) {
    const r = compileDefs(
      { file: join(INCLUDE, `${iface}.defs`) },
      { includePaths: [INCLUDE], defines, target },
    );
    expect(
      r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`),
    ).toEqual([]);
    r.ir.routines.forEach((rt, i) => {
      const layout = r.layouts.routines[i];
      const request = `__Request__${rt.name}_t`;
      if (!layout || routines.has(rt.name) || !header.includes(`${request} `)) return;
      routines.add(rt.name);
      structs.add(request);
      source += layoutAsserts(layout.request, request).join('\n') + '\n';
      // Apple declares a reply struct for simpleroutines too; tsmig has no reply for them.
      if (layout.reply) {
        structs.add(`__Reply__${rt.name}_t`);
        source += layoutAsserts(layout.reply, `__Reply__${rt.name}_t`).join('\n') + '\n';
      }
    });
  }
  return { source, structs, routines };
}

describe.each(['x86_64', 'arm64'] as const)(
  "Apple's headers agree with tsmig's layouts (%s)",
  (target) => {
    it.skipIf(skipReason !== '')(`every routine of the SDK's interfaces ${skipReason}`, () => {
      let routines = 0;
      const mismatched = new Set<string>();
      for (const iface of INTERFACES) {
        const { source, routines: names } = assertsFor(iface, target);
        routines += names.size;
        const file = join(work, `${iface.replace('/', '_')}-${target}.cc`);
        writeFileSync(file, source);
        const clangTarget = target === 'arm64' ? 'arm64-apple-macos11' : 'x86_64-apple-macos11';
        const res = spawnSync(
          'clang++-16',
          [
            `--target=${clangTarget}`,
            '-isysroot',
            SDK,
            '-fsyntax-only',
            '-ferror-limit=0',
            '-w',
            file,
          ],
          {
            encoding: 'utf8',
          },
        );
        const otherErrors = res.stderr
          .split('\n')
          .filter((l) => / error: /.test(l) && !/static assertion failed/.test(l));
        expect(otherErrors, `${iface}: compiler errors that are not layout mismatches`).toEqual([]);
        for (const label of failedAsserts(res.stderr)) mismatched.add(label.split(/[. ]/)[0]);
      }
      const unexplained = [...mismatched].filter((s) => !(s in EXPLAINED));
      expect(unexplained, 'structs where tsmig and Apple disagree').toEqual([]);
      // The SDK has 250+ routines in these files; a drop means routines went missing.
      expect(routines).toBeGreaterThan(240);
      const quirky = new Set([...mismatched].map((s) => s.replace(/^__(Request|Reply)__/, '')));
      console.log(
        `apple-oracle ${target}: ${routines} routines compared, ${routines - quirky.size} match exactly; explained Apple quirks: ${[...mismatched].join(', ') || 'none'}`,
      );
      // Sixteen clang runs over the SDK: minutes on a loaded 2-CPU machine.
    }, 300_000);
  },
);

describe.each(['x86_64', 'arm64'] as const)(
  "Apple's headers agree with tsmig's Mach constants (%s)",
  (target) => {
    it.skipIf(skipReason !== '')(
      `header, descriptors, trailer elements, error reply ${skipReason}`,
      () => {
        const lines = [
          '#include <mach/mach.h>',
          '#include <mach/mig_errors.h>',
          '#include <stddef.h>',
        ];
        const eq = (expr: string, value: number) =>
          lines.push(
            `static_assert(${expr} == ${value}, "${expr.replace(/"/g, '')} == ${value}");`,
          );
        eq('sizeof(mach_msg_header_t)', MACH_SIZES.header);
        for (const f of HEADER_FIELDS) eq(`offsetof(mach_msg_header_t, ${f.name})`, f.offset);
        eq('sizeof(mach_msg_body_t)', MACH_SIZES.body);
        eq('sizeof(NDR_record_t)', MACH_SIZES.ndr);
        eq('sizeof(mach_msg_port_descriptor_t)', MACH_SIZES.portDescriptor);
        eq('sizeof(mach_msg_ool_descriptor_t)', MACH_SIZES.oolDescriptor);
        eq('sizeof(mach_msg_ool_ports_descriptor_t)', MACH_SIZES.oolPortsDescriptor);
        eq(
          'offsetof(mach_msg_ool_descriptor_t, size)',
          DESCRIPTOR_FIELDS.ool.find((f) => f.name === 'size')!.offset,
        );
        eq(
          'offsetof(mach_msg_ool_ports_descriptor_t, count)',
          DESCRIPTOR_FIELDS.oolPorts.find((f) => f.name === 'count')!.offset,
        );
        eq('sizeof(mig_reply_error_t)', MACH_SIZES.migReplyError);
        eq('offsetof(mig_reply_error_t, RetCode)', MACH_SIZES.header + MACH_SIZES.ndr);
        eq('sizeof(mach_msg_trailer_t)', MINIMUM_TRAILER_SIZE);
        const member = {
          seqno: 'msgh_seqno',
          sender: 'msgh_sender',
          audit: 'msgh_audit',
          context: 'msgh_context',
        } as const;
        const trailerType = {
          seqno: 'mach_msg_seqno_trailer_t',
          sender: 'mach_msg_security_trailer_t',
          audit: 'mach_msg_audit_trailer_t',
          context: 'mach_msg_context_trailer_t',
        } as const;
        for (const [name, e] of Object.entries(TRAILER_ELEMENTS) as Array<
          [keyof typeof member, (typeof TRAILER_ELEMENTS)['seqno']]
        >) {
          eq(`offsetof(mach_msg_max_trailer_t, ${member[name]})`, e.offset);
          eq(`sizeof(((mach_msg_max_trailer_t *)0)->${member[name]})`, e.size);
          eq(`sizeof(${trailerType[name]})`, e.trailerSize);
          eq(`REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(${e.rcvElements}))`, e.trailerSize);
        }
        eq('MACH_NOTIFY_SEND_ONCE', MACH_NOTIFY_SEND_ONCE);
        eq('MACH_MSG_PORT_DESCRIPTOR', DESCRIPTOR_TYPE.port);
        eq('MACH_MSG_OOL_DESCRIPTOR', DESCRIPTOR_TYPE.ool);
        eq('MACH_MSG_OOL_PORTS_DESCRIPTOR', DESCRIPTOR_TYPE.oolPorts);
        const file = join(work, `constants-${target}.cc`);
        writeFileSync(file, lines.join('\n') + '\n');
        const clangTarget = target === 'arm64' ? 'arm64-apple-macos11' : 'x86_64-apple-macos11';
        const res = spawnSync(
          'clang++-16',
          [
            `--target=${clangTarget}`,
            '-isysroot',
            SDK,
            '-fsyntax-only',
            '-ferror-limit=0',
            '-w',
            file,
          ],
          {
            encoding: 'utf8',
          },
        );
        expect(res.stderr).toBe('');
        expect(res.status).toBe(0);
      },
    );
  },
);
