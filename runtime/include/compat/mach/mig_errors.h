/* Compatibility header: <mach/mig_errors.h> for MIG-generated code built on Linux
   against the tsmig emulation. Everything lives in <tsmig/mig.h>. */
#ifndef TSMIG_COMPAT_MACH_MIG_ERRORS_H
#define TSMIG_COMPAT_MACH_MIG_ERRORS_H
#include <tsmig/mig.h>
#endif
