/* Compatibility header: <mach/mach_init.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_MACH_INIT_H
#define TSMIG_COMPAT_MACH_MACH_INIT_H
#include <tsmig/mach.h>
#include <tsmig/mig.h>
#endif
