// A native child for the handshake tests: a C++ program linked with the
// runtime library that claims its parent's ports with
// tsmig::claim_parent_ports. Modes (argv[1]):
//   exchange  offers "inbox" and plays the exchange of script.h
//   report    claims offering nothing; prints "claimed <name>=<right>;..." or
//             "error <code> <sentence>"; claims a second time and prints that
//             outcome too; exits 0
//   announce  prints "claiming", claims offering "inbox", sends "held" (id 100)
//             to the parent's "control"
//   vanish    (Linux) sends a well-formed claim by hand through its
//             descriptor, offering a receive right "mine", and exits at once
//   junk      first sends the rendezvous malformed claims (through a copy of
//             its descriptor) and prints how each was answered, one line
//             each, then claims properly and prints the outcome, then tries
//             the kept copy once more and prints what happens
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <tsmig/mig.h>
#include <tsmig/runtime.h>

#include "script.h"

namespace {

std::string describe(const tsmig::PortMap &ports) {
  std::string out;
  for (const auto &entry : ports) out += (out.empty() ? "" : ";") + entry.first + "=" + script::right_of(entry.second);
  return out;
}

void print_outcome(kern_return_t kr, const tsmig::PortMap &ports) {
  if (kr == KERN_SUCCESS) {
    std::printf("claimed %s\n", describe(ports).c_str());
  } else {
    std::printf("error 0x%x %s\n", kr, tsmig_handshake_error_string(kr));
  }
  std::fflush(stdout);
}

int exchange() {
  mach_port_t inbox = MACH_PORT_NULL;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &inbox), "allocate");
  tsmig::PortMap parent;
  script::check(tsmig::claim_parent_ports(parent, {{"inbox", inbox, MACH_MSG_TYPE_MAKE_SEND}}), "claim");
  mach_port_t control = parent.at("control");
  script::send_text(control, 100, describe(parent));
  script::expect_text(inbox, 200, "ping");
  script::send_text(control, 201, "pong:ping");
  script::send_text(parent.at("data"), 300, "data");
  script::send_text(parent.at("moved"), 400, "moved");
  script::send_text(parent.at("once"), 500, "once", MACH_MSG_TYPE_MOVE_SEND_ONCE);
  mach_msg_id_t id = 0;
  std::string text = script::receive_text(parent.at("receiver"), &id);
  script::expect(id == 600, "message on receiver");
  script::send_text(control, 601, "got:" + text);
  script::expect_text(inbox, 999, "");
  return 0;
}

/** TSMIG_HANDSHAKE as the process started (the runtime took it out of the live environment). */
std::string started_with() {
  std::ifstream file("/proc/self/environ");
  std::stringstream all;
  all << file.rdbuf();
  std::string environment = all.str();
  const std::string key = TSMIG_HANDSHAKE_ENV "=";
  for (size_t at = 0; at < environment.size();) {
    size_t end = environment.find('\0', at);
    std::string entry = environment.substr(at, end - at);
    if (entry.compare(0, key.size(), key) == 0) return entry.substr(key.size());
    at = end == std::string::npos ? environment.size() : end + 1;
  }
  return "";
}

#pragma pack(push, 4)
/** A claim laid out by hand from the protocol's description (handshake.h), independently of the runtime. */
struct HandClaim {
  mach_msg_header_t header;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  NDR_record_t ndr;
  uint32_t version;
  char token[32];
  uint32_t names_size;
  char names[8];
};
#pragma pack(pop)

/** Sends `claim` (its first `size` bytes) with a reply right and says how it was answered. */
std::string answer_to(mach_port_t rendezvous, void *claim, mach_msg_size_t size) {
  mach_port_t reply = MACH_PORT_NULL;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply), "allocate");
  auto *header = static_cast<mach_msg_header_t *>(claim);
  header->msgh_bits = (header->msgh_bits & MACH_MSGH_BITS_COMPLEX) |
                      MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  header->msgh_size = size;
  header->msgh_remote_port = rendezvous;
  header->msgh_local_port = reply;
  mach_msg_return_t sent = mach_msg(header, MACH_SEND_MSG, size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
  if (sent != MACH_MSG_SUCCESS) {
    mach_msg_destroy(header);
    mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
    return std::string("not sent: ") + mach_error_string(sent);
  }
  union {
    mach_msg_header_t header;
    mig_reply_error_t error;
    uint8_t bytes[256];
  } in;
  script::check(mach_msg(&in.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, reply, 20000, MACH_PORT_NULL),
                "receive the answer");
  mach_port_mod_refs(mach_task_self(), reply, MACH_PORT_RIGHT_RECEIVE, -1);
  if (in.header.msgh_id == MACH_NOTIFY_SEND_ONCE) return "dropped";
  if (in.header.msgh_id == TSMIG_HANDSHAKE_ANSWER_ID && in.header.msgh_size == sizeof(mig_reply_error_t)) {
    return tsmig_handshake_error_string(in.error.RetCode);
  }
  return "answered " + std::to_string(in.header.msgh_id);
}

