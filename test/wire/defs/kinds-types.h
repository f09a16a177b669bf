/* C types of the wire corpus's kinds.defs, for the C stubs (MIG copies `import` lines into them). */
#include <stdint.h>
typedef char bytes_t[16];
typedef int64_t longs_t[4];
typedef int ints_t[6];
typedef char name_t[32];
typedef char label_t[8];
typedef struct { int v[3]; } triple_t;
typedef mach_port_t ports2_t[2];
typedef mach_port_t *ool_ports_t;
typedef int *ool_ints_t;
