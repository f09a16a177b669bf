/* Compatibility header: <mach/mach_port.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_MACH_PORT_H
#define TSMIG_COMPAT_MACH_MACH_PORT_H
#include <tsmig/mach.h>
#endif
