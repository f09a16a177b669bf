// Node addon: the child handshake's glue (see handshake.cc).
#ifndef TSMIG_ADDON_HANDSHAKE_H
#define TSMIG_ADDON_HANDSHAKE_H

#include <napi.h>

namespace tsmig {

/** Registers HandshakeParent, handshakeClaim, claimStatus and handshakeErrorString. */
void ExportHandshakeFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tsmig

#endif  // TSMIG_ADDON_HANDSHAKE_H
