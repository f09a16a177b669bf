// Linux emulation: task special ports and the bootstrap service. Special
// ports are send rights the "kernel" holds for the task (here: descriptors
// outside the name space), kept across fork(). The bootstrap functions are
// RPCs to the bootstrap port in the tsmig bootstrap protocol
// (<tsmig/bootstrap.h>), and a tiny name server answers them. A program
// started with TSMIG_BOOTSTRAP_FD=<n> gets that inherited descriptor as its
// bootstrap port.

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include <tsmig/bootstrap.h>

#include "internal.h"

extern "C" {
mach_port_t bootstrap_port = MACH_PORT_NULL;
}

namespace tsmig::lx {

namespace {

#pragma pack(push, 4)
struct NameRequest {
  mach_msg_header_t Head;
  NDR_record_t NDR;
  name_t name;
};
struct RegisterRequest {
  mach_msg_header_t Head;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  NDR_record_t NDR;
  name_t name;
};
struct PortReply {
  mach_msg_header_t Head;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
};
#pragma pack(pop)
static_assert(sizeof(NameRequest) == 160, "check_in/look_up request layout");
static_assert(sizeof(RegisterRequest) == 176, "register request layout");
static_assert(sizeof(PortReply) == 40, "port reply layout");

union ReplyBuffer {
  PortReply port;
  mig_reply_error_t error;
  uint8_t raw[sizeof(PortReply) + MAX_TRAILER_SIZE];
};

bool is_tsmig_sending_end(int fd, uint64_t &id) {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET) return false;
  int domain = 0;
  len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) return false;
  return read_mailbox(fd, id, nullptr, nullptr);
}

/** An RPC in the tsmig bootstrap protocol: returns the reply's port (or the server's error). */
kern_return_t bootstrap_rpc(mach_port_t bp, mach_msg_header_t *req, mach_msg_size_t size, bool complex,
                            mach_msg_type_name_t expect, mach_port_t *sp) {
  mach_port_t reply = mig_get_reply_port();
  req->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) |
                   (complex ? MACH_MSGH_BITS_COMPLEX : 0);
  req->msgh_remote_port = bp;
  req->msgh_local_port = reply;
  req->msgh_voucher_port = MACH_PORT_NULL;
  mach_msg_id_t id = req->msgh_id;
  ReplyBuffer rb;
  mach_msg_return_t mr = mach_msg_overwrite(req, MACH_SEND_MSG | MACH_RCV_MSG, size, sizeof rb, reply, 0,
                                            MACH_PORT_NULL, &rb.port.Head, sizeof rb);
  if (mr != MACH_MSG_SUCCESS) {
    // The reply port's state is unknown after a failed receive: start over with a new one.
    if (mr != MACH_SEND_INVALID_DEST && mr != MACH_SEND_INVALID_DATA && mr != MACH_SEND_INVALID_HEADER)
      mig_dealloc_reply_port(reply);
    return mr;
  }
  mach_msg_header_t &h = rb.port.Head;
  if (h.msgh_id == MACH_NOTIFY_SEND_ONCE) {
    mach_msg_destroy(&h);
    return MIG_SERVER_DIED;
  }
  if (h.msgh_id != id + 100) {
    mach_msg_destroy(&h);
    return MIG_REPLY_MISMATCH;
  }
  if (h.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
    if (h.msgh_size != sizeof(PortReply) || rb.port.body.msgh_descriptor_count != 1 ||
        rb.port.port.type != MACH_MSG_PORT_DESCRIPTOR || rb.port.port.disposition != expect || sp == nullptr) {
      mach_msg_destroy(&h);
      return MIG_TYPE_ERROR;
    }
    *sp = rb.port.port.name;
    return KERN_SUCCESS;
  }
  if (h.msgh_size != sizeof(mig_reply_error_t)) {
    mach_msg_destroy(&h);
    return MIG_TYPE_ERROR;
  }
  if (rb.error.RetCode == KERN_SUCCESS && sp != nullptr) return MIG_TYPE_ERROR;
  return rb.error.RetCode;
}

