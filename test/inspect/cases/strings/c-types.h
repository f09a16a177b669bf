typedef char name_t[32];
typedef char label_t[7];
