// Child handshake, platform-neutral: the parent's side (see parent.h).
#include "parent.h"

#include <atomic>
#include <cstring>

#include <tsmig/runtime.h>

#include "platform.h"

namespace tsmig::handshake {

namespace {

/** Claims held at most at once (a flood from strangers is refused beyond this). */
constexpr size_t kMaxHeld = 64;

/** Ticket numbers are unique in the process, whichever Parent issues them. */
std::atomic<uint64_t> g_next_ticket{1};

bool valid_prefix(const std::string &prefix) {
  if (prefix.empty() || prefix.size() > TSMIG_HANDSHAKE_MAX_PREFIX) return false;
  for (char c : prefix) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

void destroy_receive(mach_port_t port) {
  if (MACH_PORT_VALID(port)) mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
}

/** Body errors make a failed send consume (part of) the carried rights, as XNU does: they are not ours to destroy then. */
bool send_consumed_body(mach_msg_return_t mr) {
  return mr == MACH_SEND_INVALID_RIGHT || mr == MACH_SEND_INVALID_TYPE || mr == MACH_SEND_INVALID_MEMORY;
}

}  // namespace

Parent::Parent(std::string service_prefix)
    : prefix_(std::move(service_prefix)), per_child_(platform::rendezvous_per_child()) {}

Parent::~Parent() {
  std::lock_guard<std::mutex> lock(mu_);
  while (!tickets_.empty()) end(tickets_.begin());
  for (std::vector<uint8_t> &claim : held_) {
    tsmig::handshake::refuse(reinterpret_cast<mach_msg_header_t *>(claim.data()), TSMIG_HANDSHAKE_PARENT_GONE);
  }
  held_.clear();
  destroy_receive(service_);
  if (MACH_PORT_VALID(set_)) mach_port_mod_refs(mach_task_self(), set_, MACH_PORT_RIGHT_PORT_SET, -1);
}

kern_return_t Parent::ensure_set() {
  if (set_ != MACH_PORT_NULL) return KERN_SUCCESS;
  return mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set_);
}

kern_return_t Parent::watch_fd(int *fd) {
  std::lock_guard<std::mutex> lock(mu_);
  kern_return_t kr = ensure_set();
  return kr != KERN_SUCCESS ? kr : tsmig_port_watch_fd(set_, fd);
}

kern_return_t Parent::prepare(const tsmig_named_port_t *ports, size_t count, int child_fd, Prepared &out) {
  if (kern_return_t kr = check_ports(ports, count)) return kr;
  std::lock_guard<std::mutex> lock(mu_);
  if (kern_return_t kr = ensure_set()) {
    destroy_moved(ports, count);
    return kr;
  }
  Ticket ticket;
  ticket.token = random_token();
  if (ticket.token.empty()) {
    destroy_moved(ports, count);
    return KERN_FAILURE;
  }
  std::string locator;
  int inherit_fd = -1;
  kern_return_t kr = KERN_SUCCESS;
  if (per_child_) {
    // A port for this child alone: nobody else can hold a send right to it.
    kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &ticket.rendezvous);
    if (kr == KERN_SUCCESS) kr = mach_port_move_member(mach_task_self(), ticket.rendezvous, set_);
  } else if (service_ == MACH_PORT_NULL) {
    if (!valid_prefix(prefix_)) return KERN_INVALID_ARGUMENT;
    kr = open_service();
  }
  if (kr == KERN_SUCCESS) {
    kr = platform::child_endpoint(per_child_ ? ticket.rendezvous : service_, service_locator_, child_fd, &inherit_fd,
                                  locator);
  }
  if (kr != KERN_SUCCESS) {
    destroy_receive(ticket.rendezvous);
    destroy_moved(ports, count);
    return kr;
  }
  kr = take_rights(ports, count, ticket.rights);
  if (kr != KERN_SUCCESS) {
    platform::close_endpoint(inherit_fd);
    destroy_receive(ticket.rendezvous);
    destroy_moved(ports, count);
    return kr;
  }
  ticket.id = g_next_ticket.fetch_add(1);
  out.ticket = ticket.id;
  out.environment_value = environment_value(ticket.token, locator);
  out.inherit_fd = inherit_fd;
  tickets_.emplace(ticket.id, std::move(ticket));
  return KERN_SUCCESS;
}

