/*
 * tsmig/stubs.h — runtime support for the C++ stubs `tsmig gen --lang cpp`
 * writes (calc.mig.h / calc.mig.cc). Header-only C++17, on the Mach API of
 * <tsmig/mach.h> and <tsmig/mig.h>, so generated code builds the same way
 * against tsmig's Linux runtime and against the macOS SDK.
 *
 * What it promises:
 *  - Byte access to packed message fields without unaligned pointers or
 *    type punning (every access is a memcpy at a byte offset).
 *  - Whole-descriptor writes with every pad byte zero, so a message built
 *    here has no uninitialised byte.
 *  - One implementation of every check Apple's MIG makes on a received
 *    request (server side) and reply (client side), driven by a constant
 *    description of the message the generator emits (`MessageCheck`), in
 *    MIG's order and with MIG's error codes.
 *  - The server loop (`serve_once`) with mach_msg_server's ownership rules:
 *    a failed routine's request is destroyed (all but the reply right, which
 *    moved into the reply) before the error reply goes out; MIG_NO_REPLY
 *    sends nothing and leaves every right with the routine.
 */
#ifndef TSMIG_STUBS_H
#define TSMIG_STUBS_H

#include <tsmig/mach.h>
#include <tsmig/mig.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__APPLE__)
/* libsystem_kernel exports these without a public declaration; MIG's stubs call them. */
extern "C" mach_port_t mig_get_special_reply_port(void);
extern "C" void mig_dealloc_special_reply_port(mach_port_t migport);
#endif

