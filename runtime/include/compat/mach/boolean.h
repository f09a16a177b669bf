/* Compatibility header: <mach/boolean.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_BOOLEAN_H
#define TSMIG_COMPAT_MACH_BOOLEAN_H
#include <tsmig/mach.h>
#endif
