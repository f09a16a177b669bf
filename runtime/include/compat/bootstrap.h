/* Compatibility header: <bootstrap.h> for Mach code built on Linux
   against the tsmig emulation (see <tsmig/bootstrap.h> for the protocol). */
#ifndef TSMIG_COMPAT_BOOTSTRAP_H
#define TSMIG_COMPAT_BOOTSTRAP_H
#include <tsmig/bootstrap.h>
#endif
