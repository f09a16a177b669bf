// Fuzzing support shared by the libFuzzer targets in fuzz/ (built by
// fuzz/run.js with clang-16, AddressSanitizer and UBSan): a bounds-checked
// reader over the fuzzer's bytes, resource counts (descriptors, names) for
// leak checks after every input, and `Materializer`, which turns arbitrary
// bytes into a Mach message the runtime will carry — real rights in place of
// port names, real memory behind out-of-line descriptors — and afterwards
// destroys every port it made. Promises: nothing here trusts the input; a
// leak or a broken invariant is reported and aborts (a libFuzzer finding).
#ifndef TSMIG_FUZZ_SUPPORT_H
#define TSMIG_FUZZ_SUPPORT_H

#include <dirent.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <tsmig/mach.h>
#include <tsmig/runtime.h>

namespace tsmig_fuzz {

/** Reads fields from the fuzzer's bytes; past the end every read yields zeros. */
class Reader {
 public:
  Reader(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16() | (static_cast<uint32_t>(u16()) << 16)); }
  /** Up to `n` bytes, fewer at the end of the input. */
  std::vector<uint8_t> bytes(size_t n) {
    size_t take = n < size_ - at_ ? n : size_ - at_;
    std::vector<uint8_t> out(data_ + at_, data_ + at_ + take);
    at_ += take;
    return out;
  }
  std::vector<uint8_t> rest() { return bytes(size_ - at_); }

 private:
  const uint8_t *data_;
  size_t size_;
  size_t at_ = 0;
};

/** Appends little-endian fields (the seed writers' side of Reader). */
struct Writer {
  std::vector<uint8_t> out;
  void u8(uint8_t v) { out.push_back(v); }
  void u16(uint16_t v) { u8(static_cast<uint8_t>(v)), u8(static_cast<uint8_t>(v >> 8)); }
  void u32(uint32_t v) { u16(static_cast<uint16_t>(v)), u16(static_cast<uint16_t>(v >> 16)); }
  void bytes(const void *p, size_t n) {
    const uint8_t *b = static_cast<const uint8_t *>(p);
    out.insert(out.end(), b, b + n);
  }
};

/** Reports a finding and aborts, so libFuzzer keeps the input. */
[[noreturn]] inline void finding(const char *what) {
  std::fprintf(stderr, "tsmig fuzz finding: %s\n", what);
  std::abort();
}

/**
 * Open descriptors of this process that the runtime could own: pipes are left
 * out (the runtime makes none; libFuzzer's symbolizer talks through them).
 */
inline int open_descriptors() {
  int n = 0;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (const dirent *e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char link[64] = {0};
      std::string path = std::string("/proc/self/fd/") + e->d_name;
      if (readlink(path.c_str(), link, sizeof link - 1) > 0 && std::strncmp(link, "pipe:", 5) == 0) continue;
      n++;
    }
    closedir(d);
    n--;  // the directory stream itself
  }
  return n;
}

/** What each open descriptor is ("3 -> socket:[123]"), for leak reports. */
inline std::string describe_descriptors() {
  std::string out;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (const dirent *e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char link[256] = {0};
      std::string path = std::string("/proc/self/fd/") + e->d_name;
      ssize_t n = readlink(path.c_str(), link, sizeof link - 1);
      out += std::string(e->d_name) + " -> " + (n > 0 ? link : "?") + "\n";
    }
    closedir(d);
  }
  return out;
}

/** Names in this task's space. */
inline uint32_t space_names() {
  tsmig_space_stats_t s{};
  tsmig_space_stats(&s);
  return s.names;
}

/**
 * What this process holds once a target has warmed up (descriptors, names):
 * every input must leave it exactly so. Pooled out-of-line memory is trimmed
 * first on both sides, since pools are kept on purpose.
 */
class Baseline {
 public:
  void take() {
    tsmig_ool_trim();
    fds_ = open_descriptors();
    names_ = space_names();
    listing_ = describe_descriptors();
  }
  /** A finding when a descriptor or a name was leaked since take(). */
  void check() const {
    tsmig_ool_trim();
    if (open_descriptors() != fds_) {
      std::fprintf(stderr, "descriptors at the start:\n%sdescriptors now:\n%s", listing_.c_str(),
                   describe_descriptors().c_str());
      finding("descriptors leaked");
    }
    if (space_names() != names_) finding("port names leaked");
  }

 private:
  int fds_ = 0;
  uint32_t names_ = 0;
  std::string listing_;
};

inline void check(kern_return_t kr, const char *what) {
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "tsmig fuzz: %s failed: 0x%x\n", what, kr);
    std::abort();
  }
}

