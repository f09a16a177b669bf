// Child handshake: the small interface the platform parts implement
// (linux/platform.cc over the emulation, darwin/platform.cc over real Mach
// and the bootstrap server). Everything else in runtime/src/handshake/ is
// written once against this and <tsmig/mach.h>.
#ifndef TSMIG_HANDSHAKE_PLATFORM_H
#define TSMIG_HANDSHAKE_PLATFORM_H

#include <spawn.h>
#include <sys/types.h>

#include <string>

#include <tsmig/mach.h>

namespace tsmig::handshake::platform {

/**
 * Whether every child gets a rendezvous port of its own (Linux: so a claim
 * can only come through that child's descriptor) rather than one service
 * shared by all the parent's children (macOS). Asked once per Parent. On
 * Linux TSMIG_HANDSHAKE_SHARED_RENDEZVOUS=1 in the parent's environment
 * picks the shared model, so the macOS logic (children told apart by pid
 * alone, claims held for spawns in flight) runs in Linux tests too.
 */
bool rendezvous_per_child();

/**
 * The shared service: a receive right every child reaches, and the locator
 * children use. macOS: checked in with the bootstrap server under
 * "<prefix>.<pid>.<token>", locator "service=<name>";
 * TSMIG_HANDSHAKE_CHECK_IN_DENIED when the bootstrap server says no. Linux
 * (shared model only): a plain port; children get descriptors to it.
 */
kern_return_t open_service(const std::string &prefix, const std::string &token, mach_port_t *receive,
                           std::string &locator);

/**
 * What a child needs to reach `rendezvous` (its own port, or the shared
 * service whose locator is `service_locator`). Linux: a new descriptor
 * (close-on-exec) with a send right, which the child gets as number
 * `child_fd` (-1: the descriptor's own number), and the locator "fd=<n>".
 * macOS: no descriptor (*inherit_fd = -1), the service's locator.
 */
kern_return_t child_endpoint(mach_port_t rendezvous, const std::string &service_locator, int child_fd,
                             int *inherit_fd, std::string &locator);

/** Adds to `actions` what gives a spawned child `inherit_fd` (Linux: as itself, close-on-exec cleared); 0 or an errno. */
int add_spawn_actions(posix_spawn_file_actions_t *actions, int inherit_fd);

/** Closes a descriptor from child_endpoint (the parent's copy, once the child has it). */
void close_endpoint(int inherit_fd);

/**
 * Child, as the runtime loads: keeps what the locator names away from
 * processes this one starts (Linux: close-on-exec on the descriptor, when it
 * is one a parent could have given).
 */
void conceal(const std::string &locator);

/**
 * Child: a send right to the rendezvous the locator names, taking what it
 * uses (Linux: the descriptor is consumed). TSMIG_HANDSHAKE_UNREACHABLE when
 * it names nothing this process can use, TSMIG_HANDSHAKE_BAD_ENVIRONMENT when
 * it is malformed.
 */
kern_return_t reach(const std::string &locator, mach_port_t *rendezvous);

/** Child: lets go of what the locator names without claiming (Linux: closes the descriptor). */
void release(const std::string &locator);

/**
 * A descriptor that polls readable once our child `pid` has exited, without
 * reaping it (Linux: a pidfd; macOS: a kqueue with EVFILT_PROC NOTE_EXIT).
 * -1 when the system cannot watch it (the caller then checks with waitid).
 */
int exit_watch(pid_t pid);

/** The environment of this process (for spawning with the caller's environment). */
char **current_environment();

}  // namespace tsmig::handshake::platform

#endif
