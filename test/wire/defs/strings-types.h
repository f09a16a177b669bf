/* C types of strings.defs, declared as a MIG user declares them. */
typedef char name_t[32];
typedef char path_t[1024];
typedef char tiny_t[3];
typedef char label_t[7];
