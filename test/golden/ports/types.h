/* C types of ports/input.defs, declared as a MIG user declares them (for the C++ compile test). */
typedef mach_port_t ports3_t[3];
typedef mach_port_t ports_var_t[4];
typedef mach_port_t *ool_ports_t;
typedef mach_port_t *ool_ports_fixed_t;
typedef mach_port_t *poly_ports_t;
