// Linux emulation, wire format: the layout of one datagram on a port's
// socket. One Mach message is one SOCK_SEQPACKET datagram:
//
//   WireHeader | records | Mach message (names and addresses zeroed) | inline out-of-line data
//   + SCM_RIGHTS: one descriptor per right / memory object, in record order
//     (the last one is an auxiliary socket when the message needs more than
//     one control message can carry, see WIRE_AUX)
//
// Records follow the message's own order: the reply right (when the header
// names one), then every descriptor (an out-of-line ports descriptor has one
// record per element). Every field is host-endian: both peers run on the
// same machine. The receiver checks all of it before it trusts any of it.
#ifndef TSMIG_LINUX_WIRE_H
#define TSMIG_LINUX_WIRE_H

#include <cstdint>

namespace tsmig::lx {

/** 'TSMG' — the first word of every tsmig datagram. */
constexpr uint32_t kWireMagic = 0x474d5354u;
constexpr uint16_t kWireVersion = 1;

/** The datagram counted against the port's queue limit (the receiver gives the slot back). */
constexpr uint16_t WIRE_COUNTED = 1u << 0;
/** The last SCM_RIGHTS descriptor is an auxiliary socket holding the rest of the descriptors
    (and, with WIRE_RECORDS_IN_AUX, the records) as a stream of datagrams, then EOF. */
constexpr uint16_t WIRE_AUX = 1u << 1;
/** The records travel in the auxiliary socket (too many for the datagram). */
constexpr uint16_t WIRE_RECORDS_IN_AUX = 1u << 2;
/** A notification the runtime generated on Mach's behalf: the receiver reports the kernel
    as its sender in the trailer (see the trust model in README.md). */
constexpr uint16_t WIRE_KERNEL = 1u << 3;
/** Not a message: a header alone that wakes a thread of the receiving process blocked directly on
    the home family, so it looks at the port again. Receivers discard it wherever they find it. */
constexpr uint16_t WIRE_WAKE = 1u << 4;

/** Sent on a send-once right: one more descriptor follows the records' ones in SCM_RIGHTS (not in
    fd_count), the right's own sending end, given back so the receiver can reuse the family. */
constexpr uint16_t WIRE_RETURN = 1u << 5;

struct WireHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t flags;
  uint32_t mach_size;     // bytes of the Mach message
  uint32_t record_bytes;  // bytes of the records section
  uint32_t record_count;  // records (not counting receive-right state blocks)
  uint32_t fd_count;      // descriptors the records own, in total (main + auxiliary)
  uint32_t inline_bytes;  // bytes of out-of-line data copied into the datagram
  uint32_t reserved;
};
static_assert(sizeof(WireHeader) == 32, "wire header is 32 bytes");

/** What a record stands for. */
enum RecordKind : uint8_t {
  REC_NULL = 0,        // MACH_PORT_NULL
  REC_DEAD = 1,        // MACH_PORT_DEAD
  REC_SEND = 2,        // a send right: 1 descriptor (the sending end), value = port id
  REC_SEND_ONCE = 3,   // a send-once right: 1 descriptor, value = port id
  REC_RECEIVE = 4,     // a receive right: a RecvState block follows, its descriptors, value = port id
  REC_OOL_EMPTY = 5,   // an out-of-line region of size 0
  REC_OOL_INLINE = 6,  // size bytes at inline offset `value`
  REC_OOL_MEMFD = 7,   // 1 descriptor: a shared memfd of `value` bytes, the region is its first `size`
  REC_OOL_SEALED = 8,  // 1 descriptor: a sealed memfd of `value` bytes (private copy mode)
};

struct WireRecord {
  uint8_t kind;
  uint8_t reserved[3];
  uint32_t size;   // REC_OOL_*: region size; REC_RECEIVE: bytes of the RecvState block that follows
  uint64_t value;  // port id / inline offset / memfd size
};
static_assert(sizeof(WireRecord) == 16, "records are 16 bytes");

/** Flags of a moved receive right. */
constexpr uint32_t RS_HOME = 1u << 0;           // the home family travels (both ends)
constexpr uint32_t RS_HOME_EXPORTED = 1u << 1;  // copies of the home sending end exist elsewhere
constexpr uint32_t RS_PAGE = 1u << 2;           // the queue page travels
constexpr uint32_t RS_NO_SENDERS = 1u << 3;     // a no-senders request travels (its send-once right)
constexpr uint32_t RS_PORT_DESTROYED = 1u << 4; // a port-destroyed request travels
constexpr uint32_t RS_ROOM = 1u << 5;           // the queue page's room eventfd travels
constexpr uint32_t RS_STASH = 1u << 6;          // a received, too-large message travels (StashHeader)

/**
 * The state of a receive right in transit. Descriptors, in this order: the
 * queue page, its room eventfd, the home family's receiving then sending end,
 * one receiving end per family, the no-senders notify right, the
 * port-destroyed notify right.
 */
struct RecvState {
  uint32_t flags;
  uint32_t qlimit;
  uint32_t ns_sync;
  uint32_t family_count;   // families besides home
  uint64_t context;
  // followed by family_count × RecvFamily
};
static_assert(sizeof(RecvState) == 24, "receive state is 24 bytes");

struct RecvFamily {
  uint8_t kind;  // 1 send, 2 send-once
  uint8_t reserved[7];
};
static_assert(sizeof(RecvFamily) == 8, "family entries are 8 bytes");

/**
 * A stashed message of a moved receive right, after the family entries:
 * this header, the datagram, the auxiliary records; its descriptors come
 * last in the descriptor list.
 */
struct StashHeader {
  uint32_t data_len;
  uint32_t aux_len;
  uint32_t fd_count;
  uint32_t flags;  // 1: credentials present, 2: descriptors were lost, 4: auxiliary socket read,
                   // 8: its queue-limit slot was given back
  int32_t pid;
  uint32_t uid;
  uint32_t gid;
  uint32_t reserved;
};
static_assert(sizeof(StashHeader) == 32, "stash header is 32 bytes");

/**
 * The first datagram in the *reverse* direction of every send family: the
 * receiving end writes it once when it makes the family, and every holder of
 * the sending end can read it with MSG_PEEK. It names the port and carries
 * the port's queue page and room eventfd (SCM_RIGHTS), so any process that
 * receives a send right can find them without another message.
 */
struct Mailbox {
  uint32_t magic;
  uint32_t version;
  uint64_t port_id;
};

/** The shared page of a port (a memfd mapped by the receiver and by each process that sends). */
constexpr uint32_t kPageMagic = 0x51474d54u;  // 'TMGQ'

}  // namespace tsmig::lx

#endif