kern_return_t name_rpc(mach_port_t bp, mach_msg_id_t id, const char *service, mach_msg_type_name_t expect,
                       mach_port_t *sp) {
  if (service == nullptr || sp == nullptr) return KERN_INVALID_ARGUMENT;
  NameRequest req{};
  req.Head.msgh_size = sizeof req;
  req.Head.msgh_id = id;
  req.NDR = NDR_record;
  mig_strncpy_zerofill(req.name, service, BOOTSTRAP_MAX_NAME_LEN);
  return bootstrap_rpc(bp, &req.Head, sizeof req, false, expect, sp);
}

// ---------------------------------------------------------------------------
// The name server
// ---------------------------------------------------------------------------

void send_error(const mach_msg_header_t &req, kern_return_t code) {
  if (!MACH_PORT_VALID(req.msgh_remote_port)) return;
  mig_reply_error_t r{};
  r.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(req.msgh_bits), 0);
  r.Head.msgh_size = sizeof r;
  r.Head.msgh_remote_port = req.msgh_remote_port;
  r.Head.msgh_id = req.msgh_id + 100;
  r.NDR = NDR_record;
  r.RetCode = code;
  if (mach_msg(&r.Head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof r, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) !=
      MACH_MSG_SUCCESS) {
    mach_msg_destroy(&r.Head);
  }
}

mach_msg_return_t send_port(const mach_msg_header_t &req, mach_port_t port, mach_msg_type_name_t disposition) {
  PortReply r{};
  r.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(req.msgh_bits), 0) | MACH_MSGH_BITS_COMPLEX;
  r.Head.msgh_size = sizeof r;
  r.Head.msgh_remote_port = req.msgh_remote_port;
  r.Head.msgh_id = req.msgh_id + 100;
  r.body.msgh_descriptor_count = 1;
  r.port.name = port;
  r.port.disposition = disposition;
  r.port.type = MACH_MSG_PORT_DESCRIPTOR;
  return mach_msg(&r.Head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof r, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

bool valid_name(const name_t name) { return memchr(name, 0, BOOTSTRAP_MAX_NAME_LEN) != nullptr && name[0] != 0; }

void forget_dead_name(std::map<std::string, mach_port_t> &names, mach_port_t dead) {
  for (auto it = names.begin(); it != names.end();) {
    it = it->second == dead ? names.erase(it) : std::next(it);
  }
  mach_port_urefs_t refs = 0;
  if (mach_port_get_refs(mach_task_self(), dead, MACH_PORT_RIGHT_DEAD_NAME, &refs) == KERN_SUCCESS && refs > 0) {
    mach_port_mod_refs(mach_task_self(), dead, MACH_PORT_RIGHT_DEAD_NAME, -static_cast<mach_port_delta_t>(refs));
  }
}

void watch(mach_port_t service, mach_port_t server) {
  mach_port_t previous = MACH_PORT_NULL;
  mach_port_request_notification(mach_task_self(), service, MACH_NOTIFY_DEAD_NAME, 1, server,
                                 MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
  if (previous != MACH_PORT_NULL) mach_port_deallocate(mach_task_self(), previous);
}

struct NameServer {
  std::mutex mu;
  std::thread thread;
  mach_port_t port = MACH_PORT_NULL;
  pid_t pid = 0;
};
// Never destroyed: a program may exit while the server thread still runs (a joinable std::thread
// destroyed at exit would terminate it).
NameServer &g_server = *new NameServer();

}  // namespace

}  // namespace tsmig::lx

using namespace tsmig::lx;

