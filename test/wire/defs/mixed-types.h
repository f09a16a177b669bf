/* C types of mixed.defs, declared as a MIG user declares them. */
#include <stdint.h>
typedef char buf_t[64];
typedef int64_t vals_t[8];
typedef char name_t[16];
