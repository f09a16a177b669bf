/* C types of strings/input.defs, declared as a MIG user declares them (for the C++ compile test). */
typedef char name_t[32];
typedef char path_t[1024];
typedef char tiny_t[3];
typedef char label_t[7];
