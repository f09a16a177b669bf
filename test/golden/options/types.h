/* What options/input.defs names in C: the WaitTime expression (for the C++ compile test). */
static const mach_msg_timeout_t default_wait = 250;