namespace tsmig {
namespace stubs {

/* ---------------------------------------------------------------------------
 * Byte access
 * ------------------------------------------------------------------------- */

/** Rounds a byte count up to 4, as MIG pads inline data. */
constexpr uint32_t round4(uint32_t n) { return (n + 3u) & ~3u; }

/** Stores `value` at `offset` bytes into `msg`. */
template <typename T>
inline void put(void *msg, size_t offset, const T &value) {
  static_assert(std::is_trivially_copyable<T>::value, "message fields are plain data");
  std::memcpy(static_cast<char *>(msg) + offset, &value, sizeof(T));
}

/** Loads a `T` from `offset` bytes into `msg`. */
template <typename T>
inline T get(const void *msg, size_t offset) {
  static_assert(std::is_trivially_copyable<T>::value, "message fields are plain data");
  T value;
  std::memcpy(&value, static_cast<const char *>(msg) + offset, sizeof(T));
  return value;
}

/** Copies `n` bytes from `src` into the message at `offset`. */
inline void put_bytes(void *msg, size_t offset, const void *src, size_t n) {
  if (n) std::memcpy(static_cast<char *>(msg) + offset, src, n);
}

/** Copies `n` bytes of the message at `offset` to `dst`. */
inline void get_bytes(void *dst, const void *msg, size_t offset, size_t n) {
  if (n) std::memcpy(dst, static_cast<const char *>(msg) + offset, n);
}

/**
 * Stores an argument into a struct member declared as `Member`. A C type
 * MIG assigns by value may be declared as a struct or as an array; as a
 * parameter an array arrives as a pointer to its first element, so the
 * bytes are taken from where it points.
 */
template <typename Member, typename Arg>
inline void put_member(void *msg, size_t offset, const Arg &arg) {
  if constexpr (std::is_array<Member>::value) {
    static_assert(std::is_pointer<Arg>::value, "an array member takes an array argument");
    std::memcpy(static_cast<char *>(msg) + offset, arg, sizeof(Member));
  } else {
    static_assert(sizeof(Arg) == sizeof(Member), "the argument's C type must have the member's size");
    std::memcpy(static_cast<char *>(msg) + offset, &arg, sizeof(Member));
  }
}

/** An out-of-line address as the descriptor holds it, from a pointer or an integer C type. */
template <typename T>
inline void *to_address(T value) {
  if constexpr (std::is_pointer<T>::value) {
    return const_cast<void *>(static_cast<const void *>(value));
  } else {
    static_assert(std::is_integral<T>::value, "out-of-line data is a pointer or an address");
    return reinterpret_cast<void *>(static_cast<uintptr_t>(value));
  }
}

/** A descriptor's address as the C type the routine declares (a pointer or an integer). */
template <typename T>
inline T from_address(void *address) {
  if constexpr (std::is_pointer<T>::value) {
    return static_cast<T>(address);
  } else {
    static_assert(std::is_integral<T>::value, "out-of-line data is a pointer or an address");
    return static_cast<T>(reinterpret_cast<uintptr_t>(address));
  }
}

/* ---------------------------------------------------------------------------
 * Descriptors (LP64 layouts: port 12 bytes, out-of-line and OOL ports 16)
 * ------------------------------------------------------------------------- */

/** Writes a port descriptor. */
inline void put_port(void *msg, size_t offset, mach_port_t name, mach_msg_type_name_t disposition) {
  mach_msg_port_descriptor_t d;
  std::memset(&d, 0, sizeof d);
  d.name = name;
  d.disposition = disposition;
  d.type = MACH_MSG_PORT_DESCRIPTOR;
  put(msg, offset, d);
}

/** Writes an out-of-line memory descriptor. */
inline void put_ool(void *msg, size_t offset, void *address, mach_msg_size_t size, bool deallocate,
                    mach_msg_copy_options_t copy) {
  mach_msg_ool_descriptor_t d;
  std::memset(&d, 0, sizeof d);
  d.address = address;
  d.deallocate = deallocate;
  d.copy = copy;
  d.type = MACH_MSG_OOL_DESCRIPTOR;
  d.size = size;
  put(msg, offset, d);
}

/** Writes an out-of-line ports descriptor. */
inline void put_ool_ports(void *msg, size_t offset, void *address, mach_msg_size_t count,
                          mach_msg_type_name_t disposition, bool deallocate) {
  mach_msg_ool_ports_descriptor_t d;
  std::memset(&d, 0, sizeof d);
  d.address = address;
  d.deallocate = deallocate;
  // The copy option only matters with MACH_RCV_OVERWRITE; MIG always says physical.
  d.copy = MACH_MSG_PHYSICAL_COPY;
  d.disposition = disposition;
  d.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  d.count = count;
  put(msg, offset, d);
}

/** The name in a port descriptor. */
inline mach_port_t port_name(const void *msg, size_t offset) {
  return get<mach_msg_port_descriptor_t>(msg, offset).name;
}

/** The (received) disposition in a port or OOL-ports descriptor. */
inline mach_msg_type_name_t port_disposition(const void *msg, size_t offset) {
  return get<mach_msg_port_descriptor_t>(msg, offset).disposition;
}

/** Sets the name and disposition of a port descriptor whose other members are already written. */
inline void set_port(void *msg, size_t offset, mach_port_t name, mach_msg_type_name_t disposition) {
  mach_msg_port_descriptor_t d = get<mach_msg_port_descriptor_t>(msg, offset);
  d.name = name;
  d.disposition = disposition;
  put(msg, offset, d);
}

/** The address in an out-of-line or OOL-ports descriptor. */
inline void *ool_address(const void *msg, size_t offset) {
  return get<mach_msg_ool_descriptor_t>(msg, offset).address;
}

/** The size of an out-of-line descriptor, or the count of an OOL-ports descriptor. */
inline mach_msg_size_t ool_size(const void *msg, size_t offset) {
  return get<mach_msg_ool_descriptor_t>(msg, offset).size;
}

/** Sets the address and size (or port count) of an out-of-line or OOL-ports descriptor. */
inline void set_ool(void *msg, size_t offset, void *address, mach_msg_size_t size) {
  mach_msg_ool_descriptor_t d = get<mach_msg_ool_descriptor_t>(msg, offset);
  d.address = address;
  d.size = size;
  put(msg, offset, d);
}

/** Sets the disposition of an OOL-ports descriptor. */
inline void set_ool_ports_disposition(void *msg, size_t offset, mach_msg_type_name_t disposition) {
  mach_msg_ool_ports_descriptor_t d = get<mach_msg_ool_ports_descriptor_t>(msg, offset);
  d.disposition = disposition;
  put(msg, offset, d);
}

/** Copies a trailer element to where a routine's argument points (the C types must have the same size). */
template <typename Dest, typename Src>
inline void copy_out(Dest *dest, const Src &src) {
  static_assert(sizeof(Dest) == sizeof(Src), "a trailer argument's C type must match the trailer element");
  std::memcpy(static_cast<void *>(dest), &src, sizeof(Src));
}

/** Destroys one right as mach_msg_destroy would, given the disposition it arrived with. */
inline void destroy_right(mach_port_t name, mach_msg_type_name_t disposition) {
  if (!MACH_PORT_VALID(name)) return;
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      (void)mach_port_deallocate(mach_task_self(), name);
      break;
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      (void)mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_RECEIVE, -1);
      break;
    default:
      break;
  }
}

