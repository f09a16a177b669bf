// Child handshake, platform-neutral: the protocol's messages, rights and
// environment value (see protocol.h). Nothing here knows which system it
// runs on: it speaks Mach through <tsmig/mach.h>.
#include "protocol.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include <tsmig/runtime.h>

namespace tsmig::handshake {

namespace {

#pragma pack(push, 4)
/** What follows the descriptors in a claim or an answer. */
struct InlinePart {
  NDR_record_t NDR;
  uint32_t version;
  char token[TSMIG_HANDSHAKE_TOKEN_SIZE];
  uint32_t names_size;
};
#pragma pack(pop)
static_assert(sizeof(InlinePart) == 48, "inline part layout");
static_assert(sizeof(mach_msg_port_descriptor_t) == 12, "port descriptor layout");

constexpr size_t kHeadAndBody = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t);

bool is_handing_disposition(mach_msg_type_name_t d) {
  switch (d) {
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_MOVE_RECEIVE:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      return true;
    default:
      return false;
  }
}

bool is_hex_token(const char *p, size_t n) {
  if (n != TSMIG_HANDSHAKE_TOKEN_SIZE) return false;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void release(mach_port_name_t port, mach_msg_type_name_t owned) {
  if (!MACH_PORT_VALID(port)) return;
  if (owned == MACH_MSG_TYPE_MOVE_RECEIVE) {
    mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
  } else {
    // One send, send-once or dead-name reference: deallocate releases whichever the name holds.
    mach_port_deallocate(mach_task_self(), port);
  }
}

/** Whether `port` holds the right a move disposition takes. */
bool holds(mach_port_name_t port, mach_msg_type_name_t move) {
  mach_port_type_t type = 0;
  if (mach_port_type(mach_task_self(), port, &type) != KERN_SUCCESS) return false;
  switch (move) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      return (type & MACH_PORT_TYPE_RECEIVE) != 0;
    case MACH_MSG_TYPE_MOVE_SEND:
      return (type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME)) != 0;
    default:
      return (type & (MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DEAD_NAME)) != 0;
  }
}

/** Takes one right as our own; returns the right to send it with. */
kern_return_t take_one(const tsmig_named_port_t &p, OwnedRight &out) {
  task_t self = mach_task_self();
  out.name = p.name;
  out.port = p.port;
  switch (p.disposition) {
    case MACH_MSG_TYPE_MAKE_SEND:
      out.disposition = MACH_MSG_TYPE_MOVE_SEND;
      return mach_port_insert_right(self, p.port, p.port, MACH_MSG_TYPE_MAKE_SEND);
    case MACH_MSG_TYPE_COPY_SEND: {
      out.disposition = MACH_MSG_TYPE_MOVE_SEND;
      kern_return_t kr = mach_port_mod_refs(self, p.port, MACH_PORT_RIGHT_SEND, 1);
      // A send right whose port died is a dead name: a copy of it travels as MACH_PORT_DEAD.
      if (kr != KERN_SUCCESS) kr = mach_port_mod_refs(self, p.port, MACH_PORT_RIGHT_DEAD_NAME, 1);
      return kr;
    }
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: {
      out.disposition = MACH_MSG_TYPE_MOVE_SEND_ONCE;
      mach_msg_type_name_t type = 0;
      return mach_port_extract_right(self, p.port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &out.port, &type);
    }
    default:
      out.disposition = p.disposition;
      return holds(p.port, p.disposition) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
  }
}

}  // namespace

kern_return_t check_ports(const tsmig_named_port_t *ports, size_t count) {
  if (count > TSMIG_HANDSHAKE_MAX_PORTS || (count > 0 && ports == nullptr)) return TSMIG_HANDSHAKE_INVALID_PORTS;
  std::set<std::string> seen;
  for (size_t i = 0; i < count; i++) {
    const tsmig_named_port_t &p = ports[i];
    if (p.name == nullptr || !MACH_PORT_VALID(p.port) || !is_handing_disposition(p.disposition)) {
      return TSMIG_HANDSHAKE_INVALID_PORTS;
    }
    size_t n = strnlen(p.name, TSMIG_HANDSHAKE_MAX_NAME + 1);
    if (n == 0 || n > TSMIG_HANDSHAKE_MAX_NAME || !seen.insert(p.name).second) return TSMIG_HANDSHAKE_INVALID_PORTS;
  }
  return KERN_SUCCESS;
}