extern "C" {

kern_return_t task_set_special_port(task_t task, int which_port, mach_port_t special_port) {
  if (!is_task_self(task)) return MACH_SEND_INVALID_DEST;
  if (which_port < 1 || which_port > TASK_MAX_SPECIAL_PORT || which_port == TASK_KERNEL_PORT)
    return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  int fd = -1;
  uint64_t id = 0;
  if (MACH_PORT_VALID(special_port)) {
    Entry *e = lookup(s, special_port);
    if (e == nullptr) return MACH_SEND_INVALID_RIGHT;
    if (e->rights & MACH_PORT_TYPE_DEAD_NAME) {
      special_port = MACH_PORT_DEAD;
    } else if (!(e->rights & MACH_PORT_TYPE_SEND)) {
      return MACH_SEND_INVALID_RIGHT;
    } else {
      id = e->port_id;
      if (e->recv) {
        bool owned;
        uint64_t token;
        if (export_send(s, *e->recv, fd, owned, token) != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
        if (!owned) fd = dup_cloexec(fd);
      } else {
        fd = dup_cloexec(e->fd);
      }
      if (fd < 0) return KERN_RESOURCE_SHORTAGE;
    }
  }
  close_fd(s.special[which_port].fd);
  s.special[which_port].fd = fd;
  s.special[which_port].id = id;
  return KERN_SUCCESS;
}

kern_return_t task_get_special_port(task_t task, int which_port, mach_port_t *special_port) {
  if (!is_task_self(task)) return MACH_SEND_INVALID_DEST;
  if (special_port == nullptr || which_port < 1 || which_port > TASK_MAX_SPECIAL_PORT) return KERN_INVALID_ARGUMENT;
  if (which_port == TASK_KERNEL_PORT) {
    *special_port = mach_task_self();
    return KERN_SUCCESS;
  }
  Space &s = space();
  Lock lk(s.mu);
  SpecialPort &sp = s.special[which_port];
  if (sp.fd < 0) {
    *special_port = MACH_PORT_NULL;
    return KERN_SUCCESS;
  }
  CarriedRight c;
  c.kind = REC_SEND;
  c.id = sp.id;
  c.fd = dup_cloexec(sp.fd);
  c.fd_owned = true;
  if (c.fd < 0) return KERN_RESOURCE_SHORTAGE;
  kern_return_t kr;
  *special_port = install_right(s, c, kr);
  return kr;
}

kern_return_t bootstrap_look_up(mach_port_t bp, const name_t service_name, mach_port_t *sp) {
  return name_rpc(bp, TSMIG_BOOTSTRAP_LOOK_UP_ID, service_name, MACH_MSG_TYPE_PORT_SEND, sp);
}

kern_return_t bootstrap_check_in(mach_port_t bp, const name_t service_name, mach_port_t *sp) {
  return name_rpc(bp, TSMIG_BOOTSTRAP_CHECK_IN_ID, service_name, MACH_MSG_TYPE_PORT_RECEIVE, sp);
}

kern_return_t bootstrap_register(mach_port_t bp, name_t service_name, mach_port_t sp) {
  if (service_name == nullptr) return KERN_INVALID_ARGUMENT;
  RegisterRequest req{};
  req.Head.msgh_size = sizeof req;
  req.Head.msgh_id = TSMIG_BOOTSTRAP_REGISTER_ID;
  req.body.msgh_descriptor_count = 1;
  req.port.name = sp;
  req.port.disposition = MACH_MSG_TYPE_COPY_SEND;
  req.port.type = MACH_MSG_PORT_DESCRIPTOR;
  req.NDR = NDR_record;
  mig_strncpy_zerofill(req.name, service_name, BOOTSTRAP_MAX_NAME_LEN);
  return bootstrap_rpc(bp, &req.Head, sizeof req, true, 0, nullptr);
}

kern_return_t tsmig_name_server_serve(mach_port_t server) {
  std::map<std::string, mach_port_t> names;
  union {
    mach_msg_header_t Head;
    NameRequest name;
    RegisterRequest reg;
    mach_dead_name_notification_t dead;
    uint8_t raw[sizeof(RegisterRequest) + MAX_TRAILER_SIZE];
  } req;
  kern_return_t result = KERN_SUCCESS;
  for (;;) {
    mach_msg_return_t mr = mach_msg(&req.Head, MACH_RCV_MSG, 0, sizeof req, server, 0, MACH_PORT_NULL);
    if (mr == MACH_RCV_PORT_DIED || mr == MACH_RCV_PORT_CHANGED || mr == MACH_RCV_INVALID_NAME) break;
    if (mr != MACH_MSG_SUCCESS) continue;
    mach_msg_header_t &h = req.Head;
    switch (h.msgh_id) {
      case MACH_NOTIFY_DEAD_NAME:
        if (h.msgh_size == sizeof(mach_dead_name_notification_t) - sizeof(mach_msg_format_0_trailer_t))
          forget_dead_name(names, req.dead.not_port);
        break;
      case MACH_NOTIFY_PORT_DELETED:
      case MACH_NOTIFY_SEND_ONCE:
      case MACH_NOTIFY_NO_SENDERS:
        mach_msg_destroy(&h);
        break;
      case TSMIG_BOOTSTRAP_CHECK_IN_ID:
      case TSMIG_BOOTSTRAP_LOOK_UP_ID: {
        if (h.msgh_size != sizeof(NameRequest) || (h.msgh_bits & MACH_MSGH_BITS_COMPLEX) || !valid_name(req.name.name)) {
          send_error(h, MIG_BAD_ARGUMENTS);
          mach_msg_destroy(&h);
          break;
        }
        std::string key(req.name.name);
        auto it = names.find(key);
        if (h.msgh_id == TSMIG_BOOTSTRAP_LOOK_UP_ID) {
          if (it == names.end()) {
            send_error(h, BOOTSTRAP_UNKNOWN_SERVICE);
          } else if (send_port(h, it->second, MACH_MSG_TYPE_COPY_SEND) != MACH_MSG_SUCCESS) {
            mach_msg_destroy(&h);
          }
          break;
        }
        if (it != names.end()) {
          send_error(h, BOOTSTRAP_SERVICE_ACTIVE);
          break;
        }
        // The server makes the service port and keeps a send right to notice when it dies.
        mach_port_t port;
        if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS ||
            mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) {
          send_error(h, BOOTSTRAP_NO_MEMORY);
          break;
        }
        watch(port, server);
        if (send_port(h, port, MACH_MSG_TYPE_MOVE_RECEIVE) != MACH_MSG_SUCCESS) {
          mach_port_destroy(mach_task_self(), port);
          mach_msg_destroy(&h);
          break;
        }
        names[key] = port;
        break;
      }
      case TSMIG_BOOTSTRAP_REGISTER_ID: {
        if (h.msgh_size != sizeof(RegisterRequest) || !(h.msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
            req.reg.body.msgh_descriptor_count != 1 || req.reg.port.type != MACH_MSG_PORT_DESCRIPTOR ||
            req.reg.port.disposition != MACH_MSG_TYPE_PORT_SEND || !valid_name(req.reg.name)) {
          send_error(h, MIG_BAD_ARGUMENTS);
          mach_msg_destroy(&h);
          break;
        }
        std::string key(req.reg.name);
        mach_port_t port = req.reg.port.name;
        if (names.count(key) != 0) {
          mach_port_deallocate(mach_task_self(), port);
          send_error(h, BOOTSTRAP_NAME_IN_USE);
          break;
        }
        if (!MACH_PORT_VALID(port)) {
          send_error(h, BOOTSTRAP_NOT_PRIVILEGED);
          break;
        }
        names[key] = port;
        watch(port, server);
        send_error(h, KERN_SUCCESS);
        break;
      }
      default:
        send_error(h, MIG_BAD_ID);
        mach_msg_destroy(&h);
        break;
    }
  }
  for (auto &kv : names) mach_port_deallocate(mach_task_self(), kv.second);
  return result;
}

kern_return_t tsmig_name_server_start(mach_port_t *server_port) {
  if (server_port == nullptr) return KERN_INVALID_ARGUMENT;
  std::lock_guard<std::mutex> g(g_server.mu);
  if (g_server.pid == getpid() && g_server.port != MACH_PORT_NULL) {
    // Already serving: hand out another send right to the same server.
    kern_return_t kr = mach_port_insert_right(mach_task_self(), g_server.port, g_server.port, MACH_MSG_TYPE_MAKE_SEND);
    if (kr == KERN_SUCCESS) *server_port = g_server.port;
    return kr;
  }
  if (g_server.pid != getpid() && g_server.thread.joinable()) {
    g_server.thread.detach();  // a forked child inherited the object, not the thread
  }
  mach_port_t port;
  kern_return_t kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port);
  if (kr != KERN_SUCCESS) return kr;
  kr = mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND);
  if (kr != KERN_SUCCESS) {
    mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
    return kr;
  }
  try {
    g_server.thread = std::thread([port] { tsmig_name_server_serve(port); });
  } catch (...) {
    mach_port_destroy(mach_task_self(), port);
    return KERN_RESOURCE_SHORTAGE;
  }
  g_server.port = port;
  g_server.pid = getpid();
  *server_port = port;
  return KERN_SUCCESS;
}