kern_return_t Parent::open_service() {
  std::string service_token = random_token();
  if (service_token.empty()) return KERN_FAILURE;
  mach_port_t service = MACH_PORT_NULL;
  kern_return_t kr = platform::open_service(prefix_, service_token, &service, service_locator_);
  if (kr != KERN_SUCCESS) return kr;
  kr = mach_port_move_member(mach_task_self(), service, set_);
  if (kr != KERN_SUCCESS) {
    destroy_receive(service);
    return kr;
  }
  service_ = service;
  return KERN_SUCCESS;
}

kern_return_t Parent::started(uint64_t ticket, pid_t pid, std::vector<Outcome> &outcomes) {
  if (pid <= 0) return KERN_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tickets_.find(ticket);
  if (it == tickets_.end() || it->second.pid != 0) return TSMIG_HANDSHAKE_UNKNOWN_TICKET;
  it->second.pid = pid;
  reconsider_held(outcomes);
  return KERN_SUCCESS;
}

kern_return_t Parent::abandon(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return TSMIG_HANDSHAKE_UNKNOWN_TICKET;
  end(it);
  // With one spawn fewer in flight, held claims from strangers may be refused now.
  std::vector<Outcome> none;
  reconsider_held(none);
  return KERN_SUCCESS;
}

size_t Parent::pending() {
  std::lock_guard<std::mutex> lock(mu_);
  return tickets_.size();
}

uint64_t Parent::refused() {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_;
}

void Parent::drain(std::vector<Outcome> &outcomes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (set_ == MACH_PORT_NULL) return;
  MessageBuffer buffer;
  for (;;) {
    mach_msg_header_t *msg = buffer.header();
    // A message larger than any claim is destroyed by the receive (no MACH_RCV_LARGE): nothing to answer.
    mach_msg_return_t mr = mach_msg(msg, MACH_RCV_MSG | MACH_RCV_TIMEOUT | kAuditTrailer, 0, sizeof buffer.bytes,
                                    set_, 0, MACH_PORT_NULL);
    if (mr == MACH_RCV_TOO_LARGE) {
      refused_++;
      continue;
    }
    if (mr != MACH_MSG_SUCCESS) return;
    handle(msg, outcomes);
  }
}

void Parent::end(std::map<uint64_t, Ticket>::iterator it) {
  destroy_rights(it->second.rights);
  // The child's descriptor leads nowhere from now on; queued claims die with the port.
  destroy_receive(it->second.rendezvous);
  tickets_.erase(it);
}

bool Parent::any_unstarted() const {
  for (const auto &entry : tickets_) {
    if (entry.second.pid == 0) return true;
  }
  return false;
}

void Parent::refuse_claim(mach_msg_header_t *claim, kern_return_t code) {
  refused_++;
  tsmig::handshake::refuse(claim, code);
}

void Parent::hold(const mach_msg_header_t *msg) {
  if (held_.size() >= kMaxHeld) {
    refuse_claim(reinterpret_cast<mach_msg_header_t *>(held_.front().data()), TSMIG_HANDSHAKE_NOT_CHILD);
    held_.pop_front();
  }
  mach_msg_trailer_t trailer;
  memcpy(&trailer, reinterpret_cast<const uint8_t *>(msg) + msg->msgh_size, sizeof trailer);
  const uint8_t *bytes = reinterpret_cast<const uint8_t *>(msg);
  // Kept with its trailer (the sender's pid) and every right it carries, until a registration decides.
  held_.emplace_back(bytes, bytes + msg->msgh_size + trailer.msgh_trailer_size);
}