/**
 * After the server routine ran, releases an `array[]` argument MIG presents
 * as inline data but receives out of line: the region is deallocated and
 * the descriptor emptied, so destroying the request later frees nothing
 * twice. When the routine failed, the rights an array of ports carried are
 * destroyed first (the routine owns none of them then).
 */
inline void release_inline_ool(void *msg, size_t offset, bool ports, kern_return_t result) {
  void *address = ool_address(msg, offset);
  const mach_msg_size_t n = ool_size(msg, offset);
  if (ports && result != KERN_SUCCESS && result != MIG_NO_REPLY) {
    const mach_msg_type_name_t disposition = port_disposition(msg, offset);
    for (mach_msg_size_t i = 0; i < n; i++) destroy_right(static_cast<mach_port_t *>(address)[i], disposition);
  }
  const vm_size_t bytes = ports ? n * sizeof(mach_port_t) : n;
  if (bytes != 0) (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(address), bytes);
  set_ool(msg, offset, nullptr, 0);
}

/* ---------------------------------------------------------------------------
 * Strings (c_string[*:N]: the count is strlen + 1, the NUL travels)
 * ------------------------------------------------------------------------- */

/**
 * Copies `src` into the message as MIG's mig_strncpy does: at most `max - 1`
 * characters, always NUL-terminated. Returns the count (characters + 1).
 */
inline mach_msg_type_number_t put_string(void *msg, size_t offset, const char *src, uint32_t max) {
  char *dst = static_cast<char *>(msg) + offset;
  if (max == 0) return 0;
  uint32_t i = 0;
  for (; i + 1 < max && src[i] != '\0'; i++) dst[i] = src[i];
  dst[i] = '\0';
  return i + 1;
}

/** Copies a received string into `dst` (a buffer of `max` bytes), always NUL-terminated. */
inline void get_string(char *dst, const void *msg, size_t offset, uint32_t max) {
  const char *src = static_cast<const char *>(msg) + offset;
  if (max == 0) return;
  uint32_t i = 0;
  for (; i + 1 < max && src[i] != '\0'; i++) dst[i] = src[i];
  dst[i] = '\0';
}

/* ---------------------------------------------------------------------------
 * Message checks: what MIG's __MIG_check__Request__/__Reply__ functions test
 * ------------------------------------------------------------------------- */

/** Where a body field is: its offset with every variable array full, and how many variable arrays precede it. */
struct Position {
  uint32_t offset;
  uint32_t after_variables;
};

/** One descriptor field (one descriptor, or several for an array of ports or regions). */
struct DescriptorCheck {
  uint32_t offset;
  uint32_t count;
  /** MACH_MSG_PORT_DESCRIPTOR, MACH_MSG_OOL_DESCRIPTOR or MACH_MSG_OOL_PORTS_DESCRIPTOR. */
  uint32_t type;
  /** Bit `1 << d` set for each accepted received disposition `d`; 0 when not checked. */
  uint32_t dispositions;
  /** OOL: the size in bytes; OOL ports: the number of ports; -1 when it follows a count. */
  int64_t fixed_size;
  /** The size or port count must match a count field (`size / bytes_per_count == count`). */
  bool counted;
  Position count_field;
  uint32_t bytes_per_count;
  /** The largest count accepted (0: no bound). */
  uint32_t max_count;
};

