// Conformance with Apple's own .defs: every .defs in a macOS SDK parses
// without a diagnostic for both targets and with the kernel's defines.
// The SDK is not redistributable and CI has none: when it is absent from
// $HOME/.cache/tsmig-macsdk the tests are skipped, saying so.

import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../generator/parse/frontend.js';

const SDK_INCLUDE = join(homedir(), '.cache', 'tsmig-macsdk', 'usr', 'include');
const hasSdk = existsSync(SDK_INCLUDE);

function defsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...defsUnder(path));
    else if (entry.name.endsWith('.defs')) found.push(path);
  }
  return found.sort();
}

const configurations: Array<{
  name: string;
  target: 'x86_64' | 'arm64';
  defines: Array<[string, string]>;
}> = [
  { name: '--target x86_64', target: 'x86_64', defines: [] },
  { name: '--target arm64', target: 'arm64', defines: [] },
  { name: '--target arm64 -DKERNEL_SERVER=1', target: 'arm64', defines: [['KERNEL_SERVER', '1']] },
  { name: '--target x86_64 -DKERNEL_USER=1', target: 'x86_64', defines: [['KERNEL_USER', '1']] },
];

describe.skipIf(!hasSdk)(
  `Apple SDK .defs (skipped: no macOS SDK at ${SDK_INCLUDE}; CI has none)`,
  () => {
    const files = hasSdk ? defsUnder(SDK_INCLUDE) : [];

    it('finds the SDK .defs', () => {
      expect(files.length).toBeGreaterThanOrEqual(20);
    });

    for (const config of configurations) {
      it(`every .defs parses without a diagnostic (${config.name})`, () => {
        const problems: string[] = [];
        for (const file of files) {
          const r = parseFile(file, {
            includePaths: [SDK_INCLUDE],
            target: config.target,
            defines: config.defines,
          });
          for (const d of r.diagnostics)
            problems.push(`${relative(SDK_INCLUDE, file)}: ${d.loc?.line}: ${d.message}`);
        }
        expect(problems).toEqual([]);
      });
    }
  },
);