kern_return_t take_rights(const tsmig_named_port_t *ports, size_t count, std::vector<OwnedRight> &out) {
  out.clear();
  out.reserve(count);
  for (size_t i = 0; i < count; i++) {
    OwnedRight r;
    kern_return_t kr = take_one(ports[i], r);
    if (kr != KERN_SUCCESS) {
      // Give back the references made so far; moved rights were never more than bookkeeping.
      for (size_t k = 0; k < out.size(); k++) {
        mach_msg_type_name_t asked = ports[k].disposition;
        bool made = asked == MACH_MSG_TYPE_MAKE_SEND || asked == MACH_MSG_TYPE_COPY_SEND ||
                    asked == MACH_MSG_TYPE_MAKE_SEND_ONCE;
        if (made) release(out[k].port, out[k].disposition);
      }
      out.clear();
      return kr;
    }
    out.push_back(std::move(r));
  }
  return KERN_SUCCESS;
}

void destroy_rights(std::vector<OwnedRight> &rights) {
  for (OwnedRight &r : rights) release(r.port, r.disposition);
  rights.clear();
}

void destroy_moved(const tsmig_named_port_t *ports, size_t count) {
  for (size_t i = 0; i < count; i++) {
    mach_msg_type_name_t d = ports[i].disposition;
    if (d == MACH_MSG_TYPE_MOVE_SEND || d == MACH_MSG_TYPE_MOVE_RECEIVE || d == MACH_MSG_TYPE_MOVE_SEND_ONCE) {
      release(ports[i].port, d);
    }
  }
}

std::string random_token() {
  uint8_t raw[TSMIG_HANDSHAKE_TOKEN_SIZE / 2];
  if (getentropy(raw, sizeof raw) != 0) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, raw, sizeof raw) : -1;
    if (fd >= 0) close(fd);
    if (n != static_cast<ssize_t>(sizeof raw)) return std::string();
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (uint8_t b : raw) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 15]);
  }
  return token;
}

std::string environment_value(const std::string &token, const std::string &locator) {
  return std::to_string(TSMIG_HANDSHAKE_VERSION) + ":" + token + ":" + locator;
}

bool parse_environment_value(const std::string &value, std::string &token, std::string &locator) {
  const std::string version = std::to_string(TSMIG_HANDSHAKE_VERSION) + ":";
  if (value.compare(0, version.size(), version) != 0) return false;
  size_t at = version.size();
  size_t colon = value.find(':', at);
  if (colon == std::string::npos || !is_hex_token(value.data() + at, colon - at) || colon + 1 >= value.size()) {
    return false;
  }
  token = value.substr(at, colon - at);
  locator = value.substr(colon + 1);
  return true;
}

mach_msg_size_t encode(MessageBuffer &out, mach_msg_id_t id, const std::string &token,
                       const std::vector<OwnedRight> &rights) {
  uint8_t *base = out.bytes;
  size_t names_size = 0;
  for (const OwnedRight &r : rights) names_size += r.name.size() + 1;
  size_t at = kHeadAndBody + rights.size() * sizeof(mach_msg_port_descriptor_t);
  size_t size = at + sizeof(InlinePart) + ((names_size + 3) & ~size_t{3});
  memset(base, 0, size);

  mach_msg_header_t head{};
  head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
  head.msgh_size = static_cast<mach_msg_size_t>(size);
  head.msgh_id = id;
  memcpy(base, &head, sizeof head);
  mach_msg_body_t body{static_cast<mach_msg_size_t>(rights.size())};
  memcpy(base + sizeof head, &body, sizeof body);
  for (size_t i = 0; i < rights.size(); i++) {
    mach_msg_port_descriptor_t d{};
    d.name = rights[i].port;
    d.disposition = rights[i].disposition;
    d.type = MACH_MSG_PORT_DESCRIPTOR;
    memcpy(base + kHeadAndBody + i * sizeof d, &d, sizeof d);
  }
  InlinePart part{};
  part.NDR = NDR_record;
  part.version = TSMIG_HANDSHAKE_VERSION;
  memcpy(part.token, token.data(), std::min(token.size(), sizeof part.token));
  part.names_size = static_cast<uint32_t>(names_size);
  memcpy(base + at, &part, sizeof part);
  at += sizeof part;
  for (const OwnedRight &r : rights) {
    memcpy(base + at, r.name.c_str(), r.name.size() + 1);
    at += r.name.size() + 1;
  }
  return static_cast<mach_msg_size_t>(size);
}

