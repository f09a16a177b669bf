// libFuzzer target: the parent's side of the child handshake
// (runtime/src/handshake/parent.cc and protocol.cc: drain, hold, decode,
// token and pid checks, serve, refuse) driven as a hostile claimant would,
// on the real Linux runtime. Two real `tsmig::handshake::Parent`s are set up
// once — one per-child (Linux's model) and one with the shared rendezvous
// (macOS's model, TSMIG_HANDSHAKE_SHARED_RENDEZVOUS=1) — each with a ticket
// started as this very process (so its claims reach the token check and can
// succeed) and a ticket not started (so claims are held). Each ticket hands
// over a made send right, a moved receive right, a made send-once right and
// a copied send right. Each input becomes one message, sent one or more
// times with real rights and memory (support.h) through a send right made
// from the ticket's inherited descriptor; the parent drains, the input may
// then start or abandon the unstarted ticket, and every answer or refusal is
// received on the harness's reply ports. Tickets that ended are prepared
// again. Also feeds parse_environment_value.
//
// Promises checked after every input, besides ASan/UBSan: descriptors and
// names are back to their count; each parent has exactly the tickets the
// harness expects pending; a claim succeeded only from this process with the
// ticket's own token, and its answer decodes; every message sent with a
// send-once reply right got exactly one message back (answer, refusal or
// send-once notification) and a refusal carries a handshake code; every
// right the child offered comes back to the harness in the outcome.
//
// Input: u8 flags | u8 after | u8 n, n bytes (an environment value) | the
// message (its header's bits, ports and, as flags say, id are replaced).
//   flags bits 0-1 where: 0 the per-child parent's started ticket, 1 its
//     unstarted ticket, 2 the shared parent (its started ticket's pid known),
//     3 the shared parent with the started ticket prepared anew and started
//     only after the drain (the claim is held, then answered);
//   bits 2-3 msgh_id: 0 and 3 the claim id, 1 the answer id, 2 the message's own;
//   bit 4: the real token of the target ticket written into the token field;
//   bits 5-6 reply right: 0 none, 1 MAKE_SEND_ONCE, 2 MAKE_SEND, 3 the header's own;
//   bit 7: MACH_MSGH_BITS_COMPLEX set.
//   after bits 0-1, the unstarted ticket after the drain: 0 left as it is, 1
//     started as this process, 2 started as another pid, 3 abandoned;
//   bit 2: the claimant stops waiting: a made reply port is destroyed right
//     after the send (the answer fails: CHILD_GONE);
//   bit 3: the Parent is destroyed after the drain (held claims refused,
//     every ticket ended) and made again;
//   bits 4-7: the message is sent 1 + 5 × that many times, drained after
//     each (past the 64 claims a parent holds).
// With TSMIG_FUZZ_SEEDS=<dir> it writes its seed inputs there and exits.

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "parent.h"
#include "protocol.h"
#include "support.h"

using namespace tsmig_fuzz;
namespace hs = tsmig::handshake;

namespace {

/** The layout of the inline part that follows the port descriptors (see protocol.cc). */
constexpr size_t kHeadAndBody = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t);
constexpr size_t kTokenOffsetInPart = sizeof(NDR_record_t) + 4;  // NDR record, version
constexpr size_t kMaxMessage = 12 * 1024;

enum Where : uint8_t { STARTED = 0, UNSTARTED = 1, SHARED = 2, SHARED_LATE = 3 };

/** A ticket the harness keeps prepared, and the send right that leads to its rendezvous. */
struct Slot {
  uint64_t ticket = 0;
  std::string token;
  mach_port_t send = MACH_PORT_NULL;
  bool started = false;
};

/** One Parent with its started and unstarted ticket. */
struct Side {
  std::unique_ptr<hs::Parent> parent;
  Slot started;
  Slot unstarted;
};

Side g_per_child;
Side g_shared;
// Ports whose rights the tickets hand over: made send, made send-once, copied send (we hold one send right).
mach_port_t g_make_send = MACH_PORT_NULL;
mach_port_t g_make_send_once = MACH_PORT_NULL;
mach_port_t g_copy_send = MACH_PORT_NULL;
Baseline g_base;  // what every input must leave as it found it

