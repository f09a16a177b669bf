/* Compatibility header: <mach/message.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_MESSAGE_H
#define TSMIG_COMPAT_MACH_MESSAGE_H
#include <tsmig/mach.h>
#endif