kern_return_t tsmig_name_server_stop(void) {
  std::lock_guard<std::mutex> g(g_server.mu);
  if (g_server.pid != getpid() || g_server.port == MACH_PORT_NULL) return KERN_INVALID_ARGUMENT;
  mach_port_mod_refs(mach_task_self(), g_server.port, MACH_PORT_RIGHT_RECEIVE, -1);
  if (g_server.thread.joinable()) g_server.thread.join();
  g_server.port = MACH_PORT_NULL;
  return KERN_SUCCESS;
}

const char *bootstrap_strerror(kern_return_t r) {
  switch (r) {
    case BOOTSTRAP_SUCCESS:
      return "success";
    case BOOTSTRAP_NOT_PRIVILEGED:
      return "bootstrap: permission denied";
    case BOOTSTRAP_NAME_IN_USE:
      return "bootstrap: service name already registered";
    case BOOTSTRAP_UNKNOWN_SERVICE:
      return "bootstrap: unknown service name";
    case BOOTSTRAP_SERVICE_ACTIVE:
      return "bootstrap: service already checked in";
    case BOOTSTRAP_BAD_COUNT:
      return "bootstrap: too many lookups";
    case BOOTSTRAP_NO_MEMORY:
      return "bootstrap: out of memory";
    case BOOTSTRAP_NO_CHILDREN:
      return "bootstrap: no children";
    default:
      return mach_error_string(r);
  }
}

}  // extern "C"

