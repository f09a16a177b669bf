/* The C type of callback.defs's message_t, for the C++ stubs (as with MIG: named in an `import`). */
typedef char message_t[256];