bool decode(const mach_msg_header_t *msg, mach_msg_id_t id, Decoded &out) {
  const uint8_t *base = reinterpret_cast<const uint8_t *>(msg);
  mach_msg_size_t size = msg->msgh_size;
  if (msg->msgh_id != id || !(msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) || size > kMaxMessage ||
      size < kHeadAndBody + sizeof(InlinePart)) {
    return false;
  }
  mach_msg_body_t body;
  memcpy(&body, base + sizeof(mach_msg_header_t), sizeof body);
  size_t count = body.msgh_descriptor_count;
  if (count > TSMIG_HANDSHAKE_MAX_PORTS) return false;
  size_t at = kHeadAndBody + count * sizeof(mach_msg_port_descriptor_t);
  if (size < at + sizeof(InlinePart)) return false;
  out.ports.clear();
  out.names.clear();
  for (size_t i = 0; i < count; i++) {
    mach_msg_port_descriptor_t d;
    memcpy(&d, base + kHeadAndBody + i * sizeof d, sizeof d);
    bool right = d.disposition == MACH_MSG_TYPE_PORT_SEND || d.disposition == MACH_MSG_TYPE_PORT_RECEIVE ||
                 d.disposition == MACH_MSG_TYPE_PORT_SEND_ONCE;
    if (d.type != MACH_MSG_PORT_DESCRIPTOR || !right) return false;
    out.ports.push_back({nullptr, d.name, d.disposition});
  }
  InlinePart part;
  memcpy(&part, base + at, sizeof part);
  at += sizeof part;
  if (part.version != TSMIG_HANDSHAKE_VERSION || !is_hex_token(part.token, sizeof part.token)) return false;
  if (part.names_size > size - at || size != at + ((part.names_size + 3u) & ~3u)) return false;
  const char *names = reinterpret_cast<const char *>(base + at);
  size_t left = part.names_size;
  std::set<std::string> seen;
  while (left > 0) {
    size_t n = strnlen(names, left);
    if (n == left || n == 0 || n > TSMIG_HANDSHAKE_MAX_NAME) return false;  // unterminated, empty or too long
    out.names.emplace_back(names, n);
    if (!seen.insert(out.names.back()).second) return false;
    names += n + 1;
    left -= n + 1;
  }
  if (out.names.size() != count) return false;
  for (size_t i = 0; i < count; i++) out.ports[i].name = out.names[i].c_str();
  out.token.assign(part.token, sizeof part.token);
  return true;
}

kern_return_t refusal_code(const mach_msg_header_t *msg) {
  if (msg->msgh_id != TSMIG_HANDSHAKE_ANSWER_ID || (msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
      msg->msgh_size != sizeof(mig_reply_error_t)) {
    return KERN_SUCCESS;
  }
  mig_reply_error_t reply;
  memcpy(&reply, msg, sizeof reply);
  return reply.RetCode == KERN_SUCCESS ? TSMIG_HANDSHAKE_BAD_MESSAGE : reply.RetCode;
}

void refuse(mach_msg_header_t *claim, kern_return_t code) {
  mach_msg_type_name_t reply_type = MACH_MSGH_BITS_REMOTE(claim->msgh_bits);
  if (MACH_PORT_VALID(claim->msgh_remote_port) &&
      (reply_type == MACH_MSG_TYPE_PORT_SEND_ONCE || reply_type == MACH_MSG_TYPE_PORT_SEND)) {
    mig_reply_error_t r{};
    // A received right's type is also the disposition that moves it on.
    r.Head.msgh_bits = MACH_MSGH_BITS(reply_type, 0);
    r.Head.msgh_size = sizeof r;
    r.Head.msgh_remote_port = claim->msgh_remote_port;
    r.Head.msgh_id = TSMIG_HANDSHAKE_ANSWER_ID;
    r.NDR = NDR_record;
    r.RetCode = code;
    if (mach_msg(&r.Head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof r, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) ==
        MACH_MSG_SUCCESS) {
      claim->msgh_remote_port = MACH_PORT_NULL;
      claim->msgh_bits &= ~MACH_MSGH_BITS_REMOTE_MASK;
    }
  }
  mach_msg_destroy(claim);
}

tsmig_port_list_t *make_list(const std::vector<tsmig_named_port_t> &ports) {
  size_t chars = 0;
  for (const tsmig_named_port_t &p : ports) chars += strlen(p.name) + 1;
  size_t bytes = sizeof(tsmig_port_list_t) + ports.size() * sizeof(tsmig_named_port_t) + chars;
  auto *list = static_cast<tsmig_port_list_t *>(malloc(bytes));
  if (list == nullptr) return nullptr;
  list->count = ports.size();
  list->ports = reinterpret_cast<tsmig_named_port_t *>(list + 1);
  char *text = reinterpret_cast<char *>(list->ports + ports.size());
  for (size_t i = 0; i < ports.size(); i++) {
    size_t n = strlen(ports[i].name) + 1;
    memcpy(text, ports[i].name, n);
    list->ports[i] = {text, ports[i].port, ports[i].disposition};
    text += n;
  }
  return list;
}

pid_t sender_pid(const mach_msg_header_t *msg) {
  const uint8_t *trailer = reinterpret_cast<const uint8_t *>(msg) + msg->msgh_size;
  mach_msg_audit_trailer_t t;
  memcpy(&t, trailer, sizeof t);
  if (t.msgh_trailer_type != MACH_MSG_TRAILER_FORMAT_0 || t.msgh_trailer_size < sizeof t) return -1;
  return static_cast<pid_t>(tsmig_audit_token_pid(&t.msgh_audit));
}

}  // namespace tsmig::handshake