/** Prepares `slot` anew on `side` (started as this process when `start`). */
void prepare(Side &side, Slot &slot, bool start) {
  if (slot.send != MACH_PORT_NULL) mach_port_deallocate(mach_task_self(), slot.send);  // a dead name by now
  mach_port_t moved = MACH_PORT_NULL;
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &moved), "mach_port_allocate");
  const tsmig_named_port_t ports[] = {
      {"made-send", g_make_send, MACH_MSG_TYPE_MAKE_SEND},
      {"moved-receive", moved, MACH_MSG_TYPE_MOVE_RECEIVE},
      {"made-send-once", g_make_send_once, MACH_MSG_TYPE_MAKE_SEND_ONCE},
      {"copied-send", g_copy_send, MACH_MSG_TYPE_COPY_SEND},
  };
  hs::Prepared prepared;
  check(side.parent->prepare(ports, 4, -1, prepared), "Parent::prepare");
  std::string locator;
  if (!hs::parse_environment_value(prepared.environment_value, slot.token, locator))
    finding("prepare made an environment value parse_environment_value refuses");
  // The child's descriptor, as the child would take it (a copy: the parent's own is closed as after a spawn).
  int fd = dup(prepared.inherit_fd);
  if (fd < 0) finding("dup of the inherited descriptor failed");
  close(prepared.inherit_fd);
  check(tsmig_fd_to_send_right(fd, &slot.send), "tsmig_fd_to_send_right");
  slot.ticket = prepared.ticket;
  slot.started = false;
  if (start) {
    std::vector<hs::Outcome> none;
    check(side.parent->started(slot.ticket, getpid(), none), "Parent::started");
    if (!none.empty()) finding("starting a fresh ticket ended a ticket");
    slot.started = true;
  }
}

/** A pid that is not this process's. */
pid_t other_pid() { return getppid() > 1 ? getppid() : 1; }

/** Makes the side's Parent: the shared model is chosen once, as it is made. */
void make_parent(Side &side) {
  if (&side == &g_shared) setenv("TSMIG_HANDSHAKE_SHARED_RENDEZVOUS", "1", 1);
  side.parent = std::make_unique<hs::Parent>(TSMIG_HANDSHAKE_DEFAULT_PREFIX);
  unsetenv("TSMIG_HANDSHAKE_SHARED_RENDEZVOUS");
}

/** One message as sent: what the checks afterwards need. */
struct Sent {
  Materializer m;
  bool delivered = false;
  bool send_once_reply = false;
  bool reply_died = false;
  std::string token;  // the token field's bytes, when the message is long enough to have one
};

/** Releases every right an outcome carries (the child's offered ports are the receiver's). */
void destroy_offered(hs::Outcome &outcome) {
  for (const tsmig_named_port_t &p : outcome.child.ports) {
    if (!MACH_PORT_VALID(p.port)) continue;
    if (p.disposition == MACH_MSG_TYPE_PORT_RECEIVE)
      mach_port_mod_refs(mach_task_self(), p.port, MACH_PORT_RIGHT_RECEIVE, -1);
    else
      mach_port_deallocate(mach_task_self(), p.port);
  }
}

/** Receives what came back on a reply port; returns how many messages, counting answers in `answers`. */
int take_replies(mach_port_t port, int &answers) {
  hs::MessageBuffer buffer;
  int n = 0;
  for (;;) {
    mach_msg_header_t *msg = buffer.header();
    mach_msg_return_t mr =
        mach_msg(msg, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof buffer.bytes, port, 0, MACH_PORT_NULL);
    if (mr == MACH_RCV_TIMED_OUT) return n;
    if (mr != MACH_MSG_SUCCESS) finding("receiving on a reply port failed");
    n++;
    if (msg->msgh_id == MACH_NOTIFY_SEND_ONCE) {
      // The reply right was destroyed unused (a claim the parent could not even receive).
    } else if (msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
      hs::Decoded answer;
      if (!hs::decode(msg, TSMIG_HANDSHAKE_ANSWER_ID, answer)) finding("the parent sent an answer that does not decode");
      if (answer.ports.size() != 4) finding("an answer without the ticket's four rights");
      answers++;
    } else {
      kern_return_t code = hs::refusal_code(msg);
      if (code == KERN_SUCCESS || (code & ~0xff) != TSMIG_HANDSHAKE_ERROR(0)) finding("a refusal without a handshake code");
    }
    mach_msg_destroy(msg);
  }
}

