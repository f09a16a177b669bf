// macOS backend of runtime.h: watch descriptors on real Mach.
//
// A receive watch is a kqueue with a level-triggered EVFILT_MACHPORT filter
// on the port or port set; libuv polls the kqueue descriptor (a kqueue is
// itself pollable). A kqueue polls readable while it holds an active event,
// and only a kevent() call re-checks it: tsmig_watch_ack makes that call, so
// the descriptor stays readable exactly while messages wait (one spurious
// wake-up after the last one), whatever number the caller receives.
//
// A send watch (a full queue) is a kqueue on a private port that receives
// MACH_NOTIFY_SEND_POSSIBLE for the destination; tsmig_watch_ack asks for the
// next one after it fired. XNU keeps one notification request per name, so
// the request it displaces (a dead-name request the program made) is kept and
// put back when the watch closes.
#include <fcntl.h>
#include <mach/notify.h>
#include <sys/event.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>

#include <tsmig/runtime.h>

namespace {

struct SendWatch {
  mach_port_name_t notify_port;  // receives the send-possible (or dead-name) notification
  mach_port_name_t target;       // the destination being waited for
  mach_port_t displaced;         // the program's own request on `target`, to put back
};

// One table for the process, as the name space is one per process.
struct SendWatchTable {
  std::mutex mutex;
  std::unordered_map<int, SendWatch> watches;
};

SendWatchTable& Table() {
  // Never destroyed: watches may still close while the process exits.
  static auto* table = new SendWatchTable();
  return *table;
}

int KqueueWatching(mach_port_name_t name, unsigned short flags) {
  int kq = kqueue();
  if (kq < 0) return -1;
  fcntl(kq, F_SETFD, FD_CLOEXEC);
  struct kevent change;
  EV_SET(&change, name, EVFILT_MACHPORT, EV_ADD | EV_ENABLE | flags, 0, 0, nullptr);
  if (kevent(kq, &change, 1, nullptr, 0, nullptr) < 0) {
    close(kq);
    return -1;
  }
  return kq;
}

void DestroyReceiveRight(mach_port_name_t name) {
  mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_RECEIVE, -1);
}

// Empties the private port and says whether the request fired. A dead-name
// notification (the destination died while we waited) carries one reference
// on the dead name that is ours.
bool DrainNotifications(const SendWatch& watch) {
  bool fired = false;
  union {
    mach_msg_header_t header;
    mach_dead_name_notification_t dead_name;
    uint8_t bytes[256];
  } buffer;
  for (;;) {
    mach_msg_return_t mr = mach_msg(&buffer.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0,
                                    sizeof(buffer), watch.notify_port, 0, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS) return fired;
    if (buffer.header.msgh_id == MACH_NOTIFY_DEAD_NAME) {
      mach_port_deallocate(mach_task_self(), buffer.dead_name.not_port);
      fired = true;
    } else {
      fired = fired || buffer.header.msgh_id == MACH_NOTIFY_SEND_POSSIBLE;
      mach_msg_destroy(&buffer.header);
    }
  }
}

// Takes our request away (if it has not fired) and puts back the one it
// displaced; sync 1 delivers that one at once if the port died meanwhile.
// Then the private port goes, with any notification still queued on it.
void ReleaseSendWatch(const SendWatch& watch) {
  mach_port_t task = mach_task_self();
  mach_port_t ours = MACH_PORT_NULL;
  if (watch.displaced != MACH_PORT_NULL) {
    kern_return_t kr = mach_port_request_notification(task, watch.target, MACH_NOTIFY_DEAD_NAME, 1, watch.displaced,
                                                      MACH_MSG_TYPE_MOVE_SEND_ONCE, &ours);
    // The name is gone: the displaced right has nowhere to go back to.
    if (kr != KERN_SUCCESS) mach_port_deallocate(task, watch.displaced);
  } else {
    mach_port_request_notification(task, watch.target, MACH_NOTIFY_DEAD_NAME, 0, MACH_PORT_NULL,
                                   MACH_MSG_TYPE_MAKE_SEND_ONCE, &ours);
  }
  if (ours != MACH_PORT_NULL) mach_port_deallocate(task, ours);
  (void)DrainNotifications(watch);
  DestroyReceiveRight(watch.notify_port);
}

}  // namespace