/** One variable inline array (or c_string): its count and data. */
struct VariableCheck {
  Position count;
  uint32_t data_offset;
  uint32_t element_size;
  uint32_t max_count;
  /** Bytes the data and its padding take at the maximum. */
  uint32_t max_bytes;
  /** A c_string: the data must hold a NUL. */
  bool string;
};

/** Everything a receiver checks in one message of one routine. */
struct MessageCheck {
  /** Client side: the reply id expected (the request id + 100). 0 on the server side. */
  int32_t reply_id;
  bool complex;
  uint32_t descriptor_count;
  uint32_t min_size;
  uint32_t max_size;
  const DescriptorCheck *descriptors;
  uint32_t descriptor_fields;
  const VariableCheck *variables;
  uint32_t variable_count;
  /** Bytes of trailer elements the routine reads (MIG's cumulative check); 0: no trailer check. */
  uint32_t trailer_bytes;
};

/**
 * Where fields moved: checks fill `shift[k]`, the bytes by which a field
 * preceded by `k` variable arrays sits before its position at maximum size
 * (`shift[0]` is 0). Callers pass an array of one more than the message's
 * variable arrays.
 */
inline uint32_t at(const uint32_t *shift, uint32_t offset, uint32_t after_variables) {
  return offset - shift[after_variables];
}

/** `(size + 3) & ~3`: where the trailer starts after a message of `size` bytes. */
constexpr uint32_t trailer_offset(uint32_t size) { return (size + 3u) & ~3u; }

namespace detail {

inline bool size_ok(const MessageCheck &c, uint32_t size) {
  return c.min_size == c.max_size ? size == c.max_size : (size >= c.min_size && size <= c.max_size);
}

/** Descriptor types, dispositions and fixed sizes (MIG_TYPE_ERROR on both sides). */
inline kern_return_t check_descriptors(const MessageCheck &c, const char *msg) {
  for (uint32_t f = 0; f < c.descriptor_fields; f++) {
    const DescriptorCheck &d = c.descriptors[f];
    const uint32_t each = d.type == MACH_MSG_PORT_DESCRIPTOR ? 12u : 16u;
    for (uint32_t i = 0; i < d.count; i++) {
      const uint32_t where = d.offset + i * each;
      const mach_msg_type_descriptor_t t = get<mach_msg_type_descriptor_t>(msg, where);
      if (t.type != d.type) return MIG_TYPE_ERROR;
      if (d.type != MACH_MSG_OOL_DESCRIPTOR && d.dispositions != 0) {
        const mach_msg_type_name_t disposition = port_disposition(msg, where);
        if (disposition >= 32 || !(d.dispositions & (1u << disposition))) return MIG_TYPE_ERROR;
      }
      if (d.type != MACH_MSG_PORT_DESCRIPTOR && d.fixed_size >= 0 &&
          ool_size(msg, where) != static_cast<mach_msg_size_t>(d.fixed_size))
        return MIG_TYPE_ERROR;
    }
  }
  return KERN_SUCCESS;
}

/**
 * Counts of variable arrays: each within its bound, the size matching the
 * counts (each array but the last leaves room for the rest; the last makes
 * the size exact). Fills `shift`.
 */
inline kern_return_t check_variables(const MessageCheck &c, const char *msg, uint32_t size, uint32_t *shift,
                                     kern_return_t error) {
  uint64_t remaining = size;
  for (uint32_t v = 0; v < c.variable_count; v++) {
    const VariableCheck &var = c.variables[v];
    const uint32_t count = get<uint32_t>(msg, at(shift, var.count.offset, var.count.after_variables));
    if (count > var.max_count) return error;
    const uint64_t delta = round4(count * var.element_size);
    const bool last = v + 1 == c.variable_count;
    if (last ? remaining != c.min_size + delta : remaining < c.min_size + delta) return error;
    remaining -= delta;
    shift[v + 1] = shift[v] + var.max_bytes - static_cast<uint32_t>(delta);
  }
  return KERN_SUCCESS;
}

/** Out-of-line sizes and port counts against their count fields (MIG_TYPE_ERROR on both sides). */
inline kern_return_t check_counted_descriptors(const MessageCheck &c, const char *msg, const uint32_t *shift) {
  for (uint32_t f = 0; f < c.descriptor_fields; f++) {
    const DescriptorCheck &d = c.descriptors[f];
    if (!d.counted) continue;
    const uint32_t count = get<uint32_t>(msg, at(shift, d.count_field.offset, d.count_field.after_variables));
    const uint32_t size = ool_size(msg, d.offset);
    if (size / d.bytes_per_count != count) return MIG_TYPE_ERROR;
    if (d.max_count != 0 && count > d.max_count) return MIG_TYPE_ERROR;
  }
  return KERN_SUCCESS;
}

/** Every c_string holds a NUL before the end of its buffer and of the message. */
inline kern_return_t check_strings(const MessageCheck &c, const char *msg, uint32_t size, const uint32_t *shift) {
  for (uint32_t v = 0; v < c.variable_count; v++) {
    const VariableCheck &var = c.variables[v];
    if (!var.string) continue;
    const uint32_t where = at(shift, var.data_offset, v);
    const uint32_t room = size > where ? size - where : 0;
    const uint32_t limit = room < var.max_count ? room : var.max_count;
    if (std::memchr(msg + where, '\0', limit) == nullptr) return MIG_BAD_ARGUMENTS;
  }
  return KERN_SUCCESS;
}

}  // namespace detail

