// CLI verb `tsmig native-flags`: prints the compiler and linker flags a
// native (C or C++) peer needs to build against tsmig's runtime, the way
// `pkg-config --cflags --libs` would. On Linux that is the Mach API headers
// (<tsmig/mach.h>, and <mach/mach.h> through the compatibility directory)
// and the static library build/native/libtsmig.a; on macOS the system's Mach
// is used and only tsmig's headers are needed. Touches the file system only
// to look for the library (and, with --build, to build it with make).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIO, Verb } from '../cli.js';

const usage = `usage: tsmig native-flags [--cflags] [--libs] [--build] [--asan]

Prints the flags a native peer (C or C++) needs to use tsmig's runtime, as
pkg-config would: with neither --cflags nor --libs, both.

  cc -o peer peer.c $(tsmig native-flags)

  --cflags          compiler flags only (include directories, -pthread)
  --libs            linker flags only (the runtime library, -lstdc++, -pthread)
  --build           build the library first if it is missing (runs make)
  --asan            the AddressSanitizer/UBSan build of the library
                    (compile the peer with -fsanitize=address,undefined too)
  -h, --help        show this help

Linux: the headers declare the Mach API over tsmig's emulation; <mach/mach.h>
and <servers/bootstrap.h> resolve to it. macOS: the system's Mach; only
tsmig's headers are added.
Exit status: 0 flags printed, 1 the library is missing, 2 bad usage.
`;

/** The package root (this file is dist/generator/cli/native-flags.js or generator/cli/native-flags.ts). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'runtime', 'include', 'tsmig', 'mach.h'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The flags, by kind, for this platform. */
export function nativeFlags(
  root: string,
  platform: NodeJS.Platform,
  asan: boolean,
): { cflags: string[]; libs: string[]; library?: string } {
  const include = join(root, 'runtime', 'include');
  if (platform === 'darwin') return { cflags: [`-I${include}`], libs: [] };
  const library = join(root, 'build', 'native', ...(asan ? ['asan'] : []), 'libtsmig.a');
  const cflags = [`-I${include}`, `-I${join(include, 'compat')}`, '-pthread'];
  if (asan) cflags.push('-fsanitize=address,undefined');
  const libs = [library, '-lstdc++', '-pthread'];
  if (asan) libs.unshift('-fsanitize=address,undefined');
  return { cflags, libs, library };
}

async function run(args: string[], io: CliIO): Promise<number> {
  const known = new Set(['--cflags', '--libs', '--build', '--asan']);
  for (const a of args) {
    if (!known.has(a)) {
      io.stderr(`tsmig native-flags: unknown option '${a}' (see tsmig native-flags --help)\n`);
      return 2;
    }
  }
  const root = packageRoot();
  const asan = args.includes('--asan');
  const { cflags, libs, library } = nativeFlags(root, process.platform, asan);
  if (library !== undefined && !existsSync(library)) {
    if (args.includes('--build')) {
      const r = spawnSync(
        'make',
        ['-s', '-C', join(root, 'runtime'), '-j2', asan ? 'asan' : 'lib'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) {
        io.stderr(
          `tsmig native-flags: building the runtime library failed:\n${r.stderr ?? r.error}\n`,
        );
        return 1;
      }
    } else {
      io.stderr(
        `tsmig native-flags: ${library} is not built; run \`tsmig native-flags --build\` ` +
          `or \`make -C ${join(root, 'runtime')}\`\n`,
      );
      return 1;
    }
  }
  const wantC = args.includes('--cflags') || !args.includes('--libs');
  const wantL = args.includes('--libs') || !args.includes('--cflags');
  const out = [...(wantC ? cflags : []), ...(wantL ? libs : [])];
  io.stdout(`${out.join(' ')}\n`);
  return 0;
}

const verb: Verb = { summary: 'print the compile and link flags of a native peer', usage, run };
export default verb;
