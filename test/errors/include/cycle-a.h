/* Included by pp-include-cycle.defs; includes cycle-b.h, which includes this file again. */
#include "cycle-b.h"
