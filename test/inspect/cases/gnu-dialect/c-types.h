typedef char name_t[32];
typedef struct { int a; short b; } pair_t;
