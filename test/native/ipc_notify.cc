// Native tests of notifications across processes: dead-name (port destroyed
// or its process killed), port-deleted, no-senders (delivered by the monitor
// thread while the receiver is not calling into the library), send-once
// (a reply right that dies unused), port-destroyed (the receive right travels
// in the notification, with its queued messages), and a MIG-style client
// whose server is killed with SIGKILL mid-RPC: it wakes with the send-once
// notification, which MIG reports as MIG_SERVER_DIED.

#include <poll.h>

#include <thread>

#include "harness.h"

using namespace harness;

namespace {

#pragma pack(push, 4)
struct NameNotification {
  mach_msg_header_t h;
  NDR_record_t ndr;
  mach_port_name_t name;
  mach_msg_max_trailer_t trailer;
};
struct PortDestroyed {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  mach_msg_max_trailer_t trailer;
};
#pragma pack(pop)

/** A peer that sends us a send right to a port of its own, then runs `then(port)`. */
pid_t peer_with_port(mach_port_t inbox, const std::function<void(mach_port_t)> &then) {
  return fork_peer(inbox, [then](mach_port_t parent) {
    mach_port_t mine = new_port();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    then(mine);
  });
}

mach_port_t request_dead_name(mach_port_t name, mach_port_t notify, mach_port_mscount_t sync = 0) {
  mach_port_t prev = MACH_PORT_NULL;
  CHECK_OK(mach_port_request_notification(mach_task_self(), name, MACH_NOTIFY_DEAD_NAME, sync, notify,
                                          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
  return prev;
}

}  // namespace

SCENARIO(dead_name_notifications) {
  mach_port_t inbox = new_port_with_send(), notify = new_port();
  int gate[2];
  CHECK(pipe(gate) == 0);
  // 1. The peer destroys its port: we hold a send right with a dead-name request.
  pid_t pid = peer_with_port(inbox, [gate](mach_port_t mine) {
    close(gate[1]);
    char c;
    CHECK(read(gate[0], &c, 1) == 1);
    destroy(mine);
    CHECK(read(gate[0], &c, 1) == 0);  // stay alive until the parent is done
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  CHECK_EQ(request_dead_name(peer, notify), (mach_port_t)MACH_PORT_NULL);
  CHECK_EQ(type_of(peer), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
  CHECK(write(gate[1], "x", 1) == 1);
  NameNotification n;
  CHECK_OK(receive(notify, n, 10000, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SENDER)));
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_DEAD_NAME);
  CHECK_EQ(n.name, peer);
  CHECK_EQ(MACH_MSGH_BITS_LOCAL(n.h.msgh_bits), (unsigned)MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK_EQ(n.trailer.msgh_sender.val[1], 1u);  // from "the kernel"
  CHECK_EQ(type_of(peer), MACH_PORT_TYPE_DEAD_NAME);
  CHECK_EQ(refs(peer, MACH_PORT_RIGHT_DEAD_NAME), 2u);  // the send right's and the notification's
  CHECK_KR(send_simple(peer, 1, 0), MACH_SEND_INVALID_DEST);
  // A request on a name that is already dead fires at once when `sync` asks for it.
  CHECK_OK(mach_port_request_notification(mach_task_self(), peer, MACH_NOTIFY_DEAD_NAME, 1, notify,
                                          MACH_MSG_TYPE_MAKE_SEND_ONCE, &n.name));
  CHECK_OK(receive(notify, n));
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_DEAD_NAME);
  CHECK_OK(mach_port_mod_refs(mach_task_self(), peer, MACH_PORT_RIGHT_DEAD_NAME, -3));
  close(gate[1]);
  join(pid);
  close(gate[0]);

  // 2. The peer's process is killed.
  pid = peer_with_port(inbox, [](mach_port_t) { pause(); });
  peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  request_dead_name(peer, notify);
  double t0 = now_ms();
  kill(pid, SIGKILL);
  CHECK_OK(receive(notify, n));
  printf("dead-name after SIGKILL: %.1f ms\n", now_ms() - t0);
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_DEAD_NAME);
  CHECK_EQ(n.name, peer);
  int status;
  waitpid(pid, &status, 0);
  CHECK_OK(mach_port_mod_refs(mach_task_self(), peer, MACH_PORT_RIGHT_DEAD_NAME, -2));

  // 3. Dropping a right that has a dead-name request: "port deleted".
  mach_port_t p = new_port_with_send();
  mach_port_t q = new_port();
  mach_port_t s;
  mach_msg_type_name_t t;
  CHECK_OK(mach_port_extract_right(mach_task_self(), q, MACH_MSG_TYPE_MAKE_SEND_ONCE, &s, &t));
  request_dead_name(s, notify);
  CHECK_OK(mach_port_deallocate(mach_task_self(), s));
  CHECK_OK(receive(notify, n));
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_PORT_DELETED);
  CHECK_EQ(n.name, s);
  SimpleRcv r;
  CHECK_OK(receive(q, r));  // and the send-once right's port heard of its death
  CHECK_EQ(r.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
  // Replacing a request returns the previous notify right; cancelling too.
  mach_port_t other = new_port();
  pid = peer_with_port(inbox, [](mach_port_t) { pause(); });
  peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  request_dead_name(peer, notify);
  mach_port_t prev = request_dead_name(peer, other);
  CHECK_EQ(type_of(prev), MACH_PORT_TYPE_SEND_ONCE);
  CHECK_OK(mach_port_deallocate(mach_task_self(), prev));
  CHECK_OK(receive(notify, r));
  CHECK_EQ(r.h.msgh_id, MACH_NOTIFY_SEND_ONCE);  // the old notify right died unused
  CHECK_OK(mach_port_request_notification(mach_task_self(), peer, MACH_NOTIFY_DEAD_NAME, 0, MACH_PORT_NULL, 0, &prev));
  CHECK_OK(mach_port_deallocate(mach_task_self(), prev));
  CHECK_OK(receive(other, r));
  CHECK_EQ(r.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  CHECK_KR(receive(notify, r, 100), MACH_RCV_TIMED_OUT);  // nobody asked any more
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  for (mach_port_t x : {inbox, notify, p, q, other}) destroy(x);
}

// No-senders: delivered when the last send right anywhere goes, even while we are not receiving.
SCENARIO(no_senders_notification) {
  mach_port_t x = new_port_with_send(), notify = new_port();
  mach_port_t prev;
  CHECK_OK(mach_port_request_notification(mach_task_self(), x, MACH_NOTIFY_NO_SENDERS, 0, notify,
                                          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
  mach_port_status_t st;
  mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
  CHECK_OK(mach_port_get_attributes(mach_task_self(), x, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
  CHECK(st.mps_nsrequest);
  CHECK(st.mps_srights);
  int gate[2];
  CHECK(pipe(gate) == 0);
  // A peer gets a send right, gives a copy to its own child, both send and exit.
  pid_t pid = fork_peer(x, [gate](mach_port_t to_x) {
    close(gate[1]);
    pid_t grandchild = fork_peer(to_x, [](mach_port_t again) { CHECK_OK(send_simple(again, 2, 0)); });
    CHECK_OK(send_simple(to_x, 1, 0));
    join(grandchild);
    char c;
    CHECK(read(gate[0], &c, 1) == 0);
  });
  close(gate[0]);
  // Our own send right counts: nothing yet.
  SimpleRcv r;
  CHECK_KR(receive(notify, r, 50), MACH_RCV_TIMED_OUT);
  CHECK_OK(mach_port_deallocate(mach_task_self(), x));
  CHECK_KR(receive(notify, r, 50), MACH_RCV_TIMED_OUT);  // the peer still holds one
  close(gate[1]);
  join(pid);
  // Nobody calls into the library now: the monitor thread must deliver it. Wait on the descriptor only.
  int fd;
  CHECK_OK(tsmig_port_watch_fd(notify, &fd));
  pollfd p{fd, POLLIN, 0};
  CHECK_EQ(poll(&p, 1, 10000), 1);
  CHECK_OK(tsmig_watch_ack(fd));
  CHECK_OK(tsmig_watch_close(fd));
  NameNotification n;
  CHECK_OK(receive(notify, n, 0));
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
  CHECK(n.name >= 1);  // the make-send count
  // The queued messages are still there, from both senders.
  CHECK_OK(receive(x, r));
  CHECK_OK(receive(x, r));
  CHECK_KR(receive(x, r, 0), MACH_RCV_TIMED_OUT);
  cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
  CHECK_OK(mach_port_get_attributes(mach_task_self(), x, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
  CHECK(!st.mps_nsrequest);
  CHECK(!st.mps_srights);
  // Armed when there are no senders already: it fires at once (sync <= make-send count).
  CHECK_OK(mach_port_request_notification(mach_task_self(), x, MACH_NOTIFY_NO_SENDERS, 0, notify,
                                          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
  CHECK_OK(receive(notify, n));
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
  // With sync above the make-send count it waits for more send rights to be made and dropped.
  CHECK_OK(mach_port_request_notification(mach_task_self(), x, MACH_NOTIFY_NO_SENDERS, st.mps_mscount + 1, notify,
                                          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
  CHECK_KR(receive(notify, n, 30), MACH_RCV_TIMED_OUT);
  CHECK_OK(mach_port_insert_right(mach_task_self(), x, x, MACH_MSG_TYPE_MAKE_SEND));
  CHECK_OK(mach_port_deallocate(mach_task_self(), x));
  CHECK_OK(receive(notify, n));
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
  CHECK_EQ(n.name, st.mps_mscount + 1);
  destroy(x);
  destroy(notify);
}

// A send-once right that dies unused: its port receives MACH_NOTIFY_SEND_ONCE.
SCENARIO(send_once_notification) {
  mach_port_t reply = new_port();
  mach_port_t so;
  mach_msg_type_name_t t;
  CHECK_OK(mach_port_extract_right(mach_task_self(), reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
  CHECK_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, MACH_PORT_NULL));
  // Hand it over in a message to a peer that drops it, and one that dies holding it.
  mach_port_t inbox = new_port_with_send();
  pid_t pid = peer_with_port(inbox, [](mach_port_t mine) {
    mach_port_t got = receive_port(mine, 2, MACH_MSG_TYPE_PORT_SEND_ONCE);
    CHECK_OK(mach_port_deallocate(mach_task_self(), got));
    got = receive_port(mine, 3, MACH_MSG_TYPE_PORT_SEND_ONCE);
    got = receive_port(mine, 4, MACH_MSG_TYPE_PORT_SEND_ONCE);
    CHECK_OK(send_simple(got, 5, 0, MACH_MSG_TYPE_MOVE_SEND_ONCE));  // this one is used
    _exit(0);                                                          // the one from message 3 dies with us
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  CHECK_OK(send_port(peer, 2, so, MACH_MSG_TYPE_MOVE_SEND_ONCE));
  CHECK_OK(send_port(peer, 3, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  CHECK_OK(send_port(peer, 4, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  join(pid);
  int notifications = 0, used = 0;
  SimpleRcv r;
  for (int i = 0; i < 3; i++) {
    CHECK_OK(receive(reply, r, 5000, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT)));
    if (r.h.msgh_id == MACH_NOTIFY_SEND_ONCE) {
      notifications++;
      CHECK_EQ(r.h.msgh_size, (mach_msg_size_t)sizeof(mach_msg_header_t));
      CHECK_EQ(r.h.msgh_local_port, reply);
      CHECK_EQ(r.h.msgh_remote_port, (mach_port_t)MACH_PORT_NULL);
      auto *a = reinterpret_cast<mach_msg_audit_trailer_t *>(&r.trailer);
      CHECK_EQ(tsmig_audit_token_pid(&a->msgh_audit), 0);
    } else {
      CHECK_EQ(r.h.msgh_id, 5);
      used++;
    }
  }
  CHECK_EQ(notifications, 2);
  CHECK_EQ(used, 1);
  CHECK_KR(receive(reply, r, 50), MACH_RCV_TIMED_OUT);
  mach_port_status_t st;
  mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
  CHECK_OK(mach_port_get_attributes(mach_task_self(), reply, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
  CHECK_EQ(st.mps_sorights, 0u);
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(reply);
  destroy(inbox);
}

// Port-destroyed: the receive right goes to the notify port's receiver, with its messages.
SCENARIO(port_destroyed_notification) {
  mach_port_t inbox = new_port_with_send();
  pid_t pid = peer_with_port(inbox, [](mach_port_t mine) {
    // A send-once right to our port is what the parent's request will hold.
    CHECK_OK(send_simple(bootstrap_port, 2, 0, MACH_MSG_TYPE_COPY_SEND, mine, MACH_MSG_TYPE_MAKE_SEND_ONCE));
    PortDestroyed n;
    CHECK_OK(receive(mine, n));
    CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
    CHECK(n.h.msgh_bits & MACH_MSGH_BITS_COMPLEX);
    CHECK_EQ((unsigned)n.port.disposition, (unsigned)MACH_MSG_TYPE_PORT_RECEIVE);
    mach_port_t x = n.port.name;
    CHECK_EQ(type_of(x), MACH_PORT_TYPE_RECEIVE);
    SimpleRcv r;
    for (uint32_t i = 0; i < 3; i++) {
      CHECK_OK(receive(x, r));
      CHECK_EQ(r.value, i);  // two queued before the destruction, one sent after
    }
    // Destroyed again with no request left: now it is gone for good.
    destroy(x);
    destroy(mine);
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  SimpleRcv so_msg;
  CHECK_OK(receive(inbox, so_msg));
  mach_port_t peer_once = so_msg.h.msgh_remote_port;
  CHECK_EQ(type_of(peer_once), MACH_PORT_TYPE_SEND_ONCE);
  mach_port_t x = new_port();
  mach_port_t prev;
  CHECK_KR(mach_port_request_notification(mach_task_self(), x, MACH_NOTIFY_PORT_DESTROYED, 0, peer,
                                          MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
           KERN_INVALID_CAPABILITY);  // `peer` is a send right, not a send-once right
  CHECK_OK(mach_port_request_notification(mach_task_self(), x, MACH_NOTIFY_PORT_DESTROYED, 0, peer_once,
                                          MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev));
  CHECK_EQ(prev, (mach_port_t)MACH_PORT_NULL);
  CHECK_OK(mach_port_insert_right(mach_task_self(), x, x, MACH_MSG_TYPE_MAKE_SEND));
  CHECK_OK(send_simple(x, 7, 0));
  CHECK_OK(send_simple(x, 7, 1));
  CHECK_OK(mach_port_mod_refs(mach_task_self(), x, MACH_PORT_RIGHT_RECEIVE, -1));
  CHECK_EQ(type_of(x), MACH_PORT_TYPE_SEND);  // the port lives on elsewhere; our send right still works
  CHECK_OK(send_simple(x, 7, 2));
  join(pid);
  CHECK_OK(mach_port_deallocate(mach_task_self(), x));  // dead by now (or about to be): either way ours to drop
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
}

// A MIG-style RPC whose server is killed while it holds the reply right.
SCENARIO(server_killed_during_rpc) {
  mach_port_t inbox = new_port_with_send();
  int gate[2];
  CHECK(pipe(gate) == 0);
  pid_t pid = peer_with_port(inbox, [gate](mach_port_t server) {
    SimpleRcv req;
    CHECK_OK(receive(server, req));
    CHECK_EQ(MACH_MSGH_BITS_REMOTE(req.h.msgh_bits), (unsigned)MACH_MSG_TYPE_PORT_SEND_ONCE);
    CHECK(write(gate[1], "r", 1) == 1);
    pause();  // holds the reply right until killed
  });
  mach_port_t server = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  double killed_at = 0;
  std::thread killer([&] {
    char c;
    CHECK(read(gate[0], &c, 1) == 1);
    killed_at = now_ms();
    kill(pid, SIGKILL);
  });
  // The client side of a MIG routine: request with MAKE_SEND_ONCE of the thread's reply port.
  mach_port_t reply = mig_get_reply_port();
  union {
    Simple req;
    SimpleRcv rep;
  } m{};
  m.req.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.req.h.msgh_size = sizeof m.req;
  m.req.h.msgh_remote_port = server;
  m.req.h.msgh_local_port = reply;
  m.req.h.msgh_id = 4000;
  // A hang guard only (the wake-up is printed, not asserted): the receive gives up after 30 s.
  kern_return_t kr = mach_msg(&m.req.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof m.req, sizeof m.rep,
                              reply, 30000, MACH_PORT_NULL);
  double woke = now_ms();
  killer.join();
  CHECK_OK(kr);
  kern_return_t mig = m.rep.h.msgh_id == MACH_NOTIFY_SEND_ONCE ? MIG_SERVER_DIED
                      : m.rep.h.msgh_id == 4100                ? KERN_SUCCESS
                                                               : MIG_REPLY_MISMATCH;
  CHECK_KR(mig, MIG_SERVER_DIED);
  printf("client woke %.1f ms after SIGKILL of its server\n", woke - killed_at);
  int status;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  close(gate[0]);
  close(gate[1]);
  // The server's port died with it: the next request fails at once.
  CHECK_KR(send_simple(server, 4000, 0), MACH_SEND_INVALID_DEST);
  CHECK_OK(mach_port_deallocate(mach_task_self(), server));
  mig_dealloc_reply_port(reply);
  destroy(inbox);
}

int main(int argc, char **argv) { return harness::main(argc, argv); }
