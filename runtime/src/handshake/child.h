// Child handshake, platform-neutral: what the child's side tells the Node
// addon beyond the C API of <tsmig/handshake.h>.
#ifndef TSMIG_HANDSHAKE_CHILD_H
#define TSMIG_HANDSHAKE_CHILD_H

#include <tsmig/mach.h>

namespace tsmig::handshake {

/**
 * Whether this process can claim now: KERN_SUCCESS, TSMIG_HANDSHAKE_NO_PARENT
 * (not started with ports) or TSMIG_HANDSHAKE_ALREADY_CLAIMED.
 */
kern_return_t claim_status();

}  // namespace tsmig::handshake

#endif
