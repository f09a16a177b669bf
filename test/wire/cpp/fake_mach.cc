// fake_mach.cc — see fake_mach.h. Implements, with plain memory and a log,
// the Mach and MIG support calls generated stubs (tsmig's and Apple's) make.
// mach_msg_destroy follows Mach's rules: it releases the header's reply
// right and every right and region the descriptors carry, by disposition.

#include "fake_mach.h"

#include <tsmig/mig.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct State {
  std::vector<uint8_t> reply;
  bool have_reply = false;
  mach_msg_return_t send_result = MACH_MSG_SUCCESS;
  std::vector<uint8_t> sent;
  mach_msg_option_t option = 0;
  mach_msg_timeout_t timeout = 0;
  uint32_t sends = 0;
  uint32_t seqno = 0;
  uint32_t sender[2] = {0, 0};
  uint32_t audit[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::vector<fake_event_t> events;
  mach_port_t reply_port = FAKE_REPLY_PORT;
};

State &state() {
  static State s;
  return s;
}

void log_event(int op, uint64_t a, uint64_t b) { state().events.push_back(fake_event_t{op, a, b}); }

uint32_t trailer_size(mach_msg_option_t option) {
  switch ((option >> 24) & 0xf) {
    case MACH_RCV_TRAILER_NULL: return sizeof(mach_msg_trailer_t);
    case MACH_RCV_TRAILER_SEQNO: return sizeof(mach_msg_seqno_trailer_t);
    case MACH_RCV_TRAILER_SENDER: return sizeof(mach_msg_security_trailer_t);
    case MACH_RCV_TRAILER_AUDIT: return sizeof(mach_msg_audit_trailer_t);
    case MACH_RCV_TRAILER_CTX: return sizeof(mach_msg_context_trailer_t);
    default: return sizeof(mach_msg_max_trailer_t);
  }
}

void destroy_port(mach_port_t name, mach_msg_type_name_t disposition) {
  if (!MACH_PORT_VALID(name)) return;
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      mach_port_deallocate(mach_task_self(), name);
      break;
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_RECEIVE, -1);
      break;
    case MACH_MSG_TYPE_MAKE_SEND:
      mach_port_insert_right(mach_task_self(), name, name, MACH_MSG_TYPE_MAKE_SEND);
      mach_port_deallocate(mach_task_self(), name);
      break;
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: {
      mach_port_t made = name;
      mach_msg_type_name_t type = 0;
      mach_port_extract_right(mach_task_self(), name, MACH_MSG_TYPE_MAKE_SEND_ONCE, &made, &type);
      mach_port_deallocate(mach_task_self(), made);
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" {

mach_port_t mach_task_self_ = 0x103;
NDR_record_t NDR_record = {0, 0, 0, 0, NDR_INT_LITTLE_ENDIAN, NDR_CHAR_ASCII, NDR_FLOAT_IEEE, 0};
vm_size_t vm_page_size = 4096;

void fake_reset(void) { state() = State(); }

void fake_set_reply_port(mach_port_t name) { state().reply_port = name; }

void fake_script_send_result(mach_msg_return_t result) { state().send_result = result; }

void fake_script_reply(const void *bytes, uint32_t size) {
  const uint8_t *p = static_cast<const uint8_t *>(bytes);
  state().reply.assign(p, p + size);
  state().have_reply = true;
}

void fake_set_trailer(uint32_t seqno, const uint32_t sender[2], const uint32_t audit[8]) {
  state().seqno = seqno;
  std::memcpy(state().sender, sender, sizeof state().sender);
  std::memcpy(state().audit, audit, sizeof state().audit);
}

uint32_t fake_last_sent(void *out, uint32_t max) {
  const std::vector<uint8_t> &sent = state().sent;
  const uint32_t n = sent.size() < max ? static_cast<uint32_t>(sent.size()) : max;
  if (n) std::memcpy(out, sent.data(), n);
  return static_cast<uint32_t>(sent.size());
}

mach_msg_option_t fake_last_option(void) { return state().option; }
mach_msg_timeout_t fake_last_timeout(void) { return state().timeout; }
uint32_t fake_send_count(void) { return state().sends; }
uint32_t fake_event_count(void) { return static_cast<uint32_t>(state().events.size()); }
const fake_event_t *fake_event(uint32_t index) { return &state().events.at(index); }

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify) {
  (void)rcv_name;
  (void)notify;
  State &s = state();
  s.option = option;
  s.timeout = timeout;
  if (option & MACH_SEND_MSG) {
    const uint8_t *p = reinterpret_cast<const uint8_t *>(msg);
    s.sent.assign(p, p + send_size);
    s.sends++;
    if (s.send_result != MACH_MSG_SUCCESS) {
      const mach_msg_return_t r = s.send_result;
      s.send_result = MACH_MSG_SUCCESS;
      return r;
    }
  }
  if (option & MACH_RCV_MSG) {
    if (!s.have_reply) return MACH_RCV_TIMED_OUT;
    const uint32_t size = static_cast<uint32_t>(s.reply.size());
    const uint32_t at = (size + 3u) & ~3u;
    const uint32_t tsize = trailer_size(option);
    if (at + tsize > rcv_size) return MACH_RCV_TOO_LARGE;
    std::memcpy(msg, s.reply.data(), size);
    mach_msg_max_trailer_t t;
    std::memset(&t, 0, sizeof t);
    t.msgh_trailer_type = MACH_MSG_TRAILER_FORMAT_0;
    t.msgh_trailer_size = tsize;
    t.msgh_seqno = s.seqno;
    std::memcpy(&t.msgh_sender, s.sender, sizeof s.sender);
    std::memcpy(&t.msgh_audit, s.audit, sizeof s.audit);
    std::memcpy(reinterpret_cast<char *>(msg) + at, &t, tsize);
    s.have_reply = false;
  }
  return MACH_MSG_SUCCESS;
}