/**
 * The trailer the receive operation appended after a message (valid when
 * the receive asked for one, as every tsmig receive does).
 */
inline const mach_msg_max_trailer_t *trailer_of(const mach_msg_header_t *msg) {
  return reinterpret_cast<const mach_msg_max_trailer_t *>(reinterpret_cast<const char *>(msg) +
                                                         trailer_offset(msg->msgh_size));
}

/** The trailer checks MIG makes before reading trailer elements. */
inline kern_return_t check_trailer(const MessageCheck &c, const mach_msg_header_t *msg) {
  if (c.trailer_bytes == 0) return KERN_SUCCESS;
  const mach_msg_max_trailer_t *t = trailer_of(msg);
  if (t->msgh_trailer_type != MACH_MSG_TRAILER_FORMAT_0) return MIG_TRAILER_ERROR;
  if (t->msgh_trailer_size < c.trailer_bytes) return MIG_TRAILER_ERROR;
  return KERN_SUCCESS;
}

/**
 * The server's checks on a request (MIG's __MIG_check__Request__ and the
 * trailer checks after it): MIG_BAD_ARGUMENTS for shape, size and counts,
 * MIG_TYPE_ERROR for descriptors, MIG_TRAILER_ERROR for the trailer.
 */
inline kern_return_t check_request(const MessageCheck &c, const mach_msg_header_t *msg, uint32_t *shift) {
  const char *bytes = reinterpret_cast<const char *>(msg);
  const uint32_t size = msg->msgh_size;
  const bool complex = (msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) != 0;
  shift[0] = 0;
  if (complex != c.complex) return MIG_BAD_ARGUMENTS;
  if (c.complex && get<mach_msg_body_t>(bytes, sizeof(mach_msg_header_t)).msgh_descriptor_count != c.descriptor_count)
    return MIG_BAD_ARGUMENTS;
  if (!detail::size_ok(c, size)) return MIG_BAD_ARGUMENTS;
  kern_return_t kr = detail::check_descriptors(c, bytes);
  if (kr == KERN_SUCCESS) kr = detail::check_variables(c, bytes, size, shift, MIG_BAD_ARGUMENTS);
  if (kr == KERN_SUCCESS) kr = detail::check_counted_descriptors(c, bytes, shift);
  if (kr == KERN_SUCCESS) kr = detail::check_strings(c, bytes, size, shift);
  if (kr == KERN_SUCCESS) kr = check_trailer(c, msg);
  return kr;
}