/** Sends one copy of the input's message to `dest`; fills `sent`. */
void send_one(const uint8_t *bytes, size_t len, uint8_t flags, bool reply_dies, mach_port_t dest,
              const std::string &token, Sent &sent) {
  size_t given = (len > kMaxMessage ? kMaxMessage : len) & ~static_cast<size_t>(3);
  // Shorter than a header: a bare header of zeros follows (refused, never lost).
  len = given < sizeof(mach_msg_header_t) ? sizeof(mach_msg_header_t) : given;
  std::vector<uint64_t> words(len / 8 + 2, 0);
  auto *msg = reinterpret_cast<uint8_t *>(words.data());
  if (given != 0) std::memcpy(msg, bytes, given);
  mach_msg_header_t h;
  std::memcpy(&h, msg, sizeof h);
  mach_msg_type_name_t reply = MACH_MSGH_BITS_LOCAL(h.msgh_bits);
  switch ((flags >> 5) & 3) {
    case 0: reply = 0; break;
    case 1: reply = MACH_MSG_TYPE_MAKE_SEND_ONCE; break;
    case 2: reply = MACH_MSG_TYPE_MAKE_SEND; break;
    default: break;
  }
  switch ((flags >> 2) & 3) {
    case 1: h.msgh_id = TSMIG_HANDSHAKE_ANSWER_ID; break;
    case 2: break;
    default: h.msgh_id = TSMIG_HANDSHAKE_CLAIM_ID; break;
  }
  h.msgh_bits = (h.msgh_bits & MACH_MSGH_BITS_COMPLEX) | (flags & 0x80 ? MACH_MSGH_BITS_COMPLEX : 0) |
                MACH_MSGH_BITS(0, reply);
  std::memcpy(msg, &h, sizeof h);
  if (len >= kHeadAndBody) {
    mach_msg_body_t body;
    std::memcpy(&body, msg + sizeof h, sizeof body);
    size_t at = kHeadAndBody + static_cast<size_t>(body.msgh_descriptor_count) * sizeof(mach_msg_port_descriptor_t) +
                kTokenOffsetInPart;
    if (body.msgh_descriptor_count <= TSMIG_HANDSHAKE_MAX_PORTS && at + TSMIG_HANDSHAKE_TOKEN_SIZE <= len) {
      if (flags & 0x10) std::memcpy(msg + at, token.data(), TSMIG_HANDSHAKE_TOKEN_SIZE);
      sent.token.assign(reinterpret_cast<const char *>(msg + at), TSMIG_HANDSHAKE_TOKEN_SIZE);
    }
  }
  if (!sent.m.prepare(msg, static_cast<mach_msg_size_t>(len), dest)) return;
  // The child's way: a copy of its send right to the rendezvous.
  std::memcpy(&h, msg, sizeof h);
  h.msgh_bits = (h.msgh_bits & ~MACH_MSGH_BITS_REMOTE_MASK) | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  std::memcpy(msg, &h, sizeof h);
  mach_msg_return_t mr = mach_msg(reinterpret_cast<mach_msg_header_t *>(msg), MACH_SEND_MSG | MACH_SEND_TIMEOUT,
                                  static_cast<mach_msg_size_t>(len), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
  if (mr != MACH_MSG_SUCCESS) {
    sent.m.send_failed();
    return;
  }
  sent.delivered = true;
  const mach_msg_type_name_t sent_reply = MACH_MSGH_BITS_LOCAL(h.msgh_bits);
  const bool made_reply = MACH_PORT_VALID(sent.m.reply) &&
                          (sent_reply == MACH_MSG_TYPE_MAKE_SEND_ONCE || sent_reply == MACH_MSG_TYPE_MAKE_SEND);
  sent.send_once_reply = made_reply && sent_reply == MACH_MSG_TYPE_MAKE_SEND_ONCE;
  if (reply_dies && made_reply) {
    // The claimant gave up: its reply port goes (and leaves the Materializer's list: the name may be reused).
    check(mach_port_mod_refs(mach_task_self(), sent.m.reply, MACH_PORT_RIGHT_RECEIVE, -1), "destroy reply port");
    for (auto it = sent.m.ports.begin(); it != sent.m.ports.end(); ++it)
      if (*it == sent.m.reply) {
        sent.m.ports.erase(it);
        break;
      }
    sent.m.reply = MACH_PORT_NULL;
    sent.send_once_reply = false;
    sent.reply_died = true;
  }
}

void run_one(const uint8_t *data, size_t size) {
  Reader r(data, size);
  const uint8_t flags = r.u8();
  const uint8_t after = r.u8();
  {
    std::vector<uint8_t> env = r.bytes(r.u8());
    std::string token, locator;
    std::string value(env.begin(), env.end());
    if (hs::parse_environment_value(value, token, locator)) {
      if (token.size() != TSMIG_HANDSHAKE_TOKEN_SIZE || locator.empty() ||
          hs::environment_value(token, locator) != value)
        finding("parse_environment_value accepted a value it does not give back");
    }
  }
  std::vector<uint8_t> message = r.rest();

  const Where where = static_cast<Where>(flags & 3);
  Side &side = where == STARTED || where == UNSTARTED ? g_per_child : g_shared;
  if (where == SHARED_LATE) {
    // The started ticket is replaced by one whose child has not registered yet.
    check(side.parent->abandon(side.started.ticket), "abandon");
    prepare(side, side.started, false);
  }
  Slot &target = where == UNSTARTED ? side.unstarted : side.started;

  std::vector<std::unique_ptr<Sent>> sent;
  std::vector<hs::Outcome> outcomes;
  const int copies = 1 + 5 * (after >> 4);
  for (int i = 0; i < copies; i++) {
    sent.push_back(std::make_unique<Sent>());
    send_one(message.data(), message.size(), flags, (after & 4) != 0, target.send, target.token, *sent.back());
    // Drained as the event loop would, between claims (a port queues only a few messages).
    side.parent->drain(outcomes);
  }
  // With the unstarted ticket also started as another pid, the late one is too: its held claims are then
  // strangers', held while a ticket is unstarted and refused once none is.
  const bool late_elsewhere = where == SHARED_LATE && (after & 3) == 2;
  if (where == SHARED_LATE) {
    check(side.parent->started(side.started.ticket, late_elsewhere ? other_pid() : getpid(), outcomes), "late started");
    side.started.started = true;
  }
  std::set<uint64_t> ended;
  switch (after & 3) {
    case 1:
      check(side.parent->started(side.unstarted.ticket, getpid(), outcomes), "started");
      side.unstarted.started = true;
      break;
    case 2:
      check(side.parent->started(side.unstarted.ticket, other_pid(), outcomes), "started");
      side.unstarted.started = true;
      break;
    case 3:
      check(side.parent->abandon(side.unstarted.ticket), "abandon");
      ended.insert(side.unstarted.ticket);
      break;
    default:
      break;
  }

  // What ended, and how: a success only for this process with the ticket's own token.
  int successes = 0;
  for (hs::Outcome &o : outcomes) {
    const Slot *slot = o.ticket == side.started.ticket ? &side.started
                       : o.ticket == side.unstarted.ticket ? &side.unstarted
                                                           : nullptr;
    if (slot == nullptr || !ended.insert(o.ticket).second) finding("an outcome for a ticket not pending");
    if (o.code == KERN_SUCCESS) {
      successes++;
      if (o.pid != getpid() || !slot->started || (late_elsewhere && slot == &side.started)) finding("a claim succeeded for a ticket not started as its claimant");
      bool token_sent = false;
      for (const auto &s : sent) token_sent |= s->delivered && s->token == slot->token;
      if (!token_sent) finding("a claim succeeded without the ticket's token");
    } else if (o.code == TSMIG_HANDSHAKE_CHILD_GONE) {
      bool died = false;
      for (const auto &s : sent) died |= s->reply_died;
      if (!died) finding("CHILD_GONE while every claimant's reply port lives");
    } else {
      finding("an outcome with an unexpected code");
    }
    destroy_offered(o);
  }
  if (side.parent->pending() != 2 - ended.size()) finding("pending() is not what the harness expects");

  if (after & 8) {
    // Gone with everything it held (claims held are refused), then made again.
    side.parent.reset();
    make_parent(side);
    ended.insert(side.started.ticket);
    ended.insert(side.unstarted.ticket);
  }
  // Tickets touched are ended (held claims then refused) and prepared again, as they were.
  bool unstarted_touched = where == UNSTARTED || (after & 3) != 0;
  if (!ended.count(side.unstarted.ticket) && unstarted_touched) {
    check(side.parent->abandon(side.unstarted.ticket), "abandon");
    ended.insert(side.unstarted.ticket);
  }
  if (late_elsewhere && !ended.count(side.started.ticket)) {
    check(side.parent->abandon(side.started.ticket), "abandon");
    ended.insert(side.started.ticket);
  }
  if (ended.count(side.started.ticket)) prepare(side, side.started, true);
  if (ended.count(side.unstarted.ticket)) prepare(side, side.unstarted, false);
  if (side.parent->pending() != 2) finding("pending() is not 2 after the tickets were prepared again");

  // Every message sent with a made send-once reply right was answered exactly once; the other ports
  // made for a message get only send-once notifications (rights the parent destroyed).
  int answers = 0;
  for (auto &s : sent) {
    for (mach_port_t p : s->m.ports) {
      int replies = take_replies(p, answers);
      if (p != s->m.reply) continue;
      if (s->send_once_reply && replies != 1) finding("a claim with a send-once reply right got no reply, or several");
      if (!s->send_once_reply && replies > 1) finding("a claim got several replies");
    }
  }
  if (answers != successes) finding("answers and successful outcomes differ");
  for (auto &s : sent) s->m.release();
  // Send-once notifications of handed rights destroyed with their ticket.
  drain(g_make_send_once);
  drain(g_make_send);
  drain(g_copy_send);
}

/** An input: flags, after, an environment value and a message. */
std::vector<uint8_t> input(uint8_t flags, uint8_t after, const std::string &env, const std::vector<uint8_t> &msg) {
  Writer w;
  w.u8(flags);
  w.u8(after);
  w.u8(static_cast<uint8_t>(env.size()));
  w.bytes(env.data(), env.size());
  w.bytes(msg.data(), msg.size());
  return w.out;
}

/** A well-formed claim offering `names` (made send rights, the token left as zeros for the flag to fill). */
std::vector<uint8_t> claim(const std::vector<std::string> &names, mach_msg_type_name_t disposition) {
  std::vector<hs::OwnedRight> rights;
  for (const std::string &n : names) rights.push_back({n, 1, disposition});
  hs::MessageBuffer buffer;
  mach_msg_size_t size = hs::encode(buffer, TSMIG_HANDSHAKE_CLAIM_ID, std::string(TSMIG_HANDSHAKE_TOKEN_SIZE, '0'), rights);
  return std::vector<uint8_t>(buffer.bytes, buffer.bytes + size);
}

/** The largest claim the protocol allows: every port, every name as long as it may be. */
std::vector<uint8_t> largest_claim() {
  std::vector<std::string> names;
  for (int i = 0; i < TSMIG_HANDSHAKE_MAX_PORTS; i++) {
    std::string n = std::to_string(i);
    names.push_back(n + std::string(TSMIG_HANDSHAKE_MAX_NAME - n.size(), 'n'));
  }
  return claim(names, MACH_MSG_TYPE_MAKE_SEND);
}

/** TSMIG_FUZZ_SEEDS=<dir>: writes the seed inputs, then exits. */
void write_seeds(const std::string &dir) {
  std::vector<uint8_t> too_large = largest_claim();
  too_large.resize(too_large.size() + 1024, 0);
  const std::string env = "1:0123456789abcdef0123456789abcdef:fd=3";
  const uint8_t claim_flags = 0x80 | (1 << 5);  // complex, MAKE_SEND_ONCE reply, claim id
  const uint8_t real = 0x10;
  struct Seed {
    const char *name;
    std::vector<uint8_t> bytes;
  } seeds[] = {
      {"claim-real-token", input(claim_flags | real, 0, env, claim({"reply", "data"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-no-ports", input(claim_flags | real, 0, env, claim({}, 0))},
      {"claim-every-right", input(claim_flags | real, 0, env,
                                  claim({"a", "b", "c"}, MACH_MSG_TYPE_MOVE_SEND_ONCE))},
      {"claim-receive-right", input(claim_flags | real, 0, env, claim({"r"}, MACH_MSG_TYPE_MOVE_RECEIVE))},
      {"claim-wrong-token", input(claim_flags, 0, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-no-reply", input(0x80 | real, 0, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-send-reply", input(0x80 | real | (2 << 5), 0, env, claim({"a"}, MACH_MSG_TYPE_COPY_SEND))},
      {"claim-as-answer", input(claim_flags | real | (1 << 2), 0, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-held-then-started", input(claim_flags | real | UNSTARTED, 1, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-held-then-stranger", input(claim_flags | real | UNSTARTED, 2, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-held-then-abandoned", input(claim_flags | real | UNSTARTED, 3, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claims-held-past-limit", input(claim_flags | UNSTARTED, 14 << 4, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-reply-port-dies", input(claim_flags | real, 4, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claims-held-parent-gone", input(claim_flags | real | UNSTARTED, 8 | (2 << 4), env,
                                        claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"shared-held-parent-gone", input(claim_flags | real | SHARED_LATE, 8, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"shared-claim", input(claim_flags | real | SHARED, 0, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"shared-claim-late-start", input(claim_flags | real | SHARED_LATE, 0, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"shared-wrong-token-late", input(claim_flags | SHARED_LATE, 1, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"shared-held-for-strangers", input(claim_flags | real | SHARED_LATE, 2, env, claim({"a"}, MACH_MSG_TYPE_MAKE_SEND))},
      {"claim-largest", input(claim_flags | real, 0, env, largest_claim())},
      {"claim-too-large-to-receive", input(claim_flags | real, 0, env, too_large)},
      {"refusal-bare-header", input(claim_flags, 0, "1:x:fd=3", std::vector<uint8_t>(sizeof(mach_msg_header_t), 0))},
  };
  for (const Seed &s : seeds) {
    std::ofstream f(dir + "/" + s.name, std::ios::binary);
    f.write(reinterpret_cast<const char *>(s.bytes.data()), static_cast<std::streamsize>(s.bytes.size()));
    if (!f) finding("a seed could not be written (does the directory exist?)");
  }
  std::fprintf(stderr, "handshake_parent: %zu seeds written to %s\n", sizeof seeds / sizeof seeds[0], dir.c_str());
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *dir = std::getenv("TSMIG_FUZZ_SEEDS")) write_seeds(dir);
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_make_send), "mach_port_allocate");
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_make_send_once), "mach_port_allocate");
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_copy_send), "mach_port_allocate");
  check(mach_port_insert_right(mach_task_self(), g_copy_send, g_copy_send, MACH_MSG_TYPE_MAKE_SEND), "insert_right");
  for (Side *side : {&g_per_child, &g_shared}) {
    make_parent(*side);
    prepare(*side, side->started, true);
    prepare(*side, side->unstarted, false);
  }
  // Warm up what the runtime makes once (pools, the monitor thread) with a claim of every kind.
  std::vector<uint8_t> good = claim({"a"}, MACH_MSG_TYPE_MAKE_SEND);
  for (int round = 0; round < 2; round++) {
    for (uint8_t where = 0; where < 4; where++) {
      for (uint8_t after = 0; after < 16; after++) {
        std::vector<uint8_t> in = input(0x80 | 0x10 | (1 << 5) | where, after, "", good);
        run_one(in.data(), in.size());
      }
    }
  }
  g_base.take();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run_one(data, size);
  g_base.check();
  return 0;
}
