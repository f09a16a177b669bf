// Linux emulation: mach_msg and what MIG-generated code and Mach servers
// build on it — the message destroy rules, the classic server loop with MIG's
// ownership rules (a handler that fails owns nothing: the request is
// destroyed; MIG_NO_REPLY means the handler kept everything), the per-thread
// reply port, the NDR record and MIG's string and memory helpers.

#include <cstdlib>
#include <cstring>

#include "internal.h"

using namespace tsmig::lx;

extern "C" {

NDR_record_t NDR_record = {0, 0, 0, 0, NDR_INT_LITTLE_ENDIAN, NDR_CHAR_ASCII, NDR_FLOAT_IEEE, 0};

mach_msg_return_t mach_msg_overwrite(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                     mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                                     mach_port_name_t, mach_msg_header_t *rcv_msg, mach_msg_size_t) {
  if (option & MACH_SEND_MSG) {
    if (msg == nullptr) return MACH_SEND_INVALID_DATA;
    mach_msg_return_t mr = msg_send(msg, option, send_size, timeout);
    if (mr != MACH_MSG_SUCCESS) return mr;
  }
  if (option & MACH_RCV_MSG) {
    mach_msg_header_t *buf = rcv_msg != nullptr ? rcv_msg : msg;
    if (buf == nullptr) return MACH_RCV_INVALID_DATA;
    return msg_receive(buf, option, rcv_size, rcv_name, timeout);
  }
  return MACH_MSG_SUCCESS;
}

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify) {
  return mach_msg_overwrite(msg, option, send_size, rcv_size, rcv_name, timeout, notify, nullptr, 0);
}

mach_msg_return_t mach_msg_send(mach_msg_header_t *msg) {
  return mach_msg(msg, MACH_SEND_MSG, msg->msgh_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg) {
  return mach_msg(msg, MACH_RCV_MSG, 0, msg->msgh_size, msg->msgh_local_port, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

static void destroy_port_right(mach_port_t port, mach_msg_type_name_t type) {
  if (!MACH_PORT_VALID(port)) return;
  switch (type) {
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      mach_port_deallocate(mach_task_self(), port);
      break;
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
      break;
    case MACH_MSG_TYPE_MAKE_SEND:
      // A right the message would have made, made and dropped (that may be the last sender).
      if (mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS)
        mach_port_deallocate(mach_task_self(), port);
      break;
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: {
      mach_port_t so;
      mach_msg_type_name_t t;
      if (mach_port_extract_right(mach_task_self(), port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t) == KERN_SUCCESS)
        mach_port_deallocate(mach_task_self(), so);
      break;
    }
    default:
      break;
  }
}

void mach_msg_destroy(mach_msg_header_t *msg) {
  if (msg == nullptr) return;
  mach_msg_bits_t bits = msg->msgh_bits;
  // The local port is the destination: receiving consumed that right already.
  destroy_port_right(msg->msgh_remote_port, MACH_MSGH_BITS_REMOTE(bits));
  destroy_port_right(msg->msgh_voucher_port, MACH_MSGH_BITS_VOUCHER(bits));
  if (!(bits & MACH_MSGH_BITS_COMPLEX) || msg->msgh_size < sizeof(mach_msg_base_t)) return;
  uint8_t *base = reinterpret_cast<uint8_t *>(msg);
  mach_msg_body_t body;
  memcpy(&body, base + sizeof(mach_msg_header_t), sizeof body);
  size_t p = sizeof(mach_msg_base_t);
  for (mach_msg_size_t i = 0; i < body.msgh_descriptor_count; i++) {
    if (p + sizeof(mach_msg_port_descriptor_t) > msg->msgh_size) return;
    uint8_t type = base[p + 11];
    if (type == MACH_MSG_PORT_DESCRIPTOR) {
      mach_msg_port_descriptor_t d;
      memcpy(&d, base + p, sizeof d);
      destroy_port_right(d.name, d.disposition);
      p += sizeof d;
    } else if (type == MACH_MSG_OOL_DESCRIPTOR || type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR) {
      mach_msg_ool_descriptor_t d;
      if (p + sizeof d > msg->msgh_size) return;
      memcpy(&d, base + p, sizeof d);
      if (d.size > 0 && d.address != nullptr)
        vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(d.address), d.size);
      p += sizeof d;
    } else if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
      mach_msg_ool_ports_descriptor_t d;
      if (p + sizeof d > msg->msgh_size) return;
      memcpy(&d, base + p, sizeof d);
      if (d.address != nullptr) {
        auto *names = static_cast<mach_port_name_t *>(d.address);
        for (mach_msg_size_t k = 0; k < d.count; k++) destroy_port_right(names[k], d.disposition);
        if (d.count > 0)
          vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(d.address), d.count * sizeof(mach_port_name_t));
      }
      p += sizeof d;
    } else {
      return;
    }
  }
}

