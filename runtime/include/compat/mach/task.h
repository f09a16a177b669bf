/* Compatibility header: <mach/task.h> for Mach code built on Linux against the
   tsmig emulation. Everything lives in <tsmig/mach.h>. */
#ifndef TSMIG_COMPAT_MACH_TASK_H
#define TSMIG_COMPAT_MACH_TASK_H
#include <tsmig/mach.h>
#endif
