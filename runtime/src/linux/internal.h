// Linux emulation of Mach IPC: the shared internals. One IPC space per
// process (the `Space`), guarded by one mutex that is never held across a
// blocking call; ports, port sets, families (socket pairs) and out-of-line
// regions as README.md in this directory describes. Every function here that
// takes a `Space &` expects its mutex to be held unless it says otherwise.
#ifndef TSMIG_LINUX_INTERNAL_H
#define TSMIG_LINUX_INTERNAL_H

#include <tsmig/mach.h>
#include <tsmig/mig.h>
#include <tsmig/runtime.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "wire.h"

namespace tsmig::lx {

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/** Most descriptors one SCM_RIGHTS control message carries (the kernel's SCM_MAX_FD). */
constexpr size_t kMaxFdsPerDatagram = 253;
/** Largest Mach message accepted inline (Mach's "reliable" size). */
constexpr size_t kMaxMachSize = MACH_MSG_SIZE_RELIABLE;
/** Largest datagram we send; fits the socket buffer we ask for even where wmem_max is the default. */
constexpr size_t kMaxDatagram = 400 * 1024;
/** Send buffer requested for every sending end (the kernel clamps it to wmem_max and doubles it). */
constexpr int kSendBuffer = 1 << 20;
/** Out-of-line regions up to this size are copied inside the datagram... */
constexpr size_t kInlineRegionMax = 32 * 1024;
/** ...as long as the datagram's inline data stays under this. */
constexpr size_t kInlineBudget = 96 * 1024;
/** Regions at least this large come from memfd segments (shareable); smaller ones are anonymous. */
constexpr size_t kSegmentMin = 64 * 1024;
/** Send-once families kept at rest per port, for the next reply right (see lend_idle_once). */
constexpr size_t kIdleOnceMax = 8;
/** Free pooled memory kept for reuse, per kind. */
constexpr size_t kPoolCapSegments = 256u << 20;
constexpr size_t kPoolCapAnonymous = 16u << 20;
/** Mappings of regions this process sent away, kept so they are not faulted in again if they return. */
constexpr size_t kAwayCap = 256u << 20;
/** Most user references one name holds (Mach's kernel limit; not part of the user headers). */
constexpr mach_port_urefs_t MACH_PORT_UREFS_MAX = 0xffff;
inline bool MACH_PORT_UREFS_OVERFLOW(mach_port_urefs_t urefs, mach_port_delta_t delta) {
  return delta > 0 && static_cast<uint64_t>(urefs) + static_cast<uint64_t>(delta) > MACH_PORT_UREFS_MAX;
}
inline bool MACH_PORT_UREFS_UNDERFLOW(mach_port_urefs_t urefs, mach_port_delta_t delta) {
  return delta < 0 && static_cast<uint64_t>(-static_cast<int64_t>(delta)) > urefs;
}

// ---------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------

/**
 * A port's queue page: a memfd page shared by the receiver and every process
 * that sends to the port, counting the messages queued on all of the port's
 * families so the queue limit is Mach's (messages per port), not bytes.
 * Senders waiting for room (blocked threads, event-loop send watches) count
 * themselves in `waiters` and poll the port's room eventfd (a semaphore,
 * shared like the page): the receiver posts one token per slot it frees
 * while anybody waits.
 */
struct QueuePage {
  uint32_t magic;
  uint32_t version;
  uint64_t port_id;
  std::atomic<int32_t> queued;   // messages sent and not yet received
  std::atomic<int32_t> qlimit;   // the port's queue limit
  std::atomic<int32_t> waiters;  // senders waiting for room
  std::atomic<int32_t> tokens;   // tokens posted and not yet taken (kept at most `waiters`)
};
static_assert(std::atomic<int32_t>::is_always_lock_free, "cross-process atomics must be lock-free");

enum class FamilyKind : uint8_t { Home = 0, Send = 1, SendOnce = 2 };

/** One socket pair of a port, seen from the receive right: we hold its receiving end. */
struct Family {
  int fd = -1;                // receiving end
  FamilyKind kind = FamilyKind::Send;
  bool senders_gone = false;  // every sending end is closed (EPOLLHUP seen), messages may remain
  uint64_t monitor_token = 0; // registered with the monitor thread (no-senders request armed)
  // Send-once families only (the reply-right pool, see lend_idle_once):
  uint64_t send_ino = 0;    // the inode of its sending end (what a returned descriptor must be)
  uint64_t lent_for = 0;    // outstanding: the port id of the message that carried its right (0: not poolable)
  int idle_send = -1;       // at rest: its sending end came back with the one message it carried
};

enum class PortState : uint8_t { Live, InTransit, Gone };

/**
 * A message taken off a family that did not fit the receiver's buffer under
 * MACH_RCV_LARGE: it stays at the head of the port's queue here (checked,
 * with its descriptors and sender), and the port's epoll polls readable
 * (kStashToken) until it is received. It travels with a moved receive right.
 */
struct Stash {
  std::vector<uint8_t> data;         // the datagram (its slot of the queue limit already given back)
  std::vector<uint8_t> aux_records;  // records read from its auxiliary socket, if any
  std::vector<int> fds;              // every descriptor it carries, auxiliary ones included
  bool aux_read = false;             // its auxiliary socket (if any) was read into aux_records and fds
  bool slot_released = false;        // its slot of the queue limit was given back
  bool fds_lost = false;
  bool have_creds = false;
  int32_t pid = 0;
  uint32_t uid = 0, gid = 0;
};

/** The epoll data of the space's stash descriptor in a port's epoll. */
constexpr uint64_t kStashToken = ~0ull;

/** A port whose receive right this process holds. */
struct ReceivePort {
  uint64_t id = 0;
  int epfd = -1;  // epoll over the families' receiving ends: the watch descriptor
  std::unordered_map<uint64_t, Family> families;  // by token (the epoll data)
  uint64_t home_token = 0;  // the home family (0: none yet)
  int home_send_fd = -1;    // its sending end, which never leaves this process unless exported
  bool home_exported = false;  // copies of the home sending end were given away
  int page_fd = -1;
  QueuePage *page = nullptr;
  int room_fd = -1;  // the page's room eventfd (owned by the PageMap)
  uint32_t qlimit = MACH_PORT_QLIMIT_DEFAULT;  // until the page exists
  uint32_t seqno = 0;
  uint32_t mscount = 0;
  uint32_t sorights = 0;
  mach_port_context_t context = 0;
  int ns_fd = -1;  // no-senders request: a send-once right to the notify port
  uint32_t ns_sync = 0;
  int pd_fd = -1;  // port-destroyed request
  mach_port_name_t pset = MACH_PORT_NULL;
  PortState state = PortState::Live;
  bool woken = false;  // the space's wake descriptor was added to epfd
  std::unique_ptr<Stash> stash;
  // Threads blocked in recvmsg on the home family itself (the fast path of a blocking receive on a
  // port whose only family is home), and what keeps new ones out while the port is being moved.
  int direct = 0;
  int no_direct = 0;
  std::vector<int> deferred_close;  // descriptors to close once the direct receivers have left
  std::vector<uint64_t> idle_once;  // send-once families at rest (tokens, oldest first)
  ~ReceivePort();
};

struct PortSet {
  int epfd = -1;  // epoll over the members' epoll descriptors (data = member port id)
  std::vector<uint64_t> members;
  PortState state = PortState::Live;
  bool woken = false;
  ~PortSet();
};

/** One name in the space. */
struct Entry {
  uint8_t gen = 3;
  bool used = false;
  bool kept_after_fork = false;
  mach_port_type_t rights = 0;  // MACH_PORT_TYPE_{SEND,RECEIVE,SEND_ONCE,PORT_SET,DEAD_NAME}
  uint32_t urefs = 0;           // send or dead-name user references
  uint64_t port_id = 0;
  int fd = -1;  // sending end of a send right we hold without the receive right, or of a send-once right
  std::shared_ptr<ReceivePort> recv;
  std::shared_ptr<PortSet> pset;
  int dn_fd = -1;         // dead-name request: a send-once right to the notify port
  uint64_t dn_token = 0;  // its monitor registration
  QueuePage *page = nullptr;  // our mapping of the port's queue page (send rights, lazy)
  bool page_missing = false;  // the port has no page (not made by tsmig, or its mailbox was read away)
};

/** A mapping of a queue page shared by every name of one port in this process, and its room eventfd. */
struct PageMap {
  QueuePage *page = nullptr;
  uint32_t refs = 0;
  int room_fd = -1;
};

/** A send watch handed to an event loop (tsmig_port_send_watch_fd). */
struct SendWatch {
  uint64_t port_id = 0;
  QueuePage *page = nullptr;  // set when the watch waits for a queue slot (holds a page reference)
  int room_fd = -1;           // our copy of the room eventfd
  int dest_fd = -1;           // our copy of the destination's sending end (death, or socket room)
};

/** A special port of the task (kept across fork, as Mach does). */
struct SpecialPort {
  int fd = -1;
  uint64_t id = 0;
};

// ---------------------------------------------------------------------------
// Out-of-line memory
// ---------------------------------------------------------------------------

enum class RegionKind : uint8_t { Anonymous, Segment, PrivateCopy };
enum class RegionState : uint8_t { Owned, Free, Away };

/** A region of memory the runtime handed out (vm_allocate, a received region) or pools. */
struct Region {
  uintptr_t addr = 0;
  size_t len = 0;  // mapped bytes (page multiple)
  RegionKind kind = RegionKind::Anonymous;
  RegionState state = RegionState::Owned;
  int fd = -1;          // the memfd of a segment we own or pool
  uint64_t ino = 0;     // the memfd's inode (the mapping cache key)
  uint64_t last_use = 0;
  bool fragmented = false;  // part of it was deallocated: never pooled again
};

// ---------------------------------------------------------------------------
// Rights and regions in flight
// ---------------------------------------------------------------------------

/**
 * A right taken out of a space by copyin (until the datagram is sent or the
 * copyin is undone) or received in a datagram (until copyout installs it).
 */
struct CarriedRight {
  uint8_t kind = REC_NULL;
  uint64_t id = 0;
  int fd = -1;            // REC_SEND / REC_SEND_ONCE: the sending end
  bool fd_owned = false;  // false: borrowed from an entry or a port, valid only while the lock is held
  std::shared_ptr<ReceivePort> recv;  // REC_RECEIVE
  // Undo information (copyin only).
  mach_port_name_t from_name = MACH_PORT_NULL;
  mach_msg_type_name_t disposition = 0;
  bool made = false;            // a family was made for this right (made_token on port id)
  uint64_t made_token = 0;
  bool took_uref = false;       // a user reference of from_name was consumed
  bool took_dead_uref = false;  // a dead name's reference was consumed (MOVE_* of a dead name)
  bool took_entry = false;      // the whole right left from_name (its descriptor is now ours)
  bool pinned = false;          // fd is our private copy of a borrowed descriptor (the lock was dropped)
};

/** An out-of-line region taken by copyin (sending side). */
struct CarriedRegion {
  uint8_t kind = REC_OOL_EMPTY;
  uint32_t size = 0;
  uint64_t value = 0;           // inline offset or memfd size
  int fd = -1;
  bool fd_owned = false;
  const void *inline_src = nullptr;
  uintptr_t sent_segment = 0;   // a segment of ours that leaves with the message (its address)
  bool segment_was_owned = false;  // it was the user's own region (deallocate) or a pool copy
  uintptr_t dealloc_addr = 0;   // the user's region to deallocate after a successful send
  size_t dealloc_size = 0;
};

/** The datagram being built for one send. */
struct OutMessage {
  WireHeader header{};
  std::vector<uint8_t> records;
  std::vector<uint8_t> mach;
  std::vector<int> fds;
  std::vector<uint8_t> inline_data;
  void clear();
  void add_record(uint8_t kind, uint32_t size, uint64_t value);
};

// ---------------------------------------------------------------------------
// The monitor thread
// ---------------------------------------------------------------------------

struct MonitorReg {
  enum Kind : uint8_t { DeadName, FamilyHangup } kind;
  mach_port_name_t name = 0;  // DeadName
  uint64_t port_id = 0;       // FamilyHangup
  uint64_t family_token = 0;
};

struct Monitor {
  int epfd = -1;
  bool started = false;
  std::unordered_map<uint64_t, MonitorReg> regs;
};

// ---------------------------------------------------------------------------
// The space
// ---------------------------------------------------------------------------

struct Space {
  std::mutex mu;
  std::vector<Entry> table;  // index 0 unused, index 1 the task itself
  std::vector<uint32_t> free_indices;
  std::unordered_map<uint64_t, mach_port_name_t> by_id;  // port id -> the name holding send/receive rights
  std::unordered_map<uint64_t, PageMap> pages;            // port id -> queue page mapping
  std::unordered_map<int, SendWatch> send_watches;        // watch descriptor -> what it waits for
  SpecialPort special[TASK_MAX_SPECIAL_PORT + 1];
  uint64_t next_token = 1;
  uint64_t id_state = 0;
  uint64_t rejected = 0;
  uint64_t once_reused = 0;  // send-once rights lent from the pool
  uint64_t use_clock = 0;
  int wake_fd = -1;   // an eventfd that is always readable: added to an epoll, it wakes every waiter
  int stash_fd = -1;  // another one, in the epoll of each port that holds a stashed message
  std::condition_variable direct_cv;  // a direct receiver left its recvmsg
  Monitor monitor;
  std::map<uintptr_t, Region> regions;
  std::multimap<size_t, uintptr_t> free_segments;   // len -> address
  std::multimap<size_t, uintptr_t> free_anonymous;  // len -> address
  std::unordered_map<uint64_t, uintptr_t> away;     // memfd inode -> address of an Away mapping
  size_t free_segment_bytes = 0, free_anonymous_bytes = 0, away_bytes = 0;
  bool ool_copy_mode = false;     // TSMIG_OOL=copy: private sealed copies for every large region
  bool ool_protect_mode = false;  // TSMIG_OOL=protect: regions sent away become inaccessible (PROT_NONE)
  std::atomic<uint64_t> epoch{1};  // bumped by the reset after fork()
  uint32_t fork_slot = 0;          // a free table index reserved before fork() for the child's bootstrap name
};

/** The process's space (created on first use, rebuilt lazily in a forked child). The lock is not held. */
Space &space();
/** The space's epoch, for per-thread state (the reply port) that must not outlive a fork. */
uint64_t space_epoch();

using Lock = std::unique_lock<std::mutex>;

// names and entries (space.cc)
Entry *lookup(Space &s, mach_port_name_t name);
mach_port_name_t alloc_name(Space &s);
kern_return_t alloc_name_at(Space &s, mach_port_name_t name);
void free_name(Space &s, mach_port_name_t name);
uint64_t new_port_id(Space &s);
uint64_t new_token(Space &s);
bool is_task_self(mach_port_name_t name);
/** Removes the send right of `name` (urefs now 0): closes its descriptor, forgets its id. */
void drop_send(Space &s, mach_port_name_t name, Entry &e);
/** Turns a send or send-once right whose port died into a dead name; fires the dead-name request. */
void make_dead(Space &s, mach_port_name_t name, Entry &e);
/** A send or send-once right whose port died is a dead name from now on (polls its descriptor). */
bool check_dead(Space &s, mach_port_name_t name, Entry &e);
/** Frees the name if it holds nothing any more (sends port-deleted if a dead-name request remains). */
void release_if_empty(Space &s, mach_port_name_t name, Entry &e);
/** Destroys a receive right held under `name` (port-destroyed request honoured). */
void destroy_receive(Space &s, mach_port_name_t name, Entry &e);
/** Destroys a receive right that is not (or no longer) in the space. */
void destroy_port_object(Space &s, const std::shared_ptr<ReceivePort> &rp);
/** Removes a receive right from its port set, if any. */
void leave_set(Space &s, ReceivePort &rp);
/** Wakes every thread waiting on an epoll descriptor (they re-check the object's state). */
void wake_waiters(Space &s, int epfd, bool &woken);
/** The name of the receive right of port `id` in this space, or MACH_PORT_NULL. */
mach_port_name_t receive_name(Space &s, uint64_t id);

// ports and families (port.cc)
std::shared_ptr<ReceivePort> make_port(Space &s, kern_return_t &kr);
/** Makes a family of `rp`; returns its token and the sending end (owned by the caller). */
kern_return_t make_family(Space &s, ReceivePort &rp, FamilyKind kind, int &send_fd, uint64_t &token);
/** The home family (made on first use); its sending end stays in rp.home_send_fd. */
kern_return_t ensure_home(Space &s, ReceivePort &rp);
/** A send right to `rp` to give away: a copy of the home sending end, or a new family when a no-senders request needs to see every sender. */
kern_return_t export_send(Space &s, ReceivePort &rp, int &fd, bool &fd_owned, uint64_t &made_token);
/** Retires an exported home family (it becomes an ordinary family) so no-senders can be exact. */
void retire_home(Space &s, ReceivePort &rp);
/**
 * The send-once pool. A MIG client makes a send-once reply right for every
 * request; a fresh socket pair each time costs about 11 system calls (20 µs
 * a round trip here). So the sending end of a send-once right comes back
 * with the one message sent on it (WIRE_RETURN), and when it is provably the
 * family's own sending end (same inode) the family rests, receiving end still
 * registered, until the next send-once right made on this port for a message
 * to the same destination port reuses it. A resting family can receive
 * nothing (we hold its only sending end); one that does is destroyed.
 * Returns the sending end (owned by the caller) and the token, or -1.
 */
int lend_idle_once(Space &s, ReceivePort &rp, uint64_t dest_id, uint64_t &token);
/** A message arrived on send-once family `token` with its sending end `send_fd` returned: rest it (or close it). */
void rest_once(Space &s, ReceivePort &rp, uint64_t token, int send_fd);
/** Closes every resting send-once family of `rp` (it moves, or sends a notification, or is destroyed). */
void drop_idle_once(Space &s, ReceivePort &rp);
/** Live families of `rp` that can deliver a message (not resting). */
inline size_t active_families(const ReceivePort &rp) { return rp.families.size() - rp.idle_once.size(); }
/** Closes one family (unregisters it from the port's epoll and the monitor first). */
void close_family(Space &s, ReceivePort &rp, uint64_t token);
/** Closes everything a port holds (families, home, page, request rights); the port is gone. */
void close_port_descriptors(Space &s, ReceivePort &rp, bool send_requests_away);
/** Wakes the threads blocked directly on the home family (one wake datagram each). */
void wake_direct(Space &s, ReceivePort &rp);
/**
 * Keeps direct receivers off `rp` (no_direct++) and waits, releasing the held
 * lock, until none is inside recvmsg: nothing can then take a message from
 * the port's sockets before they move. The caller does no_direct-- later.
 */
void quiesce_direct(Space &s, ReceivePort &rp);
/** Keeps a stash at the head of the port (registers it with the port's epoll). */
void set_stash(Space &s, ReceivePort &rp, std::unique_ptr<Stash> stash);
/** Takes the stash off the port (unregisters it). */
std::unique_ptr<Stash> take_stash(Space &s, ReceivePort &rp);
kern_return_t ensure_page(Space &s, ReceivePort &rp);
/**
 * Posts up to `tokens` on the room eventfd, never more than there are waiters
 * without one (a slot freed, the limit changed, the port died): a waiting
 * sender is woken once per wait, not once per freed slot.
 */
void page_post(QueuePage *page, int room_fd, int32_t tokens);
/** Takes one token from the room eventfd (a waiter woke up); false if there was none. */
bool page_take(QueuePage *page, int room_fd);
/** Takes one slot of the queue limit; false when the queue is full. */
bool page_reserve(QueuePage *page);
/** Gives a slot back (the receiver dequeued a counted message, or a send failed) and wakes one waiter. */
void page_release(QueuePage *page, int room_fd);
/** The room eventfd of a mapped page (-1 if none). */
int page_room_fd(Space &s, uint64_t id);
uint32_t port_qlimit(const ReceivePort &rp);
/** Maps the page of the port a send right names (reads the family's mailbox once per port). */
QueuePage *sender_page(Space &s, Entry &e);
void unref_page(Space &s, uint64_t id);
QueuePage *map_page(int fd, uint64_t expect_id);
/** Reads the mailbox of a sending end: the port id, and the page and room descriptors if wanted. */
bool read_mailbox(int send_fd, uint64_t &port_id, int *page_fd, int *room_fd);
uint64_t inode_of(int fd);

// rights (rights.cc)
/**
 * Takes a right out of the space as a message carrying it would (copyin).
 * `lend_for`: the id of the port the message goes to, for a MAKE_SEND_ONCE
 * reply right that may come from (and return to) the send-once pool.
 */
kern_return_t copyin_right(Space &s, mach_port_name_t name, mach_msg_type_name_t disposition, CarriedRight &out,
                           uint64_t lend_for = 0);
/** Puts a right taken by copyin back where it came from (a failed send). Returns the name it has now. */
mach_port_name_t undo_copyin(Space &s, CarriedRight &r);
/** Finishes a sent right: closes what this process no longer holds. */
void commit_sent(Space &s, CarriedRight &r);
/** Destroys a right in flight (a message destroyed instead of sent or received). */
void destroy_carried(Space &s, CarriedRight &r);
/** Installs a received right in the space (copyout); `fd`s are taken over. Returns the name. */
mach_port_name_t install_right(Space &s, CarriedRight &r, kern_return_t &kr);
/**
 * Installs a right under the chosen name `want` (free, and the port has no
 * other name here). On failure returns MACH_PORT_NULL and leaves `r` as it was.
 */
mach_port_name_t install_right_at(Space &s, CarriedRight &r, mach_port_name_t want, kern_return_t &kr);
/** The received type of a disposition (MACH_MSG_TYPE_PORT_*). */
mach_msg_type_name_t received_type(mach_msg_type_name_t disposition);
/** Serialises a receive right in transit (its record's state block) and lists its descriptors. */
void serialize_receive(Space &s, ReceivePort &rp, std::vector<uint8_t> &block, std::vector<int> &fds);
/** The number of descriptors a receive right's state block announces (after validation). */
bool receive_state_fds(const uint8_t *block, size_t len, size_t &fds);
/** Builds a receive right from a state block and its descriptors (taken over). */
std::shared_ptr<ReceivePort> adopt_receive(Space &s, uint64_t id, const uint8_t *block, size_t len, const int *fds,
                                           kern_return_t &kr);
/** After a receive right left with a message: close our copies, wake waiters. */
void finish_departure(Space &s, ReceivePort &rp);

// messages (send.cc, receive.cc)
mach_msg_return_t msg_send(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_timeout_t timeout);
mach_msg_return_t msg_receive(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t rcv_size,
                              mach_port_name_t rcv_name, mach_msg_timeout_t timeout);
/**
 * Sends a datagram on `fd` without blocking: the aux channel for many
 * descriptors, MSG_NOSIGNAL, MSG_DONTWAIT. Returns 0 or an errno.
 * `return_fd` (a send-once right's sending end, the destination) travels
 * last in SCM_RIGHTS under WIRE_RETURN, not counted in fd_count, so the
 * receiver can pool the family; not when the auxiliary channel is needed.
 */
int send_datagram(OutMessage &out, int fd, int return_fd = -1);
/** Sends a notification (a runtime-made message) on a send-once right, which it consumes. */
void send_notification(Space &s, int so_fd, mach_msg_id_t id, const void *body, size_t body_size,
                       CarriedRight *carried = nullptr);
void notify_port_deleted(Space &s, int so_fd, mach_port_name_t name);
void notify_dead_name(Space &s, int so_fd, mach_port_name_t name);

// notifications and the monitor (notify.cc)
void monitor_watch_dead_name(Space &s, mach_port_name_t name, Entry &e);
void monitor_unwatch_dead_name(Space &s, Entry &e);
void monitor_watch_family(Space &s, ReceivePort &rp, uint64_t token);
void monitor_unwatch_family(Space &s, Family &f);
/** Fires the no-senders request of `rp` when no send right to it remains. */
void check_no_senders(Space &s, ReceivePort &rp);
/** Arms the no-senders machinery for every family of `rp` (a request, or a receive right arriving with one). */
void arm_no_senders(Space &s, ReceivePort &rp);
void disarm_no_senders(Space &s, ReceivePort &rp);

// out-of-line memory (vm.cc)
kern_return_t region_allocate(Space &s, size_t size, uintptr_t &addr, bool shareable_hint);
kern_return_t region_deallocate(Space &s, uintptr_t addr, size_t size);
/** Copyin of an out-of-line region for a message. */
mach_msg_return_t copyin_region(Space &s, OutMessage &msg, const void *addr, size_t size, bool deallocate,
                                CarriedRegion &out);
void undo_region(Space &s, CarriedRegion &r);
void commit_region(Space &s, CarriedRegion &r);
/** Copyout of a received region: maps a memfd (reusing a cached mapping) or copies inline data. */
kern_return_t receive_region(Space &s, uint8_t kind, uint32_t size, uint64_t value, int fd, const uint8_t *inline_data,
                             uintptr_t &addr);
void trim_pools(Space &s, bool everything);
/** Copies user memory safely: false when the range is not readable. */
bool safe_copy(void *dst, const void *src, size_t n);

// descriptors
void close_fd(int fd);
int dup_cloexec(int fd);

/** True when `fd` is the sending end of a tsmig port (its mailbox names the port `id`). */
bool validate_send_fd(int fd, uint64_t &id);

// fork (fork.cc)
void install_fork_handlers();
/** The space if it exists (no initialisation, no reset): for the fork handlers. */
Space *raw_space();
/** Rebuilds the space in a forked child on its first call into the library. */
void reset_space_after_fork_locked(Space &s);
extern std::atomic<bool> g_reset_pending;

}  // namespace tsmig::lx

#endif
