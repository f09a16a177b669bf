# The C++ runtime library's sources, in one place for runtime/Makefile
# (build/native/libtsmig.a, native peers and tests) and for binding.gyp (the
# Node addon links the same files). Paths are relative to the package root.
{
  'variables': {
    # The Linux emulation of Mach IPC (on macOS the system's Mach is used instead).
    'tsmig_runtime_linux_sources': [
      'runtime/src/linux/bootstrap.cc',
      'runtime/src/linux/errors.cc',
      'runtime/src/linux/extensions.cc',
      'runtime/src/linux/fork.cc',
      'runtime/src/linux/mig.cc',
      'runtime/src/linux/notify.cc',
      'runtime/src/linux/port.cc',
      'runtime/src/linux/receive.cc',
      'runtime/src/linux/rights.cc',
      'runtime/src/linux/send.cc',
      'runtime/src/linux/space.cc',
      'runtime/src/linux/vm.cc',
    ],
    # Include directory for <tsmig/mach.h>, <tsmig/mig.h>, <tsmig/runtime.h>.
    'tsmig_runtime_include_dirs': [
      'runtime/include',
    ],
  },
}