/** Receives and destroys every message queued on `port` (zero timeout); returns how many. */
inline int drain(mach_port_t port) {
  alignas(8) static uint8_t buf[512 * 1024];
  int n = 0;
  for (;;) {
    auto *h = reinterpret_cast<mach_msg_header_t *>(buf);
    mach_msg_return_t mr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, sizeof buf, port, 0,
                                    MACH_PORT_NULL);
    if (mr == MACH_RCV_TIMED_OUT) return n;
    if (mr == MACH_RCV_TOO_LARGE) finding("a queued message is larger than 512 KiB");
    if (mr != MACH_MSG_SUCCESS && (mr & ~MACH_MSG_IPC_SPACE) != MACH_RCV_BODY_ERROR &&
        (mr & ~MACH_MSG_IPC_SPACE) != MACH_RCV_HEADER_ERROR) {
      return n;  // the port is gone or changed: nothing more to take
    }
    mach_msg_destroy(h);
    n++;
  }
}

/**
 * Makes a message the runtime can send out of arbitrary bytes: the header's
 * ports become `dest` and a fresh reply port, every port descriptor a fresh
 * right of the disposition the bytes ask for, every out-of-line region real
 * memory of (a bounded version of) the size asked for. Descriptors the
 * runtime would refuse (unknown types, impossible dispositions) are left as
 * they are, so the send path's checks are exercised too. Every port it makes
 * is listed in `ports` (receive rights this task holds) for `release()`.
 */
class Materializer {
 public:
  /** Bytes of out-of-line memory one region may ask for (bounded so inputs stay fast). */
  static constexpr mach_msg_size_t kMaxRegion = 256 * 1024;
  static constexpr mach_msg_type_number_t kMaxOolPorts = 64;

  std::vector<mach_port_t> ports;  // receive rights made for this message
  mach_port_t reply = MACH_PORT_NULL;