/** The RetCode of a 36-byte error reply. */
inline kern_return_t error_reply_code(const mach_msg_header_t *msg) {
  return reinterpret_cast<const mig_reply_error_t *>(msg)->RetCode;
}

/**
 * The client's checks on a reply (MIG's __MIG_check__Reply__): the reply id
 * (MIG_SERVER_DIED for the send-once notification, else
 * MIG_REPLY_MISMATCH), then MIG_TYPE_ERROR for shape, size, reply port,
 * descriptors and counts. An error reply (a simple 36-byte message whose
 * RetCode is not KERN_SUCCESS) returns its RetCode. The trailer is checked
 * apart (check_trailer), after the reply is accepted, as MIG does.
 */
inline kern_return_t check_reply(const MessageCheck &c, const mach_msg_header_t *msg, uint32_t *shift) {
  const char *bytes = reinterpret_cast<const char *>(msg);
  shift[0] = 0;
  if (msg->msgh_id != c.reply_id) return msg->msgh_id == MACH_NOTIFY_SEND_ONCE ? MIG_SERVER_DIED : MIG_REPLY_MISMATCH;
  const uint32_t size = msg->msgh_size;
  const bool simple = (msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) == 0;
  const bool shaped = c.complex ? (!simple && get<mach_msg_body_t>(bytes, sizeof(mach_msg_header_t)).msgh_descriptor_count ==
                                                   c.descriptor_count && detail::size_ok(c, size))
                                : (simple && detail::size_ok(c, size));
  const bool error_reply = simple && size == sizeof(mig_reply_error_t) && error_reply_code(msg) != KERN_SUCCESS;
  if (!shaped && !error_reply) return MIG_TYPE_ERROR;
  if (msg->msgh_remote_port != MACH_PORT_NULL) return MIG_TYPE_ERROR;
  if (c.complex ? simple : error_reply_code(msg) != KERN_SUCCESS) return error_reply_code(msg);
  kern_return_t kr = detail::check_descriptors(c, bytes);
  if (kr == KERN_SUCCESS) kr = detail::check_variables(c, bytes, size, shift, MIG_TYPE_ERROR);
  if (kr == KERN_SUCCESS) kr = detail::check_counted_descriptors(c, bytes, shift);
  return kr;
}

/* ---------------------------------------------------------------------------
 * Replies (server side)
 * ------------------------------------------------------------------------- */

/** Turns the reply buffer into MIG's error reply (MIG_RETURN_ERROR): NDR and RetCode after the header. */
inline void set_error_reply(mach_msg_header_t *reply, kern_return_t code) {
  mig_reply_error_t *e = reinterpret_cast<mig_reply_error_t *>(reply);
  e->NDR = NDR_record;
  e->RetCode = code;
}

/**
 * The header the demux writes before any routine runs: a reply to the
 * request's reply port with the right it arrived as, sized as an error reply.
 */
inline void init_reply_header(const mach_msg_header_t *request, mach_msg_header_t *reply) {
  reply->msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(request->msgh_bits), 0);
  reply->msgh_remote_port = request->msgh_remote_port;
  reply->msgh_size = static_cast<mach_msg_size_t>(sizeof(mig_reply_error_t));
  reply->msgh_local_port = MACH_PORT_NULL;
  // Unsigned: a hostile id near INT32_MAX must wrap, not overflow (found by fuzz/cross_demux).
  reply->msgh_id = static_cast<mach_msg_id_t>(static_cast<uint32_t>(request->msgh_id) + 100u);
  reply->msgh_voucher_port = MACH_PORT_NULL;
}