extern "C" {

kern_return_t tsmig_port_watch_fd(mach_port_name_t name, int *fd_out) {
  mach_port_type_t type = 0;
  kern_return_t kr = mach_port_type(mach_task_self(), name, &type);
  if (kr != KERN_SUCCESS) return kr;
  if ((type & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET)) == 0) return KERN_INVALID_RIGHT;
  int kq = KqueueWatching(name, 0);
  if (kq < 0) return KERN_RESOURCE_SHORTAGE;
  *fd_out = kq;
  return KERN_SUCCESS;
}

kern_return_t tsmig_watch_ack(int watch_fd) {
  SendWatch watch{};
  bool is_send_watch = false;
  {
    std::lock_guard<std::mutex> lock(Table().mutex);
    auto it = Table().watches.find(watch_fd);
    if (it != Table().watches.end()) {
      watch = it->second;
      is_send_watch = true;
    }
  }
  if (is_send_watch) {
    // The notification is one-shot: once it fired, ask again for the next retry. A wake-up
    // without one (spurious) leaves our request in place: replacing it would notify ourselves.
    if (DrainNotifications(watch)) {
      mach_port_t previous = MACH_PORT_NULL;
      mach_port_request_notification(mach_task_self(), watch.target, MACH_NOTIFY_SEND_POSSIBLE, 1,
                                     watch.notify_port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
      if (previous != MACH_PORT_NULL) {
        // Someone registered a request meanwhile: keep it to put back at close, as the first one.
        std::lock_guard<std::mutex> lock(Table().mutex);
        auto it = Table().watches.find(watch_fd);
        if (it != Table().watches.end() && it->second.displaced == MACH_PORT_NULL) {
          it->second.displaced = previous;
        } else {
          mach_port_deallocate(mach_task_self(), previous);
        }
      }
    }
  }
  struct kevent events[4];
  const struct timespec now = {0, 0};
  // Re-checks the active events: one whose port has no message left is dropped.
  kevent(watch_fd, nullptr, 0, events, 4, &now);
  return KERN_SUCCESS;
}

kern_return_t tsmig_port_send_watch_fd(mach_port_name_t name, int *fd_out) {
  mach_port_t task = mach_task_self();
  SendWatch watch{MACH_PORT_NULL, name, MACH_PORT_NULL};
  kern_return_t kr = mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &watch.notify_port);
  if (kr != KERN_SUCCESS) return kr;
  // Armed at once (sync 1): XNU notifies immediately when the queue already has
  // room, and with a dead-name notification when the port is dead.
  kr = mach_port_request_notification(task, name, MACH_NOTIFY_SEND_POSSIBLE, 1, watch.notify_port,
                                      MACH_MSG_TYPE_MAKE_SEND_ONCE, &watch.displaced);
  if (kr != KERN_SUCCESS) {
    DestroyReceiveRight(watch.notify_port);
    return kr;
  }
  int kq = KqueueWatching(watch.notify_port, 0);
  if (kq < 0) {
    ReleaseSendWatch(watch);
    return KERN_RESOURCE_SHORTAGE;
  }
  {
    std::lock_guard<std::mutex> lock(Table().mutex);
    Table().watches[kq] = watch;
  }
  *fd_out = kq;
  return KERN_SUCCESS;
}

kern_return_t tsmig_watch_close(int watch_fd) {
  SendWatch watch{};
  bool is_send_watch = false;
  {
    std::lock_guard<std::mutex> lock(Table().mutex);
    auto it = Table().watches.find(watch_fd);
    if (it != Table().watches.end()) {
      watch = it->second;
      is_send_watch = true;
      Table().watches.erase(it);
    }
  }
  if (is_send_watch) ReleaseSendWatch(watch);
  close(watch_fd);
  return KERN_SUCCESS;
}

}  // extern "C"
