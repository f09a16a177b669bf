typedef short shorts3_t[3];
typedef char bytes5_t[5];
typedef int64_t wide2_t[2];
typedef int triple_t[3];
typedef char odd_t[3];
