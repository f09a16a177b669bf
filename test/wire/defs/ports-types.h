/* C types of ports.defs, declared as a MIG user declares them. */
typedef mach_port_t ports3_t[3];
typedef mach_port_t ports_var_t[4];
typedef mach_port_t *ool_ports_t;
typedef mach_port_t *ool_ports_fixed_t;
typedef mach_port_t *poly_ports_t;