namespace {

/** TSMIG_BOOTSTRAP_FD=<n>: an inherited send right becomes this task's bootstrap port. */
__attribute__((constructor)) void import_bootstrap_from_environment() {
  const char *v = getenv("TSMIG_BOOTSTRAP_FD");
  if (v == nullptr || *v == 0) return;
  char *end = nullptr;
  long n = strtol(v, &end, 10);
  if (*end != 0 || n < 0 || n > 1 << 30) return;
  int fd = static_cast<int>(n);
  uint64_t id = 0;
  // Not ours unless it is a tsmig sending end (a stale variable must not steal an unrelated descriptor).
  if (fcntl(fd, F_GETFD) < 0 || !is_tsmig_sending_end(fd, id)) return;
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  Space &s = space();
  Lock lk(s.mu);
  if (s.special[TASK_BOOTSTRAP_PORT].fd >= 0) return;
  s.special[TASK_BOOTSTRAP_PORT].fd = fd;
  s.special[TASK_BOOTSTRAP_PORT].id = id;
  CarriedRight c;
  c.kind = REC_SEND;
  c.id = id;
  c.fd = dup_cloexec(fd);
  c.fd_owned = true;
  kern_return_t kr;
  if (c.fd >= 0) bootstrap_port = install_right(s, c, kr);
}

}  // namespace

namespace tsmig::lx {

/** Validates a descriptor offered as a send right (tsmig_fd_to_send_right). */
bool validate_send_fd(int fd, uint64_t &id) { return is_tsmig_sending_end(fd, id); }

}  // namespace tsmig::lx