void Parent::reconsider_held(std::vector<Outcome> &outcomes) {
  std::deque<std::vector<uint8_t>> waiting;
  waiting.swap(held_);
  for (std::vector<uint8_t> &claim : waiting) {
    // A copy aligned for the header: handle() may hold it again.
    MessageBuffer buffer;
    memcpy(buffer.bytes, claim.data(), std::min(claim.size(), sizeof buffer.bytes));
    handle(buffer.header(), outcomes);
  }
}

void Parent::handle(mach_msg_header_t *msg, std::vector<Outcome> &outcomes) {
  Decoded claimed;
  if (!decode(msg, TSMIG_HANDSHAKE_CLAIM_ID, claimed)) {
    refuse_claim(msg, TSMIG_HANDSHAKE_BAD_MESSAGE);
    return;
  }
  pid_t pid = sender_pid(msg);
  Ticket *match = nullptr;
  if (per_child_) {
    // The port it came through names the ticket; only that ticket's child may use it.
    for (auto &entry : tickets_) {
      if (entry.second.rendezvous == msg->msgh_local_port) match = &entry.second;
    }
    if (match != nullptr && match->pid == 0) {
      hold(msg);
      return;
    }
    if (match == nullptr || match->pid != pid) {
      refuse_claim(msg, TSMIG_HANDSHAKE_NOT_CHILD);
      return;
    }
    if (match->token != claimed.token) match = nullptr;
  } else {
    // One service for every child: the pid (and the token, should a pid come back) names the ticket.
    bool known_pid = false;
    for (auto &entry : tickets_) {
      if (pid <= 0 || entry.second.pid != pid) continue;
      known_pid = true;
      if (entry.second.token == claimed.token) match = &entry.second;
    }
    if (!known_pid) {
      if (any_unstarted()) {
        hold(msg);
      } else {
        refuse_claim(msg, TSMIG_HANDSHAKE_NOT_CHILD);
      }
      return;
    }
  }
  if (match == nullptr) {
    refuse_claim(msg, TSMIG_HANDSHAKE_BAD_TOKEN);
    return;
  }
  mach_msg_type_name_t reply_type = MACH_MSGH_BITS_REMOTE(msg->msgh_bits);
  // A dead reply port (real Mach: the child died after sending) is served, so the ticket ends as CHILD_GONE.
  if (msg->msgh_remote_port == MACH_PORT_NULL ||
      (reply_type != MACH_MSG_TYPE_PORT_SEND_ONCE && reply_type != MACH_MSG_TYPE_PORT_SEND)) {
    refuse_claim(msg, TSMIG_HANDSHAKE_BAD_MESSAGE);
    return;
  }
  serve(*match, msg, claimed, outcomes);
}

void Parent::serve(Ticket &ticket, mach_msg_header_t *claim, Decoded &claimed, std::vector<Outcome> &outcomes) {
  // Claimed once: the child's rendezvous is gone before the answer can reach it.
  destroy_receive(ticket.rendezvous);
  ticket.rendezvous = MACH_PORT_NULL;
  MessageBuffer answer;
  mach_msg_size_t size = encode(answer, TSMIG_HANDSHAKE_ANSWER_ID, ticket.token, ticket.rights);
  mach_msg_header_t *head = answer.header();
  head->msgh_bits |= MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(claim->msgh_bits), 0);
  head->msgh_remote_port = claim->msgh_remote_port;
  mach_msg_return_t mr =
      mach_msg(head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
  Outcome outcome;
  outcome.ticket = ticket.id;
  outcome.pid = ticket.pid;
  if (mr == MACH_MSG_SUCCESS) {
    ticket.rights.clear();  // moved to the child
    outcome.code = KERN_SUCCESS;
    outcome.child = std::move(claimed);
  } else {
    // The child stopped waiting (its reply port died): its offered rights and the reply right go.
    if (send_consumed_body(mr)) ticket.rights.clear();
    mach_msg_destroy(claim);
    outcome.code = TSMIG_HANDSHAKE_CHILD_GONE;
  }
  outcomes.push_back(std::move(outcome));
  end(tickets_.find(ticket.id));
}

}  // namespace tsmig::handshake
