/* Compatibility header: <mach/error.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_ERROR_H
#define TSMIG_COMPAT_MACH_ERROR_H
#include <tsmig/mach.h>
#endif
