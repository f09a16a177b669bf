// Preprocess stage: the macros defined before the first line is read.
//
// Apple's `mig` runs the system C compiler (clang) as its preprocessor and
// adds `-D__MACH30__` itself, so a `.defs` on a Mac sees clang's target
// macros. These are the ones that matter to interface definitions and to
// the headers they pull in: the platform (`__APPLE__`, `__MACH__`), the data
// model (`__LP64__`), the architecture, byte order and type sizes, and the
// C language level clang reports for a `.c` file. Version-dependent macros
// (`__clang_major__`, deployment-target macros, `__DATE__`) are left out on
// purpose: they would make tsmig's output depend on a guess.

/** The architectures tsmig generates for (both LP64, little-endian). */
export type Target = 'x86_64' | 'arm64';

const COMMON: Array<[string, string]> = [
  ['__MACH30__', '1'],
  ['__APPLE__', '1'],
  ['__APPLE_CC__', '6000'],
  ['__MACH__', '1'],
  ['__STDC__', '1'],
  ['__STDC_HOSTED__', '1'],
  ['__STDC_VERSION__', '201710L'],
  ['__GNUC__', '4'],
  ['__GNUC_MINOR__', '2'],
  ['__GNUC_PATCHLEVEL__', '1'],
  ['__clang__', '1'],
  ['__LP64__', '1'],
  ['_LP64', '1'],
  ['__CHAR_BIT__', '8'],
  ['__SIZEOF_SHORT__', '2'],
  ['__SIZEOF_INT__', '4'],
  ['__SIZEOF_LONG__', '8'],
  ['__SIZEOF_LONG_LONG__', '8'],
  ['__SIZEOF_POINTER__', '8'],
  ['__SIZEOF_SIZE_T__', '8'],
  ['__SIZEOF_WCHAR_T__', '4'],
  ['__ORDER_LITTLE_ENDIAN__', '1234'],
  ['__ORDER_BIG_ENDIAN__', '4321'],
  ['__ORDER_PDP_ENDIAN__', '3412'],
  ['__BYTE_ORDER__', '__ORDER_LITTLE_ENDIAN__'],
  ['__LITTLE_ENDIAN__', '1'],
];

const ARCH: Record<Target, Array<[string, string]>> = {
  x86_64: [
    ['__x86_64__', '1'],
    ['__x86_64', '1'],
    ['__amd64__', '1'],
    ['__amd64', '1'],
  ],
  arm64: [
    ['__arm64__', '1'],
    ['__arm64', '1'],
    ['__aarch64__', '1'],
    ['__AARCH64EL__', '1'],
    ['__ARM64_ARCH_8__', '1'],
    ['__ARM_ARCH', '8'],
    ['__ARM_64BIT_STATE', '1'],
  ],
};

/** The predefined macros for `target`, as (name, value) pairs in definition order. */
export function predefinedMacros(target: Target): Array<[string, string]> {
  return [...COMMON, ...ARCH[target]];
}
