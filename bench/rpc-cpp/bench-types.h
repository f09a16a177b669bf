/* C types of bench.defs, declared as a MIG user declares them. */
typedef mach_port_t *ool_ports_copy_t;