void mach_msg_destroy(mach_msg_header_t *msg) {
  const mach_msg_bits_t bits = msg->msgh_bits;
  // The local port names the receiving port, not a right the message holds.
  destroy_port(msg->msgh_remote_port, MACH_MSGH_BITS_REMOTE(bits));
  destroy_port(msg->msgh_voucher_port, MACH_MSGH_BITS_VOUCHER(bits));
  if (!(bits & MACH_MSGH_BITS_COMPLEX)) return;
  char *p = reinterpret_cast<char *>(msg) + sizeof(mach_msg_header_t);
  mach_msg_body_t body;
  std::memcpy(&body, p, sizeof body);
  p += sizeof body;
  for (uint32_t i = 0; i < body.msgh_descriptor_count; i++) {
    mach_msg_type_descriptor_t t;
    std::memcpy(&t, p, sizeof t);
    if (t.type == MACH_MSG_PORT_DESCRIPTOR) {
      mach_msg_port_descriptor_t d;
      std::memcpy(&d, p, sizeof d);
      destroy_port(d.name, d.disposition);
      p += sizeof d;
    } else if (t.type == MACH_MSG_OOL_DESCRIPTOR || t.type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR) {
      mach_msg_ool_descriptor_t d;
      std::memcpy(&d, p, sizeof d);
      if (t.type == MACH_MSG_OOL_DESCRIPTOR && d.deallocate && d.size != 0)
        vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(d.address), d.size);
      p += sizeof d;
    } else if (t.type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
      mach_msg_ool_ports_descriptor_t d;
      std::memcpy(&d, p, sizeof d);
      const mach_port_t *names = static_cast<const mach_port_t *>(d.address);
      for (uint32_t j = 0; j < d.count; j++) destroy_port(names[j], d.disposition);
      if (d.deallocate && d.count != 0)
        vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(d.address), d.count * sizeof(mach_port_t));
      p += sizeof d;
    } else {
      return;
    }
  }
}

kern_return_t mach_port_deallocate(ipc_space_t, mach_port_name_t name) {
  log_event(FAKE_PORT_DEALLOCATE, name, 0);
  return KERN_SUCCESS;
}

kern_return_t mach_port_mod_refs(ipc_space_t, mach_port_name_t name, mach_port_right_t right, mach_port_delta_t delta) {
  log_event(FAKE_PORT_MOD_REFS, name, (static_cast<uint64_t>(right) << 32) | static_cast<uint32_t>(delta));
  return KERN_SUCCESS;
}

kern_return_t mach_port_insert_right(ipc_space_t, mach_port_name_t name, mach_port_t, mach_msg_type_name_t disposition) {
  log_event(FAKE_PORT_INSERT, name, disposition);
  return KERN_SUCCESS;
}

kern_return_t mach_port_extract_right(ipc_space_t, mach_port_name_t name, mach_msg_type_name_t disposition,
                                      mach_port_t *poly, mach_msg_type_name_t *poly_poly) {
  log_event(FAKE_PORT_EXTRACT, name, disposition);
  *poly = name;
  *poly_poly = MACH_MSG_TYPE_PORT_SEND_ONCE;
  return KERN_SUCCESS;
}

kern_return_t vm_allocate(vm_map_t, vm_address_t *address, vm_size_t size, int) {
  *address = reinterpret_cast<vm_address_t>(std::calloc(1, size ? size : 1));
  return KERN_SUCCESS;
}

kern_return_t vm_deallocate(vm_map_t, vm_address_t address, vm_size_t size) {
  // The log is the point: the harness owns (and frees) the memory it handed out.
  log_event(FAKE_VM_DEALLOCATE, address, size);
  return KERN_SUCCESS;
}

void mig_allocate(vm_address_t *address, vm_size_t size) { vm_allocate(mach_task_self(), address, size, 1); }

void mig_deallocate(vm_address_t address, vm_size_t size) { vm_deallocate(mach_task_self(), address, size); }

mach_port_t mig_get_reply_port(void) { return state().reply_port; }

mach_port_t mig_get_special_reply_port(void) { return state().reply_port; }

void mig_dealloc_reply_port(mach_port_t reply_port) { log_event(FAKE_REPLY_PORT_DEALLOC, reply_port, 0); }

void mig_dealloc_special_reply_port(mach_port_t reply_port) { log_event(FAKE_REPLY_PORT_DEALLOC, reply_port, 0); }

void mig_put_reply_port(mach_port_t reply_port) { log_event(FAKE_REPLY_PORT_PUT, reply_port, 0); }

int mig_strncpy(char *dest, const char *src, int len) {
  if (len <= 0) return 0;
  int i = 1;
  for (; i < len; i++)
    if (!(*dest++ = *src++)) return i;
  *dest = '\0';
  return i;
}

int mig_strncpy_zerofill(char *dest, const char *src, int len) {
  if (len <= 0) return 0;
  const int n = mig_strncpy(dest, src, len);
  for (int i = n; i < len; i++) dest[i] = '\0';
  return n;
}

}  // extern "C"
