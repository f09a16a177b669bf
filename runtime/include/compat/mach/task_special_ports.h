/* Compatibility header: <mach/task_special_ports.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_TASK_SPECIAL_PORTS_H
#define TSMIG_COMPAT_MACH_TASK_SPECIAL_PORTS_H
#include <tsmig/mach.h>
#endif