/* ---------------------------------------------------------------------------
 * Client side: reply ports and failed sends
 * ------------------------------------------------------------------------- */

/** The reply port of a routine declared under `UseSpecialReplyPort` (the thread's reply port where there is no special one). */
inline mach_port_t special_reply_port() {
#if defined(__APPLE__)
  return mig_get_special_reply_port();
#else
  return mig_get_reply_port();
#endif
}

/** mach_msg options MIG adds with the special reply port. */
#if defined(__APPLE__) && defined(MACH_RCV_SYNC_WAIT)
constexpr mach_msg_option_t kSpecialReplyPortOptions =
    MACH_SEND_SYNC_OVERRIDE | MACH_SEND_SYNC_USE_THRPRI | MACH_RCV_SYNC_WAIT;
#else
constexpr mach_msg_option_t kSpecialReplyPortOptions = 0;
#endif

/**
 * After a failed RPC on the stub's own reply port: when the send itself
 * failed before the message left (invalid data, destination or header) the
 * port is still clean and is kept; otherwise it may hold a late reply and
 * is destroyed (MIG's __MachMsgErrorWithTimeout / WithoutTimeout).
 */
inline void release_reply_port_after_error(mach_msg_return_t mr, mach_port_t reply_port, bool special) {
  switch (mr) {
    case MACH_SEND_INVALID_DATA:
    case MACH_SEND_INVALID_DEST:
    case MACH_SEND_INVALID_HEADER:
      if (!special) mig_put_reply_port(reply_port);
      break;
    default:
#if defined(__APPLE__)
      if (special) {
        mig_dealloc_special_reply_port(reply_port);
        break;
      }
#endif
      mig_dealloc_reply_port(reply_port);
      break;
  }
}

/**
 * `ConsumeOnSendError`: when the request could not be sent (a send timeout,
 * or with `Any` also an invalid destination) the stub destroys what it
 * carried, as MIG does, so the caller never owns rights the kernel may
 * already have moved.
 */
inline void consume_unsent_request(mach_msg_header_t *request) {
  // mach_msg_destroy leaves the local (reply) port alone.
  if (MACH_MSGH_BITS_LOCAL(request->msgh_bits) == MACH_MSG_TYPE_MOVE_SEND)
    (void)mach_port_deallocate(mach_task_self(), request->msgh_local_port);
  mach_msg_destroy(request);
}

/* ---------------------------------------------------------------------------
 * Server loop
 * ------------------------------------------------------------------------- */

/** A demux routine as MIG writes it: fills the reply, returns FALSE for an unknown id. */
typedef boolean_t (*Demux)(mach_msg_header_t *request, mach_msg_header_t *reply);

/** What the server loop needs to know about an interface. */
struct ServerInfo {
  Demux demux;
  /** The largest request, and the largest reply, in bytes. */
  mach_msg_size_t max_request;
  mach_msg_size_t max_reply;
  /** MACH_RCV_TRAILER_ELEMENTS(n) for the trailer elements any routine reads. */
  mach_msg_option_t trailer_elements;
};

/** The RetCode of a reply the demux wrote (a complex reply is a success). */
inline kern_return_t reply_code(const mach_msg_header_t *reply) {
  if (reply->msgh_bits & MACH_MSGH_BITS_COMPLEX) return KERN_SUCCESS;
  return reinterpret_cast<const mig_reply_error_t *>(reply)->RetCode;
}

/**
 * Handles one received request as mach_msg_server does: runs the demux;
 * on MIG_NO_REPLY sends nothing; on any other error destroys the request
 * (except its reply right, which moved into the reply) and sends the error
 * reply; sends a success reply as it is. A reply that cannot be delivered
 * (dead or full reply port) is destroyed. Returns the send's result.
 */
