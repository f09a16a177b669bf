/* C types of arrays/input.defs, declared as a MIG user declares them (for the C++ compile test). */
#include <stdint.h>
typedef short shorts3_t[3];
typedef char bytes5_t[5];
typedef int64_t wide2_t[2];
typedef struct { int v[3]; } triple_t;
typedef struct { char v[3]; } odd_t;
typedef char bytes_t[10];
typedef int ints_t[6];
typedef int64_t longs_t[3];
typedef short shorts_var_t[5];
typedef double doubles_t[4];
typedef int *ool_ints_t;
typedef int *ool_bounded_t;
typedef uint64_t *ool_fixed_t;
typedef int *ool_block_t;
typedef triple_t trips_t[4];
typedef int *ool_blocks_t[3];
