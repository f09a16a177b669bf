// Child handshake, platform-neutral: the two messages of the protocol (the
// claim and its answer, one layout, see <tsmig/handshake.h>), the refusal,
// the TSMIG_HANDSHAKE environment value, and the rights a side hands over.
// Encoders build messages that own exactly the rights they carry; decoders
// check every field before anything trusts it.
#ifndef TSMIG_HANDSHAKE_PROTOCOL_H
#define TSMIG_HANDSHAKE_PROTOCOL_H

#include <cstdint>
#include <string>
#include <vector>

#include <tsmig/handshake.h>
#include <tsmig/mig.h>

namespace tsmig::handshake {

/** A right one side owns for the other: sent with a move disposition, or destroyed. */
struct OwnedRight {
  std::string name;
  mach_port_name_t port = MACH_PORT_NULL;
  /** MACH_MSG_TYPE_MOVE_SEND, MOVE_RECEIVE or MOVE_SEND_ONCE. */
  mach_msg_type_name_t disposition = 0;
};

/**
 * Checks a list of named ports (count, names, dispositions) without touching
 * any right: TSMIG_HANDSHAKE_INVALID_PORTS or KERN_SUCCESS.
 */
kern_return_t check_ports(const tsmig_named_port_t *ports, size_t count);

/**
 * Takes the rights a checked list hands over, as rights of our own: a made or
 * copied right is a new reference, a moved one is taken as is. On failure
 * every new reference is released again and moved rights are left as they
 * are (the caller decides: see destroy_moved).
 */
kern_return_t take_rights(const tsmig_named_port_t *ports, size_t count, std::vector<OwnedRight> &out);

/** Releases rights taken by take_rights (the handshake failed). */
void destroy_rights(std::vector<OwnedRight> &rights);

/** Releases the rights of a list the caller never received (moved ones only: the rest were never taken). */
void destroy_moved(const tsmig_named_port_t *ports, size_t count);

/** A random token: TSMIG_HANDSHAKE_TOKEN_SIZE lowercase hex characters. */
std::string random_token();

/** The value of TSMIG_HANDSHAKE: "1:<token>:<locator>". */
std::string environment_value(const std::string &token, const std::string &locator);
/** Splits a TSMIG_HANDSHAKE value; false when it is malformed. */
bool parse_environment_value(const std::string &value, std::string &token, std::string &locator);

/** The largest claim or answer, without a trailer. */
constexpr size_t kMaxMessage = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t) +
                               TSMIG_HANDSHAKE_MAX_PORTS * sizeof(mach_msg_port_descriptor_t) + sizeof(NDR_record_t) +
                               4 + TSMIG_HANDSHAKE_TOKEN_SIZE + 4 +
                               TSMIG_HANDSHAKE_MAX_PORTS * (TSMIG_HANDSHAKE_MAX_NAME + 1);

/** A message buffer aligned for Mach headers, large enough for any claim or answer with an audit trailer. */
struct MessageBuffer {
  alignas(8) uint8_t bytes[kMaxMessage + sizeof(mach_msg_max_trailer_t) + 8];
  mach_msg_header_t *header() { return reinterpret_cast<mach_msg_header_t *>(bytes); }
};

/**
 * Lays out a claim or an answer (`id`) carrying `rights` (moved: the message
 * owns them until it is sent) into `out`. Destination and reply fields are
 * left for the caller. Returns the message size.
 */
mach_msg_size_t encode(MessageBuffer &out, mach_msg_id_t id, const std::string &token,
                       const std::vector<OwnedRight> &rights);

/** What a claim or an answer carried, after decode(). */
struct Decoded {
  std::string token;
  /** The rights, named, with the type each arrived as (MACH_MSG_TYPE_PORT_*). */
  std::vector<tsmig_named_port_t> ports;
  std::vector<std::string> names;  // storage for ports[i].name
};

/**
 * Checks a received claim or answer (`id`) completely: header, descriptors
 * (port descriptors only, at most TSMIG_HANDSHAKE_MAX_PORTS), version, token,
 * names (one per descriptor, non-empty, unique). Nothing is released on
 * failure: the caller destroys the message.
 */
bool decode(const mach_msg_header_t *msg, mach_msg_id_t id, Decoded &out);

/** The error code of a refusal (a mig_reply_error_t answering a claim), or KERN_SUCCESS when `msg` is not one. */
kern_return_t refusal_code(const mach_msg_header_t *msg);

/**
 * Answers the claim `claim` with a refusal carrying `code`, consuming the
 * claim's reply right, then destroys what else the claim carried.
 */
void refuse(mach_msg_header_t *claim, kern_return_t code);

/** A list for the caller: copies `ports` and their names into one allocation. */
tsmig_port_list_t *make_list(const std::vector<tsmig_named_port_t> &ports);

/** The pid of a message's sender, from its audit trailer (the receive asked for it). */
pid_t sender_pid(const mach_msg_header_t *msg);

/** Receive options asking for the audit trailer. */
constexpr mach_msg_option_t kAuditTrailer =
    MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) | MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT);

}  // namespace tsmig::handshake

#endif
