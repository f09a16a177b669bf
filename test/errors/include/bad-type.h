/* Included by parse-through-macro-and-include.defs. */
type bad_t = array[*:4] of ;