int junk() {
  std::string value = started_with();
  int fd = std::atoi(value.substr(value.rfind("fd=") + 3).c_str());
  mach_port_t rendezvous = MACH_PORT_NULL;
  script::check(tsmig_fd_to_send_right(fcntl(fd, F_DUPFD_CLOEXEC, 0), &rendezvous), "a copy of the rendezvous");
  std::string token = value.substr(2, 32);

  auto well_formed = [&](const std::string &with_token) {
    HandClaim c{};
    c.header.msgh_bits = MACH_MSGH_BITS_COMPLEX;
    c.header.msgh_id = TSMIG_HANDSHAKE_CLAIM_ID;
    c.body.msgh_descriptor_count = 1;
    script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &c.port.name), "allocate");
    c.port.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;  // the parent must destroy it when it refuses
    c.port.type = MACH_MSG_PORT_DESCRIPTOR;
    c.ndr = NDR_record;
    c.version = TSMIG_HANDSHAKE_VERSION;
    std::memcpy(c.token, with_token.data(), 32);
    c.names_size = 5;
    std::memcpy(c.names, "mine", 5);
    return c;
  };
  std::vector<std::pair<std::string, std::string>> results;
  {
    mach_msg_header_t h{};
    h.msgh_id = 12345;
    results.emplace_back("unknown id", answer_to(rendezvous, &h, sizeof h));
  }
  {
    HandClaim c = well_formed(token);
    mach_port_mod_refs(mach_task_self(), c.port.name, MACH_PORT_RIGHT_RECEIVE, -1);
    c.body.msgh_descriptor_count = 0;
    results.emplace_back("truncated", answer_to(rendezvous, &c, sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t)));
  }
  {
    HandClaim c = well_formed(token);
    c.version = 2;
    results.emplace_back("version 2", answer_to(rendezvous, &c, sizeof c));
  }
  {
    HandClaim c = well_formed(token);
    c.names_size = 8;
    std::memcpy(c.names, "a\0b\0c\0d", 8);  // four names for one port
    results.emplace_back("names mismatch", answer_to(rendezvous, &c, sizeof c));
  }
  {
    HandClaim c = well_formed(std::string(32, '0'));
    results.emplace_back("wrong token", answer_to(rendezvous, &c, sizeof c));
  }
  {
    std::vector<uint8_t> huge(64 * 1024);
    auto *h = reinterpret_cast<mach_msg_header_t *>(huge.data());
    h->msgh_id = TSMIG_HANDSHAKE_CLAIM_ID;
    results.emplace_back("too large", answer_to(rendezvous, huge.data(), static_cast<mach_msg_size_t>(huge.size())));
  }
  for (const auto &r : results) std::printf("%s: %s\n", r.first.c_str(), r.second.c_str());
  tsmig::PortMap parent;
  kern_return_t kr = tsmig::claim_parent_ports(parent);
  print_outcome(kr, parent);
  for (const auto &entry : parent) mach_port_deallocate(mach_task_self(), entry.second);
  // Once claimed, the rendezvous is gone: the copy kept of its descriptor leads nowhere.
  HandClaim late = well_formed(token);
  std::printf("after the claim: %s\n", answer_to(rendezvous, &late, sizeof late).c_str());
  mach_port_deallocate(mach_task_self(), rendezvous);
  return 0;
}

/** Sends a well-formed claim (offering "mine", a receive right) with a reply right, and exits before any answer. */
int vanish() {
  std::string value = started_with();
  int fd = std::atoi(value.substr(value.rfind("fd=") + 3).c_str());
  mach_port_t rendezvous = MACH_PORT_NULL;
  script::check(tsmig_fd_to_send_right(fd, &rendezvous), "the rendezvous");
  mach_port_t reply = MACH_PORT_NULL;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply), "allocate");
  HandClaim c{};
  c.header.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  c.header.msgh_size = sizeof c;
  c.header.msgh_remote_port = rendezvous;
  c.header.msgh_local_port = reply;
  c.header.msgh_id = TSMIG_HANDSHAKE_CLAIM_ID;
  c.body.msgh_descriptor_count = 1;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &c.port.name), "allocate");
  c.port.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
  c.port.type = MACH_MSG_PORT_DESCRIPTOR;
  c.ndr = NDR_record;
  c.version = TSMIG_HANDSHAKE_VERSION;
  std::memcpy(c.token, value.data() + 2, 32);
  c.names_size = 5;
  std::memcpy(c.names, "mine", 5);
  script::check(mach_msg(&c.header, MACH_SEND_MSG, sizeof c, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "send the claim");
  // Gone before the answer: the reply port dies with this process.
  _exit(0);
}

int announce() {
  std::printf("claiming\n");
  std::fflush(stdout);
  mach_port_t inbox = MACH_PORT_NULL;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &inbox), "allocate");
  tsmig::PortMap parent;
  script::check(tsmig::claim_parent_ports(parent, {{"inbox", inbox, MACH_MSG_TYPE_MAKE_SEND}}), "claim");
  script::send_text(parent.at("control"), 100, "held");
  return 0;
}

int report() {
  tsmig::PortMap parent;
  kern_return_t kr = tsmig::claim_parent_ports(parent);
  print_outcome(kr, parent);
  tsmig::PortMap again;
  print_outcome(tsmig::claim_parent_ports(again), again);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "exchange") return exchange();
  if (mode == "report") return report();
  if (mode == "junk") return junk();
  if (mode == "announce") return announce();
  if (mode == "vanish") return vanish();
  std::fprintf(stderr, "usage: claimer exchange|report|junk|announce|vanish\n");
  return 2;
}