mach_msg_return_t mach_msg_server_once(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
                                       mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options) {
  mach_msg_size_t size = max_size + MAX_TRAILER_SIZE;
  auto *req = static_cast<mach_msg_header_t *>(malloc(size));
  auto *rep = static_cast<mach_msg_header_t *>(malloc(size));
  if (req == nullptr || rep == nullptr) {
    free(req);
    free(rep);
    return KERN_RESOURCE_SHORTAGE;
  }
  mach_msg_option_t rcv_options = MACH_RCV_MSG | (options & ~(MACH_SEND_MSG | MACH_SEND_TIMEOUT));
  mach_msg_return_t mr;
  for (;;) {
    mr = mach_msg(req, rcv_options, 0, size, rcv_name, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr == MACH_RCV_TOO_LARGE && (rcv_options & MACH_RCV_LARGE)) {
      // The message is still queued: grow to its size and take it.
      size = req->msgh_size + MAX_TRAILER_SIZE;
      mach_msg_header_t *bigger = static_cast<mach_msg_header_t *>(realloc(req, size));
      mach_msg_header_t *bigger_rep = static_cast<mach_msg_header_t *>(realloc(rep, size));
      if (bigger == nullptr || bigger_rep == nullptr) {
        free(bigger ? bigger : req);
        free(bigger_rep ? bigger_rep : rep);
        return KERN_RESOURCE_SHORTAGE;
      }
      req = bigger;
      rep = bigger_rep;
      continue;
    }
    break;
  }
  if (mr != MACH_MSG_SUCCESS) {
    free(req);
    free(rep);
    return mr;
  }
  memset(rep, 0, sizeof(mig_reply_error_t));
  (void)demux(req, rep);
  if (!(rep->msgh_bits & MACH_MSGH_BITS_COMPLEX)) {
    kern_return_t ret = reinterpret_cast<mig_reply_error_t *>(rep)->RetCode;
    if (ret == MIG_NO_REPLY) {
      rep->msgh_remote_port = MACH_PORT_NULL;  // the handler kept the reply right and everything else
    } else if (ret != KERN_SUCCESS) {
      // The handler owns nothing on failure: destroy the request, but keep its reply right for the error.
      req->msgh_remote_port = MACH_PORT_NULL;
      mach_msg_destroy(req);
    }
  }
  mr = MACH_MSG_SUCCESS;
  if (MACH_PORT_VALID(rep->msgh_remote_port)) {
    mach_msg_option_t send_options = MACH_SEND_MSG | (options & MACH_SEND_TIMEOUT);
    // A reply to a send right must not block the server on a full queue.
    if (MACH_MSGH_BITS_REMOTE(rep->msgh_bits) != MACH_MSG_TYPE_MOVE_SEND_ONCE) send_options |= MACH_SEND_TIMEOUT;
    mr = mach_msg(rep, send_options, rep->msgh_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr == MACH_SEND_INVALID_DEST || mr == MACH_SEND_TIMED_OUT) {
      mach_msg_destroy(rep);
      mr = MACH_MSG_SUCCESS;
    }
  } else if (rep->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
    mach_msg_destroy(rep);
  }
  free(req);
  free(rep);
  return mr;
}

mach_msg_return_t mach_msg_server(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
                                  mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options) {
  for (;;) {
    mach_msg_return_t mr = mach_msg_server_once(demux, max_size, rcv_name, options);
    // A failed reply is the client's problem; anything else (a receive error) ends the loop.
    bool send_error = mr >= MACH_SEND_IN_PROGRESS && mr < MACH_RCV_IN_PROGRESS;
    if (mr != MACH_MSG_SUCCESS && !send_error) return mr;
  }
}

}  // extern "C"

namespace {

/** The thread's reply port; destroyed when the thread ends (or forgotten after a fork). */
struct ReplyPort {
  mach_port_t name = MACH_PORT_NULL;
  uint64_t epoch = 0;
  ~ReplyPort() {
    if (name != MACH_PORT_NULL && epoch == space_epoch())
      mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_RECEIVE, -1);
  }
};
thread_local ReplyPort t_reply;

}  // namespace

extern "C" {

mach_port_t mig_get_reply_port(void) {
  uint64_t epoch = space_epoch();
  if (t_reply.name == MACH_PORT_NULL || t_reply.epoch != epoch) {
    mach_port_t p;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS) return MACH_PORT_NULL;
    t_reply.name = p;
    t_reply.epoch = epoch;
  }
  return t_reply.name;
}

void mig_dealloc_reply_port(mach_port_t reply_port) {
  if (reply_port == t_reply.name) t_reply.name = MACH_PORT_NULL;
  mach_port_mod_refs(mach_task_self(), reply_port, MACH_PORT_RIGHT_RECEIVE, -1);
}

void mig_put_reply_port(mach_port_t) {}

int mig_strncpy(char *dest, const char *src, int len) {
  if (dest == nullptr || len <= 0) return 0;
  if (src == nullptr) src = "";
  int n = 0;
  while (n < len - 1 && src[n] != 0) {
    dest[n] = src[n];
    n++;
  }
  dest[n] = 0;
  return n + 1;
}

int mig_strncpy_zerofill(char *dest, const char *src, int len) {
  int copied = mig_strncpy(dest, src, len);
  if (copied > 0 && copied < len) memset(dest + copied, 0, static_cast<size_t>(len - copied));
  return copied;
}

void mig_allocate(vm_address_t *addr_p, vm_size_t size) {
  if (vm_allocate(mach_task_self(), addr_p, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) *addr_p = 0;
}

void mig_deallocate(vm_address_t addr, vm_size_t size) { vm_deallocate(mach_task_self(), addr, size); }

}  // extern "C"
