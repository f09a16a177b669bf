/* Compatibility header: <mach/vm_map.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_VM_MAP_H
#define TSMIG_COMPAT_MACH_VM_MAP_H
#include <tsmig/mach.h>
#endif
