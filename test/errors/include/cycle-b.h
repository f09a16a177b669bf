/* Part of the include cycle of pp-include-cycle.defs. */
#include "cycle-a.h"