  /** A fresh port whose receive right this task keeps (released by release()). */
  mach_port_t fresh_port() {
    mach_port_t p = MACH_PORT_NULL;
    check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), "mach_port_allocate");
    ports.push_back(p);
    return p;
  }

  /**
   * A name to send with `disposition` (the right is made here so the send
   * can carry it), or `raw` when the disposition is none the runtime accepts.
   */
  mach_port_t right_for(mach_msg_type_name_t disposition, mach_port_t raw) {
    if (raw == MACH_PORT_NULL || raw == MACH_PORT_DEAD) return raw;  // a null or dead name is a valid descriptor
    mach_port_t p;
    switch (disposition) {
      case MACH_MSG_TYPE_MAKE_SEND:
      case MACH_MSG_TYPE_MAKE_SEND_ONCE:
        return fresh_port();
      case MACH_MSG_TYPE_COPY_SEND:
      case MACH_MSG_TYPE_MOVE_SEND:
        p = fresh_port();
        check(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND), "insert_right");
        copied_sends_.push_back(p);
        return p;
      case MACH_MSG_TYPE_MOVE_SEND_ONCE: {
        p = fresh_port();
        mach_port_t so = MACH_PORT_NULL;
        mach_msg_type_name_t got = 0;
        check(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &got), "extract_right");
        send_onces_.push_back(so);
        return so;
      }
      case MACH_MSG_TYPE_MOVE_RECEIVE: {
        // The receive right leaves with the message: not ours to release unless the send fails.
        p = MACH_PORT_NULL;
        check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), "mach_port_allocate");
        moved_receives_.push_back(p);
        return p;
      }
      default:
        return raw;
    }
  }

  /**
   * Fixes `msg` (its bytes, `size` of them, 4-aligned) up in place for sending
   * to `dest`; returns false when there is nothing sendable (too short).
   */
  bool prepare(uint8_t *msg, mach_msg_size_t size, mach_port_t dest) {
    if (size < sizeof(mach_msg_header_t)) return false;
    mach_msg_header_t h;
    std::memcpy(&h, msg, sizeof h);
    h.msgh_size = size;
    mach_msg_type_name_t reply_type = MACH_MSGH_BITS_LOCAL(h.msgh_bits);
    // The destination is always our server port, as a right the sender can make.
    mach_msg_type_name_t dest_type =
        MACH_MSGH_BITS_REMOTE(h.msgh_bits) == MACH_MSG_TYPE_MAKE_SEND_ONCE ? MACH_MSG_TYPE_MAKE_SEND_ONCE
                                                                            : MACH_MSG_TYPE_MAKE_SEND;
    h.msgh_remote_port = dest;
    h.msgh_local_port = MACH_PORT_NULL;
    if (reply_type != 0) {
      reply = right_for(reply_type, h.msgh_local_port == MACH_PORT_NULL ? 1 : h.msgh_local_port);
      if (reply == 1) reply = MACH_PORT_NULL;
      h.msgh_local_port = reply;
    }
    h.msgh_voucher_port = MACH_PORT_NULL;
    h.msgh_bits = (h.msgh_bits & MACH_MSGH_BITS_COMPLEX) | MACH_MSGH_BITS(dest_type, reply_type);
    std::memcpy(msg, &h, sizeof h);
    if (!(h.msgh_bits & MACH_MSGH_BITS_COMPLEX) || size < sizeof(mach_msg_base_t)) return true;
    mach_msg_body_t body;
    std::memcpy(&body, msg + sizeof h, sizeof body);
    size_t p = sizeof(mach_msg_base_t);
    for (uint32_t i = 0; i < body.msgh_descriptor_count && p + sizeof(mach_msg_port_descriptor_t) <= size; i++) {
      uint8_t type = msg[p + 11];
      if (type == MACH_MSG_PORT_DESCRIPTOR) {
        mach_msg_port_descriptor_t d;
        std::memcpy(&d, msg + p, sizeof d);
        d.name = right_for(d.disposition, d.name);
        std::memcpy(msg + p, &d, sizeof d);
        p += sizeof d;
      } else if ((type == MACH_MSG_OOL_DESCRIPTOR || type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR) &&
                 p + sizeof(mach_msg_ool_descriptor_t) <= size) {
        // Volatile regions are sent like any other (as XNU does): bounded and made real here too.
        mach_msg_ool_descriptor_t d;
        std::memcpy(&d, msg + p, sizeof d);
        if (d.size > kMaxRegion) d.size %= kMaxRegion;
        d.address = region(d.size, d.deallocate);
        std::memcpy(msg + p, &d, sizeof d);
        p += sizeof d;
      } else if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR && p + sizeof(mach_msg_ool_ports_descriptor_t) <= size) {
        mach_msg_ool_ports_descriptor_t d;
        std::memcpy(&d, msg + p, sizeof d);
        if (d.count > kMaxOolPorts) d.count %= kMaxOolPorts;
        auto *names = static_cast<mach_port_t *>(region(d.count * sizeof(mach_port_t), d.deallocate));
        for (mach_msg_type_number_t k = 0; k < d.count; k++) names[k] = right_for(d.disposition, k + 1);
        d.address = names;
        std::memcpy(msg + p, &d, sizeof d);
        p += sizeof d;
      } else {
        break;  // an unknown descriptor: the runtime must refuse it
      }
    }
    return true;
  }

  /** After a send that failed: the rights and regions it did not consume are still ours. */
  void send_failed() { unsent_ = true; }

  /**
   * Destroys every port made for the message (their queues first: messages
   * sent to them may carry more rights) and the regions the send did not take.
   */
  void release() {
    for (int round = 0; round < 3; round++)
      for (mach_port_t p : ports) drain(p);
    for (mach_port_t so : send_onces_) mach_port_deallocate(mach_task_self(), so);  // stale names fail harmlessly
    for (mach_port_t p : copied_sends_) mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, -1);
    for (mach_port_t p : moved_receives_) {
      // Still ours only when the send failed before taking it.
      mach_port_type_t t = 0;
      if (mach_port_type(mach_task_self(), p, &t) == KERN_SUCCESS && (t & MACH_PORT_TYPE_RECEIVE))
        mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
    }
    // What is left on our ports now is what somebody else kept: the request and reply were destroyed.
    for (mach_port_t p : ports) {
      mach_port_urefs_t sends = 0;
      if (mach_port_get_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, &sends) == KERN_SUCCESS && sends != 0)
        finding("a send right to a port made for the message was left behind");
    }
    for (mach_port_t p : ports) mach_port_destroy(mach_task_self(), p);
    for (auto &r : regions_)
      if (unsent_ || !r.deallocate) vm_deallocate(mach_task_self(), r.address, r.size);
    ports.clear();
    send_onces_.clear();
    copied_sends_.clear();
    moved_receives_.clear();
    regions_.clear();
    reply = MACH_PORT_NULL;
    unsent_ = false;
  }

 private:
  struct Region {
    vm_address_t address;
    vm_size_t size;
    bool deallocate;
  };

  void *region(size_t size, bool deallocate) {
    if (size == 0) return nullptr;
    vm_address_t a = 0;
    check(vm_allocate(mach_task_self(), &a, size, VM_FLAGS_ANYWHERE), "vm_allocate");
    std::memset(reinterpret_cast<void *>(a), 0x5a, size);
    regions_.push_back({a, size, deallocate});
    return reinterpret_cast<void *>(a);
  }

  std::vector<mach_port_t> send_onces_;
  std::vector<mach_port_t> copied_sends_;
  std::vector<mach_port_t> moved_receives_;
  std::vector<Region> regions_;
  bool unsent_ = false;
};

}  // namespace tsmig_fuzz

#endif