extern "C" {

void tsmig_port_list_free(tsmig_port_list_t *list) { free(list); }

mach_port_name_t tsmig_port_list_find(const tsmig_port_list_t *list, const char *name) {
  if (list == nullptr || name == nullptr) return MACH_PORT_NULL;
  for (size_t i = 0; i < list->count; i++) {
    if (strcmp(list->ports[i].name, name) == 0) return list->ports[i].port;
  }
  return MACH_PORT_NULL;
}

const char *tsmig_handshake_error_string(kern_return_t code) {
  switch (code) {
    case TSMIG_HANDSHAKE_NO_PARENT:
      return "this process was not started with ports to claim (no " TSMIG_HANDSHAKE_ENV
             " in its environment when the runtime loaded)";
    case TSMIG_HANDSHAKE_ALREADY_CLAIMED:
      return "this process already claimed its parent's ports";
    case TSMIG_HANDSHAKE_BAD_ENVIRONMENT:
      return TSMIG_HANDSHAKE_ENV " is malformed";
    case TSMIG_HANDSHAKE_UNREACHABLE:
      return "the rendezvous named by " TSMIG_HANDSHAKE_ENV
             " cannot be reached from this process (only the spawned child holds it)";
    case TSMIG_HANDSHAKE_NOT_CHILD:
      return "the parent refused the claim: this process is not the child its ports wait for (or they were "
             "claimed already)";
    case TSMIG_HANDSHAKE_BAD_TOKEN:
      return "the parent refused the claim: wrong token";
    case TSMIG_HANDSHAKE_BAD_MESSAGE:
      return "a handshake message does not follow the protocol";
    case TSMIG_HANDSHAKE_CHILD_EXITED:
      return "the child exited before it claimed its ports";
    case TSMIG_HANDSHAKE_TIMED_OUT:
      return "the handshake timed out";
    case TSMIG_HANDSHAKE_CHILD_GONE:
      return "the child claimed its ports but stopped waiting for them";
    case TSMIG_HANDSHAKE_SPAWN_FAILED:
      return "the child could not be spawned";
    case TSMIG_HANDSHAKE_CHECK_IN_DENIED:
      return "the bootstrap server refused to check in the rendezvous service (a sandboxed app needs a service "
             "prefix it may use)";
    case TSMIG_HANDSHAKE_PARENT_GONE:
      return "the parent went away (or gave up on this child) before answering the claim";
    case TSMIG_HANDSHAKE_INVALID_PORTS:
      return "bad port list: at most 64 ports, names of 1 to 127 bytes and unique, and a handing disposition";
    case TSMIG_HANDSHAKE_UNKNOWN_TICKET:
      return "no such handshake (never prepared, or finished already)";
    default:
      return mach_error_string(code);
  }
}

}  // extern "C"
