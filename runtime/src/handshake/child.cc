// Child handshake, platform-neutral: the child's side. As the runtime loads
// (a constructor, before main() or when the Node addon is opened) it takes
// TSMIG_HANDSHAKE out of the environment and conceals what it names, so no
// process this one starts inherits the way to the parent. The claim then
// sends the child's own ports with a reply right to the rendezvous and waits
// for the parent's answer: the parent's ports, or a refusal.
#include <cstdlib>
#include <mutex>
#include <string>

#include "child.h"
#include "platform.h"
#include "protocol.h"

namespace tsmig::handshake {

namespace {

struct ChildState {
  std::mutex mu;
  std::string value;     // TSMIG_HANDSHAKE as the process started with it
  bool present = false;  // there was one
  bool taken = false;    // a claim used it
};

ChildState &state() {
  // Never destroyed: a claim may still run on some thread while the process exits.
  static ChildState *s = new ChildState();
  return *s;
}

__attribute__((constructor)) void take_from_environment() {
  const char *value = getenv(TSMIG_HANDSHAKE_ENV);
  if (value == nullptr) return;
  ChildState &s = state();
  s.value = value;
  s.present = true;
  unsetenv(TSMIG_HANDSHAKE_ENV);
  std::string token, locator;
  if (parse_environment_value(s.value, token, locator)) platform::conceal(locator);
}

/** The claim, once the rendezvous is reached: sends `offer` (owned, moved), waits for the answer. */
kern_return_t exchange(mach_port_t rendezvous, const std::string &token, std::vector<OwnedRight> &offer,
                       uint32_t timeout_ms, tsmig_port_list_t **parent_ports) {
  task_t self = mach_task_self();
  mach_port_t reply = MACH_PORT_NULL;
  kern_return_t kr = mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &reply);
  if (kr != KERN_SUCCESS) {
    destroy_rights(offer);
    return kr;
  }
  MessageBuffer buffer;
  mach_msg_size_t size = encode(buffer, TSMIG_HANDSHAKE_CLAIM_ID, token, offer);
  mach_msg_header_t *msg = buffer.header();
  msg->msgh_bits |= MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  msg->msgh_remote_port = rendezvous;
  msg->msgh_local_port = reply;
  bool forever = timeout_ms == TSMIG_HANDSHAKE_NO_TIMEOUT;
  mach_msg_timeout_t wait = timeout_ms == 0 ? TSMIG_HANDSHAKE_DEFAULT_TIMEOUT_MS : timeout_ms;
  mach_msg_return_t mr = mach_msg(msg, MACH_SEND_MSG | (forever ? 0 : MACH_SEND_TIMEOUT), size, 0, MACH_PORT_NULL,
                                  forever ? MACH_MSG_TIMEOUT_NONE : wait, MACH_PORT_NULL);
  if (mr != MACH_MSG_SUCCESS) {
    // Not sent: the offered rights are still ours (unless the body itself was bad, which consumes them).
    if (mr != MACH_SEND_INVALID_RIGHT && mr != MACH_SEND_INVALID_TYPE && mr != MACH_SEND_INVALID_MEMORY) {
      destroy_rights(offer);
    }
    mach_port_mod_refs(self, reply, MACH_PORT_RIGHT_RECEIVE, -1);
    // A dead rendezvous: the parent is gone, or already ended this child's ticket.
    return mr == MACH_SEND_INVALID_DEST ? TSMIG_HANDSHAKE_PARENT_GONE : mr;
  }
  offer.clear();  // on their way to the parent
  mr = mach_msg(msg, MACH_RCV_MSG | (forever ? 0 : MACH_RCV_TIMEOUT), 0, sizeof buffer.bytes, reply,
                forever ? MACH_MSG_TIMEOUT_NONE : wait, MACH_PORT_NULL);
  // The reply right dies with the port: a late answer fails in the parent, which then destroys its rights.
  mach_port_mod_refs(self, reply, MACH_PORT_RIGHT_RECEIVE, -1);
  if (mr == MACH_RCV_TIMED_OUT) return TSMIG_HANDSHAKE_TIMED_OUT;
  if (mr == MACH_RCV_TOO_LARGE) return TSMIG_HANDSHAKE_BAD_MESSAGE;
  if (mr != MACH_MSG_SUCCESS) return mr;
  if (msg->msgh_id == MACH_NOTIFY_SEND_ONCE) {
    // The parent destroyed the claim unanswered (it went away, or gave up on this child).
    mach_msg_destroy(msg);
    return TSMIG_HANDSHAKE_PARENT_GONE;
  }
  if (kern_return_t refused = refusal_code(msg)) return refused;
  Decoded answer;
  if (!decode(msg, TSMIG_HANDSHAKE_ANSWER_ID, answer) || answer.token != token) {
    mach_msg_destroy(msg);
    return TSMIG_HANDSHAKE_BAD_MESSAGE;
  }
  tsmig_port_list_t *list = make_list(answer.ports);
  if (list == nullptr) {
    mach_msg_destroy(msg);
    return KERN_RESOURCE_SHORTAGE;
  }
  *parent_ports = list;
  return KERN_SUCCESS;
}

}  // namespace

kern_return_t claim_status() {
  ChildState &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.present) return TSMIG_HANDSHAKE_NO_PARENT;
  return s.taken ? TSMIG_HANDSHAKE_ALREADY_CLAIMED : KERN_SUCCESS;
}

}  // namespace tsmig::handshake

using namespace tsmig::handshake;

extern "C" {

int tsmig_started_with_ports(void) { return claim_status() == KERN_SUCCESS; }

kern_return_t tsmig_claim_parent_ports(const tsmig_named_port_t *offer, size_t offer_count, uint32_t timeout_ms,
                                       tsmig_port_list_t **parent_ports) {
  if (parent_ports == nullptr) return KERN_INVALID_ARGUMENT;
  *parent_ports = nullptr;
  if (kern_return_t kr = check_ports(offer, offer_count)) return kr;
  std::string value;
  {
    ChildState &s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.present) return TSMIG_HANDSHAKE_NO_PARENT;
    if (s.taken) return TSMIG_HANDSHAKE_ALREADY_CLAIMED;
    s.taken = true;
    value = s.value;
  }
  // From here on the offered moved rights are the claim's, whatever happens.
  std::string token, locator;
  if (!parse_environment_value(value, token, locator)) {
    destroy_moved(offer, offer_count);
    return TSMIG_HANDSHAKE_BAD_ENVIRONMENT;
  }
  mach_port_t rendezvous = MACH_PORT_NULL;
  kern_return_t kr = platform::reach(locator, &rendezvous);
  if (kr != KERN_SUCCESS) {
    platform::release(locator);
    destroy_moved(offer, offer_count);
    return kr;
  }
  std::vector<OwnedRight> owned;
  kr = take_rights(offer, offer_count, owned);
  if (kr != KERN_SUCCESS) {
    destroy_moved(offer, offer_count);
  } else {
    kr = exchange(rendezvous, token, owned, timeout_ms, parent_ports);
  }
  mach_port_deallocate(mach_task_self(), rendezvous);
  return kr;
}

}  // extern "C"