inline mach_msg_return_t handle_request(const ServerInfo &info, mach_msg_header_t *request, mach_msg_header_t *reply) {
  (void)info.demux(request, reply);
  switch (reply_code(reply)) {
    case KERN_SUCCESS:
      break;
    case MIG_NO_REPLY:
      reply->msgh_remote_port = MACH_PORT_NULL;
      break;
    default:
      request->msgh_remote_port = MACH_PORT_NULL;
      mach_msg_destroy(request);
      break;
  }
  if (reply->msgh_remote_port == MACH_PORT_NULL) {
    // A one-way routine, or MIG_NO_REPLY: nothing to send, and a complex reply holds nothing yet.
    return MACH_MSG_SUCCESS;
  }
  const mach_msg_option_t send_once = MACH_MSGH_BITS_REMOTE(reply->msgh_bits) == MACH_MSG_TYPE_MOVE_SEND_ONCE;
  mach_msg_return_t mr = mach_msg(reply, send_once ? MACH_SEND_MSG : MACH_SEND_MSG | MACH_SEND_TIMEOUT,
                                  reply->msgh_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
  if (mr == MACH_SEND_INVALID_DEST || mr == MACH_SEND_TIMED_OUT || mr == MACH_SEND_INTERRUPTED) {
    consume_unsent_request(reply);
    mr = MACH_MSG_SUCCESS;
  }
  return mr;
}

/**
 * Receives one request on `port` (waiting at most `timeout` ms, or forever
 * with MACH_MSG_TIMEOUT_NONE), handles it and sends the reply. Returns the
 * receive's error (MACH_RCV_TIMED_OUT, MACH_RCV_INVALID_NAME, ...) or the
 * reply send's. Requests larger than the interface's largest are refused by
 * the receive (MACH_RCV_TOO_LARGE destroys them), as with mach_msg_server.
 */
inline mach_msg_return_t serve_once(const ServerInfo &info, mach_port_t port,
                                    mach_msg_timeout_t timeout = MACH_MSG_TIMEOUT_NONE) {
  // Room for the largest request and the biggest trailer, 8-byte aligned.
  const mach_msg_size_t request_room = info.max_request + static_cast<mach_msg_size_t>(sizeof(mach_msg_max_trailer_t));
  const mach_msg_size_t reply_room = info.max_reply > sizeof(mig_reply_error_t)
                                         ? info.max_reply
                                         : static_cast<mach_msg_size_t>(sizeof(mig_reply_error_t));
  const size_t request_words = (request_room + 7) / 8, reply_words = (reply_room + 7) / 8;
  uint64_t *request_buffer = new uint64_t[request_words]();
  uint64_t *reply_buffer = new uint64_t[reply_words]();
  mach_msg_header_t *request = reinterpret_cast<mach_msg_header_t *>(request_buffer);
  mach_msg_header_t *reply = reinterpret_cast<mach_msg_header_t *>(reply_buffer);
  mach_msg_option_t options = MACH_RCV_MSG | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) | info.trailer_elements;
  if (timeout != MACH_MSG_TIMEOUT_NONE) options |= MACH_RCV_TIMEOUT;
  mach_msg_return_t mr = mach_msg(request, options, 0, request_room, port, timeout, MACH_PORT_NULL);
  if (mr == MACH_MSG_SUCCESS) mr = handle_request(info, request, reply);
  delete[] request_buffer;
  delete[] reply_buffer;
  return mr;
}

/** Serves requests on `port` until a receive fails (the port is destroyed, or the timeout passes); returns that error. */
inline mach_msg_return_t serve(const ServerInfo &info, mach_port_t port, mach_msg_timeout_t timeout = MACH_MSG_TIMEOUT_NONE) {
  for (;;) {
    const mach_msg_return_t mr = serve_once(info, port, timeout);
    // Only a failed receive ends the loop; a reply that could not be sent is the client's loss.
    if (mr >= MACH_RCV_IN_PROGRESS && mr <= MACH_RCV_INVALID_REPLY) return mr;
  }
}

}  // namespace stubs
}  // namespace tsmig

#endif /* TSMIG_STUBS_H */
