// GNU MIG as an oracle, for conformance tests: where Debian's gnumach-dev
// installs its .defs, how GNU MIG is run on them, and what its `-list`
// output says (subsystem, base, routine name, index, request id, reply id).
// Nothing here is tsmig code; tests compare tsmig's results with these.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where gnumach-dev installs its headers and .defs on x86_64 Debian. */
export const GNUMACH_INCLUDE = '/usr/include/x86_64-linux-gnu';

/** The directories of .defs gnumach-dev installs (searched recursively). */
const GNUMACH_DIRS = ['mach', 'device', 'mach_debug'];

/** GNU MIG's driver (cpp + migcom), from Debian's mig-x86-64-gnu. */
export const GNU_MIG = '/usr/bin/x86_64-gnu-mig';

/** The define sets every gnumach file is read under (GNU MIG's cpp runs with -undef). */
export const DEFINE_SETS: Array<{ name: string; defines: Array<[string, string]> }> = [
  { name: '-D__x86_64__', defines: [['__x86_64__', '1']] },
  {
    name: '-D__x86_64__ -DKERNEL_USER',
    defines: [
      ['__x86_64__', '1'],
      ['KERNEL_USER', '1'],
    ],
  },
  {
    name: '-D__x86_64__ -DKERNEL_SERVER',
    defines: [
      ['__x86_64__', '1'],
      ['KERNEL_SERVER', '1'],
    ],
  },
];

/** True when gnumach-dev's .defs are installed here. */
export function hasGnumach(): boolean {
  return existsSync(join(GNUMACH_INCLUDE, 'mach', 'mach.defs'));
}

/** True when GNU MIG is installed here. */
export function hasGnuMig(): boolean {
  return existsSync(GNU_MIG);
}

/** Every .defs gnumach-dev installs, as absolute paths, sorted. */
export function gnumachDefsFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.defs')) found.push(path);
    }
  };
  for (const dir of GNUMACH_DIRS)
    if (existsSync(join(GNUMACH_INCLUDE, dir))) walk(join(GNUMACH_INCLUDE, dir));
  return found.sort();
}

/** One line of GNU MIG's `-list` output. */
export interface GnuListEntry {
  subsystem: string;
  base: number;
  routine: string;
  /** Position in the subsystem, `skip`s counted. */
  index: number;
  /** Request message id (base + index). */
  id: number;
  /** Reply message id (request + 100), 0 for a simpleroutine. */
  replyId: number;
}

/**
 * Runs GNU MIG on `file` as a user would (`-n`: no stubs, just the list)
 * with the given defines, and returns its routine list in order.
 */
export function gnuMigList(file: string, defines: Array<[string, string]>): GnuListEntry[] {
  const dir = mkdtempSync(join(tmpdir(), 'tsmig-gnu-mig-'));
  try {
    const list = join(dir, 'list');
    const args = [
      '-n',
      ...defines.map(([n, v]) => `-D${n}=${v}`),
      `-I${GNUMACH_INCLUDE}`,
      '-list',
      list,
      file,
    ];
    execFileSync(GNU_MIG, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(list, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [subsystem, base, routine, index, id, replyId] = line.trim().split(/\s+/);
        return {
          subsystem,
          base: Number(base),
          routine,
          index: Number(index),
          id: Number(id),
          replyId: Number(replyId),
        };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
