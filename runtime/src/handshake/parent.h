// Child handshake, platform-neutral: the parent's side. A Parent keeps one
// ticket per child it is starting — the rights it holds for that child, the
// child's token and, once started, its pid — and answers claims arriving on
// its rendezvous ports (a port set: one member per child on Linux, the
// shared bootstrap service on macOS). It is driven from outside: by the Node
// addon from the event loop, or by tsmig_spawn_with_ports from the calling
// thread; drain() never blocks.
//
// Rules it keeps:
//   - a claim is answered only when its sender (audit-trailer pid) is the
//     started child of the ticket it names and its token matches; the
//     answer moves the ticket's rights to the child, once;
//   - a claim from a pid no ticket knows is held while some ticket's child
//     is not started yet (its spawn may still be registering the pid), and
//     refused as soon as none is;
//   - everything else gets a refusal (an error reply) and loses nothing of
//     the parent's;
//   - abandoning a ticket (the child exited, timed out, never started)
//     destroys every right held for it, and its rendezvous on Linux.
#ifndef TSMIG_HANDSHAKE_PARENT_H
#define TSMIG_HANDSHAKE_PARENT_H

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "protocol.h"

namespace tsmig::handshake {

/** How a ticket ended (reported by drain() and started()). */
struct Outcome {
  uint64_t ticket = 0;
  /** KERN_SUCCESS (the child claimed) or TSMIG_HANDSHAKE_CHILD_GONE. */
  kern_return_t code = KERN_SUCCESS;
  pid_t pid = 0;
  /** The ports the child offered; the receiver of the outcome owns their rights. */
  Decoded child;
};

/** A prepared ticket: what the child must be given. */
struct Prepared {
  uint64_t ticket = 0;
  /** The value of TSMIG_HANDSHAKE for the child. */
  std::string environment_value;
  /** Linux: the descriptor the child inherits (close-on-exec here; close it once the child has it). macOS: -1. */
  int inherit_fd = -1;
};

class Parent {
 public:
  /** `service_prefix`: the macOS service name prefix (unused on Linux). */
  explicit Parent(std::string service_prefix);
  /** Abandons every ticket and destroys the rendezvous ports. */
  ~Parent();
  Parent(const Parent &) = delete;
  Parent &operator=(const Parent &) = delete;

  /**
   * Takes the ports for one child (see the ownership rules of
   * <tsmig/handshake.h>: after the argument checks, moved rights are the
   * handshake's even if this fails) and makes what the child needs. `child_fd`: the descriptor number the child will see the
   * inherited descriptor as (-1: its own number).
   */
  kern_return_t prepare(const tsmig_named_port_t *ports, size_t count, int child_fd, Prepared &out);
  /** The ticket's child started as `pid`; claims held for it are answered now (outcomes appended). */
  kern_return_t started(uint64_t ticket, pid_t pid, std::vector<Outcome> &outcomes);
  /** Ends a ticket that was not claimed: destroys everything held for it. */
  kern_return_t abandon(uint64_t ticket);
  /** Receives every waiting message and answers it (outcomes of ended tickets appended). Never blocks. */
  void drain(std::vector<Outcome> &outcomes);
  /** A new descriptor (the caller's; tsmig_watch_close) polling readable while a message may wait. */
  kern_return_t watch_fd(int *fd);

  /** Tickets not ended yet. */
  size_t pending();
  /** Claims refused so far (impostors, malformed messages). */
  uint64_t refused();

 private:
  struct Ticket {
    uint64_t id = 0;
    pid_t pid = 0;  // 0 until started
    std::string token;
    std::vector<OwnedRight> rights;
    mach_port_t rendezvous = MACH_PORT_NULL;  // per-child rendezvous (Linux)
  };

  kern_return_t ensure_set();
  /** Checks in the shared service (macOS) and adds it to the set. */
  kern_return_t open_service();
  void handle(mach_msg_header_t *msg, std::vector<Outcome> &outcomes);
  void hold(const mach_msg_header_t *msg);
  void reconsider_held(std::vector<Outcome> &outcomes);
  void serve(Ticket &ticket, mach_msg_header_t *claim, Decoded &claimed, std::vector<Outcome> &outcomes);
  void refuse_claim(mach_msg_header_t *claim, kern_return_t code);
  void end(std::map<uint64_t, Ticket>::iterator it);
  bool any_unstarted() const;

  std::mutex mu_;
  std::string prefix_;
  const bool per_child_;  // a rendezvous port per child (Linux) or one shared service (macOS)
  mach_port_t set_ = MACH_PORT_NULL;
  mach_port_t service_ = MACH_PORT_NULL;  // the shared service (macOS), a member of set_
  std::string service_locator_;
  std::map<uint64_t, Ticket> tickets_;
  std::deque<std::vector<uint8_t>> held_;  // claims (message bytes and trailer) waiting for a registration
  uint64_t refused_ = 0;
};

}  // namespace tsmig::handshake

#endif
