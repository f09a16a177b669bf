/* Compatibility header: <mach/kern_return.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_KERN_RETURN_H
#define TSMIG_COMPAT_MACH_KERN_RETURN_H
#include <tsmig/mach.h>
#endif
