// Native tests of the runtime: names, rights and references, every
// disposition across processes (header and descriptors), coalescing, moving
// a receive right with its queued messages, port sets, timeouts, queue
// limits, MACH_RCV_TOO_LARGE, trailers and the watch descriptor. Built
// against the compatibility headers (<mach/mach.h>), as existing Mach code is.

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>

#include <atomic>
#include <thread>

#include "harness.h"

using namespace harness;

SCENARIO(names_and_types) {
  mach_port_t recv = new_port(), set, dead;
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &dead));
  for (mach_port_t n : {recv, set, dead}) {
    CHECK(MACH_PORT_VALID(n));
    CHECK(n != mach_task_self());
  }
  CHECK(recv != set && set != dead && recv != dead);
  CHECK_EQ(type_of(recv), MACH_PORT_TYPE_RECEIVE);
  CHECK_EQ(type_of(set), MACH_PORT_TYPE_PORT_SET);
  CHECK_EQ(type_of(dead), MACH_PORT_TYPE_DEAD_NAME);
  CHECK_EQ(type_of(mach_task_self()), MACH_PORT_TYPE_SEND);
  CHECK_EQ(refs(recv, MACH_PORT_RIGHT_RECEIVE), 1u);
  CHECK_EQ(refs(recv, MACH_PORT_RIGHT_SEND), 0u);
  CHECK_EQ(refs(dead, MACH_PORT_RIGHT_DEAD_NAME), 1u);

  // A send right for our own receive right shares its name; references count up and down.
  CHECK_OK(mach_port_insert_right(mach_task_self(), recv, recv, MACH_MSG_TYPE_MAKE_SEND));
  CHECK_EQ(type_of(recv), MACH_PORT_TYPE_SEND_RECEIVE);
  CHECK_OK(mach_port_mod_refs(mach_task_self(), recv, MACH_PORT_RIGHT_SEND, 4));
  CHECK_EQ(refs(recv, MACH_PORT_RIGHT_SEND), 5u);
  CHECK_KR(mach_port_mod_refs(mach_task_self(), recv, MACH_PORT_RIGHT_SEND, -6), KERN_INVALID_VALUE);
  CHECK_KR(mach_port_mod_refs(mach_task_self(), recv, MACH_PORT_RIGHT_SEND, 0xffff),
           KERN_UREFS_OVERFLOW);
  CHECK_KR(mach_port_mod_refs(mach_task_self(), recv, MACH_PORT_RIGHT_RECEIVE, -2), KERN_INVALID_VALUE);
  CHECK_OK(mach_port_mod_refs(mach_task_self(), recv, MACH_PORT_RIGHT_SEND, -4));
  CHECK_OK(mach_port_deallocate(mach_task_self(), recv));
  CHECK_EQ(type_of(recv), MACH_PORT_TYPE_RECEIVE);
  CHECK_KR(mach_port_deallocate(mach_task_self(), recv), KERN_INVALID_RIGHT);

  // Names the space lists, and what it says about names it does not have.
  mach_port_name_array_t names;
  mach_port_type_array_t types;
  mach_msg_type_number_t n1, n2;
  CHECK_OK(mach_port_names(mach_task_self(), &names, &n1, &types, &n2));
  CHECK_EQ(n1, n2);
  int found = 0;
  for (unsigned i = 0; i < n1; i++) {
    if (names[i] == recv) found += types[i] == MACH_PORT_TYPE_RECEIVE;
    if (names[i] == set) found += types[i] == MACH_PORT_TYPE_PORT_SET;
    if (names[i] == dead) found += types[i] == MACH_PORT_TYPE_DEAD_NAME;
  }
  CHECK_EQ(found, 3);
  CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, n1 * sizeof *names));
  CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)types, n2 * sizeof *types));
  mach_port_type_t t;
  CHECK_KR(mach_port_type(mach_task_self(), 0x12345603, &t), KERN_INVALID_NAME);
  CHECK_KR(mach_port_type(MACH_PORT_NULL, recv, &t), MACH_SEND_INVALID_DEST);
  CHECK_KR(mach_port_allocate(mach_task_self(), 99, &t), KERN_INVALID_VALUE);

  // Destroying a name frees it; the next name at that index has a new generation.
  CHECK_OK(mach_port_destroy(mach_task_self(), recv));
  CHECK_KR(mach_port_type(mach_task_self(), recv, &t), KERN_INVALID_NAME);
  mach_port_t again = new_port();
  CHECK(again != recv);
  CHECK_OK(mach_port_mod_refs(mach_task_self(), again, MACH_PORT_RIGHT_RECEIVE, -1));
  CHECK_OK(mach_port_mod_refs(mach_task_self(), set, MACH_PORT_RIGHT_PORT_SET, -1));
  CHECK_OK(mach_port_deallocate(mach_task_self(), dead));
}

SCENARIO(insert_and_extract) {
  mach_port_t p = new_port();
  // A chosen free name for a send-once right; the same port cannot get a second name for send rights.
  mach_port_t chosen = 0x7703;
  CHECK_OK(mach_port_insert_right(mach_task_self(), chosen, p, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  CHECK_EQ(type_of(chosen), MACH_PORT_TYPE_SEND_ONCE);
  CHECK_KR(mach_port_insert_right(mach_task_self(), 0x7803, p, MACH_MSG_TYPE_MAKE_SEND), KERN_RIGHT_EXISTS);
  CHECK_KR(mach_port_insert_right(mach_task_self(), chosen, p, MACH_MSG_TYPE_MAKE_SEND_ONCE), KERN_NAME_EXISTS);
  mach_port_t so;
  mach_msg_type_name_t so_type;
  CHECK_OK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &so_type));
  CHECK_EQ(so_type, (mach_msg_type_name_t)MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(so != p && so != chosen);
  mach_port_t s;
  mach_msg_type_name_t s_type;
  CHECK_OK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND, &s, &s_type));
  CHECK_EQ(s, p);
  CHECK_EQ(s_type, (mach_msg_type_name_t)MACH_MSG_TYPE_PORT_SEND);
  CHECK_EQ(refs(p, MACH_PORT_RIGHT_SEND), 1u);
  // Both send-once rights work once each, then their names are gone.
  CHECK_OK(send_simple(chosen, 1, 11, MACH_MSG_TYPE_MOVE_SEND_ONCE));
  CHECK_OK(send_simple(so, 2, 22, MACH_MSG_TYPE_MOVE_SEND_ONCE));
  mach_port_type_t t;
  CHECK_KR(mach_port_type(mach_task_self(), chosen, &t), KERN_INVALID_NAME);
  CHECK_KR(send_simple(so, 3, 33, MACH_MSG_TYPE_MOVE_SEND_ONCE), MACH_SEND_INVALID_DEST);
  SimpleRcv m;
  uint32_t sum = 0;
  for (int i = 0; i < 2; i++) {
    CHECK_OK(receive(p, m));
    CHECK_EQ(MACH_MSGH_BITS_LOCAL(m.h.msgh_bits), (unsigned)MACH_MSG_TYPE_PORT_SEND_ONCE);
    sum += m.value;
  }
  CHECK_EQ(sum, 33u);
  CHECK_OK(mach_port_destroy(mach_task_self(), p));
}

// Every disposition of the reply right in the header, used by a peer in another process.
SCENARIO(header_dispositions) {
  mach_port_t server = new_port_with_send();
  pid_t pid = fork_peer(server, [](mach_port_t server_send) {
    mach_port_t mine = new_port_with_send();
    struct Case {
      mach_msg_type_name_t disp;
      mach_msg_type_name_t received;
    } cases[] = {{MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_PORT_SEND},
                 {MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_PORT_SEND},
                 {MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND_ONCE}};
    for (auto c : cases) {
      CHECK_OK(send_simple(server_send, 100, c.received, MACH_MSG_TYPE_COPY_SEND, mine, c.disp));
      SimpleRcv r;
      CHECK_OK(receive(mine, r));
      CHECK_EQ(r.h.msgh_id, 200);
      CHECK_EQ(MACH_MSGH_BITS_LOCAL(r.h.msgh_bits), c.received);
    }
    // MOVE_SEND gives our reference away; MOVE_SEND_ONCE gives a send-once right away.
    CHECK_OK(mach_port_mod_refs(mach_task_self(), mine, MACH_PORT_RIGHT_SEND, 1));
    CHECK_OK(send_simple(server_send, 100, MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_COPY_SEND, mine,
                         MACH_MSG_TYPE_MOVE_SEND));
    CHECK_EQ(refs(mine, MACH_PORT_RIGHT_SEND), 1u);
    SimpleRcv r;
    CHECK_OK(receive(mine, r));
    mach_port_t so;
    mach_msg_type_name_t t;
    CHECK_OK(mach_port_extract_right(mach_task_self(), mine, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
    CHECK_OK(send_simple(server_send, 100, MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_COPY_SEND, so,
                         MACH_MSG_TYPE_MOVE_SEND_ONCE));
    mach_port_type_t ty;
    CHECK_KR(mach_port_type(mach_task_self(), so, &ty), KERN_INVALID_NAME);
    CHECK_OK(receive(mine, r));
    CHECK_EQ(MACH_MSGH_BITS_LOCAL(r.h.msgh_bits), (unsigned)MACH_MSG_TYPE_PORT_SEND_ONCE);
    // Destination dispositions: MOVE_SEND consumes a reference, COPY_SEND does not.
    mach_port_urefs_t before = refs(server_send, MACH_PORT_RIGHT_SEND);
    CHECK_OK(send_simple(server_send, 101, 0, MACH_MSG_TYPE_MOVE_SEND));
    CHECK_EQ(refs(server_send, MACH_PORT_RIGHT_SEND), before - 1);
    CHECK_OK(send_simple(server_send, 102, 0, MACH_MSG_TYPE_COPY_SEND));
    CHECK_EQ(refs(server_send, MACH_PORT_RIGHT_SEND), before - 1);
    destroy(mine);
  });
  // The server answers each request on the reply right it received.
  for (int i = 0; i < 5; i++) {
    SimpleRcv r;
    CHECK_OK(receive(server, r));
    CHECK_EQ(r.h.msgh_id, 100);
    CHECK_EQ(MACH_MSGH_BITS_REMOTE(r.h.msgh_bits), r.value);
    CHECK_EQ(MACH_MSGH_BITS_LOCAL(r.h.msgh_bits), (unsigned)MACH_MSG_TYPE_PORT_SEND);
    CHECK_EQ(r.h.msgh_local_port, server);
    mach_msg_type_name_t reply_disp =
        r.value == MACH_MSG_TYPE_PORT_SEND_ONCE ? MACH_MSG_TYPE_MOVE_SEND_ONCE : MACH_MSG_TYPE_MOVE_SEND;
    CHECK_OK(send_simple(r.h.msgh_remote_port, 200, 0, reply_disp));
  }
  SimpleRcv r;
  CHECK_OK(receive(server, r));
  CHECK_EQ(r.h.msgh_id, 101);
  CHECK_OK(receive(server, r));
  CHECK_EQ(r.h.msgh_id, 102);
  join(pid);
  destroy(server);
}

// Every disposition in a port descriptor, and the received right works in the peer.
SCENARIO(descriptor_dispositions) {
  mach_port_t inbox = new_port_with_send();
  mach_port_t a = new_port_with_send(), b = new_port(), c = new_port(), d = new_port(), e = new_port_with_send(),
              f = new_port_with_send();
  CHECK_OK(mach_port_mod_refs(mach_task_self(), f, MACH_PORT_RIGHT_SEND, 1));
  mach_port_t so;
  mach_msg_type_name_t t;
  CHECK_OK(mach_port_extract_right(mach_task_self(), d, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
  pid_t pid = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t mine = new_port_with_send();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    // COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE, MOVE_SEND_ONCE, MOVE_SEND, MOVE_RECEIVE, in that order.
    mach_msg_type_name_t expect[] = {MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE,
                                     MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_RECEIVE};
    mach_port_t got[6];
    for (int i = 0; i < 6; i++) got[i] = receive_port(mine, 10 + i, expect[i]);
    CHECK_EQ(type_of(got[0]), MACH_PORT_TYPE_SEND);
    CHECK_EQ(type_of(got[2]), MACH_PORT_TYPE_SEND_ONCE);
    CHECK_EQ(type_of(got[5]), MACH_PORT_TYPE_RECEIVE);
    // Use them: send on each send right, and on the send-once rights once.
    for (int i = 0; i < 5; i++) {
      mach_msg_type_name_t disp = expect[i] == MACH_MSG_TYPE_PORT_SEND_ONCE ? MACH_MSG_TYPE_MOVE_SEND_ONCE
                                                                             : MACH_MSG_TYPE_MOVE_SEND;
      CHECK_OK(send_simple(got[i], 20 + i, 0, disp));
    }
    // The moved receive right is ours: the parent kept a send right and uses it.
    SimpleRcv r;
    CHECK_OK(receive(got[5], r));
    CHECK_EQ(r.h.msgh_id, 99);
    CHECK_OK(mach_port_mod_refs(mach_task_self(), got[5], MACH_PORT_RIGHT_RECEIVE, -1));
    destroy(mine);
  });
  mach_port_t child = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  CHECK_OK(send_port(child, 10, a, MACH_MSG_TYPE_COPY_SEND));
  CHECK_OK(send_port(child, 11, b, MACH_MSG_TYPE_MAKE_SEND));
  CHECK_OK(send_port(child, 12, c, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  CHECK_OK(send_port(child, 13, so, MACH_MSG_TYPE_MOVE_SEND_ONCE));
  CHECK_OK(send_port(child, 14, f, MACH_MSG_TYPE_MOVE_SEND));
  CHECK_EQ(refs(f, MACH_PORT_RIGHT_SEND), 1u);
  CHECK_OK(send_port(child, 15, e, MACH_MSG_TYPE_MOVE_RECEIVE));
  CHECK_EQ(type_of(e), MACH_PORT_TYPE_SEND);  // our send right stays, to a port in the child now
  CHECK_OK(send_simple(e, 99, 0, MACH_MSG_TYPE_MOVE_SEND));
  mach_port_type_t ty;
  CHECK_KR(mach_port_type(mach_task_self(), e, &ty), KERN_INVALID_NAME);
  mach_port_t order[] = {a, b, c, d, f};
  for (int i = 0; i < 5; i++) {
    SimpleRcv r;
    CHECK_OK(receive(order[i], r));
    CHECK_EQ(r.h.msgh_id, 20 + i);
  }
  join(pid);
  for (mach_port_t p : {inbox, a, b, c, d, f}) destroy(p);
  CHECK_OK(mach_port_deallocate(mach_task_self(), child));  // a dead name now
}

// Rights to one port coalesce under one name, whichever family they came through.
SCENARIO(coalescing_and_refcounts) {
  mach_port_t inbox = new_port_with_send();
  pid_t pid = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t mine = new_port_with_send();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    mach_port_t n1 = receive_port(mine, 2, MACH_MSG_TYPE_PORT_SEND);
    mach_port_t n2 = receive_port(mine, 3, MACH_MSG_TYPE_PORT_SEND);
    mach_port_t n3 = receive_port(mine, 4, MACH_MSG_TYPE_PORT_SEND);
    CHECK_EQ(n1, n2);
    CHECK_EQ(n2, n3);
    CHECK_EQ(refs(n1, MACH_PORT_RIGHT_SEND), 3u);
    // Our own port's send right came back: it lands on the receive right's name.
    mach_port_t own = receive_port(mine, 5, MACH_MSG_TYPE_PORT_SEND);
    CHECK_EQ(own, mine);
    CHECK_EQ(refs(mine, MACH_PORT_RIGHT_SEND), 2u);
    // A send-once right never coalesces.
    mach_port_t so1 = receive_port(mine, 6, MACH_MSG_TYPE_PORT_SEND_ONCE);
    mach_port_t so2 = receive_port(mine, 7, MACH_MSG_TYPE_PORT_SEND_ONCE);
    CHECK(so1 != so2 && so1 != n1);
    CHECK_OK(mach_port_deallocate(mach_task_self(), so1));
    CHECK_OK(mach_port_deallocate(mach_task_self(), so2));
    CHECK_OK(mach_port_mod_refs(mach_task_self(), n1, MACH_PORT_RIGHT_SEND, -3));
    mach_port_type_t t;
    CHECK_KR(mach_port_type(mach_task_self(), n1, &t), KERN_INVALID_NAME);
    destroy(mine);
  });
  mach_port_t child = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  mach_port_t p = new_port_with_send();
  // Three ways to give the same port: copy our send right, make one, and make one with a
  // no-senders request armed (which forces a separate socket pair).
  CHECK_OK(send_port(child, 2, p, MACH_MSG_TYPE_COPY_SEND));
  CHECK_OK(send_port(child, 3, p, MACH_MSG_TYPE_MAKE_SEND));
  mach_port_t prev;
  CHECK_OK(mach_port_request_notification(mach_task_self(), p, MACH_NOTIFY_NO_SENDERS, 0, p,
                                          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
  CHECK_OK(send_port(child, 4, p, MACH_MSG_TYPE_MAKE_SEND));
  CHECK_OK(send_port(child, 5, child, MACH_MSG_TYPE_COPY_SEND));
  CHECK_OK(send_port(child, 6, p, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  CHECK_OK(send_port(child, 7, p, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  join(pid);
  // The child dropped both send-once rights unused: two send-once notifications.
  for (int i = 0; i < 2; i++) {
    SimpleRcv r;
    CHECK_OK(receive(p, r));
    CHECK_EQ(r.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
  }
  destroy(p);
  destroy(inbox);
  CHECK_OK(mach_port_deallocate(mach_task_self(), child));
}

// A receive right moves to another process with its queued messages; senders keep sending.
SCENARIO(move_receive_right) {
  mach_port_t inbox = new_port_with_send();
  mach_port_t p = new_port_with_send();
  for (uint32_t i = 0; i < 3; i++) CHECK_OK(send_simple(p, 50, i));
  pid_t pid = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t mine = new_port_with_send();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    mach_port_t moved = receive_port(mine, 2, MACH_MSG_TYPE_PORT_RECEIVE);
    for (uint32_t i = 0; i < 4; i++) {
      SimpleRcv r;
      CHECK_OK(receive(moved, r));
      CHECK_EQ(r.h.msgh_id, 50);
      CHECK_EQ(r.value, i);  // the queued messages, in order, then the one sent after the move
    }
    mach_port_status_t st;
    mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK_OK(mach_port_get_attributes(mach_task_self(), moved, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
    CHECK_EQ(st.mps_seqno, 4u);  // counted from the move, as Mach resets it
    // Send it back: the parent receives on it again.
    CHECK_OK(send_port(parent, 3, moved, MACH_MSG_TYPE_MOVE_RECEIVE));
    destroy(mine);
  });
  mach_port_t child = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  CHECK_OK(send_port(child, 2, p, MACH_MSG_TYPE_MOVE_RECEIVE));
  CHECK_EQ(type_of(p), MACH_PORT_TYPE_SEND);  // our send right stayed, now to a port elsewhere
  CHECK_OK(send_simple(p, 50, 3));
  mach_port_t back = receive_port(inbox, 3, MACH_MSG_TYPE_PORT_RECEIVE);
  CHECK_EQ(back, p);  // it coalesced with our send right
  CHECK_EQ(type_of(p), MACH_PORT_TYPE_SEND_RECEIVE);
  CHECK_OK(send_simple(p, 51, 0));
  SimpleRcv r;
  CHECK_OK(receive(p, r));
  CHECK_EQ(r.h.msgh_id, 51);
  join(pid);
  destroy(p);
  destroy(inbox);
  CHECK_OK(mach_port_deallocate(mach_task_self(), child));
}

SCENARIO(port_sets) {
  mach_port_t set, a = new_port_with_send(), b = new_port_with_send();
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
  CHECK_OK(mach_port_move_member(mach_task_self(), a, set));
  CHECK_OK(mach_port_move_member(mach_task_self(), b, set));
  CHECK_KR(mach_port_move_member(mach_task_self(), b, set), KERN_ALREADY_IN_SET);
  mach_port_name_array_t members;
  mach_msg_type_number_t count;
  CHECK_OK(mach_port_get_set_status(mach_task_self(), set, &members, &count));
  CHECK_EQ(count, 2u);
  CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)members, count * sizeof *members));
  mach_port_status_t st;
  mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
  CHECK_OK(mach_port_get_attributes(mach_task_self(), a, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
  CHECK_EQ(st.mps_pset, set);
  pid_t pid = fork_peer(b, [](mach_port_t to_b) { CHECK_OK(send_simple(to_b, 2, 0)); });
  CHECK_OK(send_simple(a, 1, 0));
  SimpleRcv r;
  int seen = 0;
  for (int i = 0; i < 2; i++) {
    CHECK_OK(receive(set, r));
    if (r.h.msgh_id == 1) {
      CHECK_EQ(r.h.msgh_local_port, a);
      seen |= 1;
    }
    if (r.h.msgh_id == 2) {
      CHECK_EQ(r.h.msgh_local_port, b);
      seen |= 2;
    }
  }
  CHECK_EQ(seen, 3);
  join(pid);
  // A port that leaves the set is received directly again.
  CHECK_OK(mach_port_move_member(mach_task_self(), a, MACH_PORT_NULL));
  CHECK_KR(mach_port_move_member(mach_task_self(), a, MACH_PORT_NULL), KERN_NOT_IN_SET);
  CHECK_OK(send_simple(a, 3, 0));
  CHECK_KR(receive(set, r, 0), MACH_RCV_TIMED_OUT);
  CHECK_OK(receive(a, r));
  // The set's watch descriptor polls readable while a member has a message.
  int fd;
  CHECK_OK(tsmig_port_watch_fd(set, &fd));
  pollfd pfd{fd, POLLIN, 0};
  CHECK_EQ(poll(&pfd, 1, 0), 0);
  CHECK_OK(send_simple(b, 4, 0));
  CHECK_EQ(poll(&pfd, 1, 5000), 1);
  CHECK_OK(tsmig_watch_ack(fd));
  CHECK_OK(receive(set, r));
  CHECK_EQ(r.h.msgh_id, 4);
  CHECK_EQ(poll(&pfd, 1, 0), 0);
  CHECK_OK(tsmig_watch_close(fd));
  // Destroying the set while another thread waits on it wakes that thread.
  std::atomic<kern_return_t> waited{0};
  std::thread waiter([&] {
    SimpleRcv w;
    waited = receive(set, w, -1);
  });
  usleep(20000);
  CHECK_OK(mach_port_mod_refs(mach_task_self(), set, MACH_PORT_RIGHT_PORT_SET, -1));
  waiter.join();
  CHECK_KR(waited.load(), MACH_RCV_PORT_DIED);
  destroy(a);
  destroy(b);
}

SCENARIO(timeouts_and_queue_limits) {
  mach_port_t p = new_port_with_send();
  SimpleRcv r;
  CHECK_KR(receive(p, r, 0), MACH_RCV_TIMED_OUT);
  CHECK_KR(receive(p, r, 30), MACH_RCV_TIMED_OUT);
  mach_port_limits_t lim{3};
  CHECK_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                                    MACH_PORT_LIMITS_INFO_COUNT));
  mach_port_limits_t got{};
  mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;
  CHECK_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&got, &cnt));
  CHECK_EQ(got.mpl_qlimit, 3u);
  mach_port_limits_t too_big{MACH_PORT_QLIMIT_MAX + 1};
  CHECK_KR(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&too_big, 1),
           KERN_INVALID_VALUE);
  // The limit counts messages from every sender of the port: two processes share the three slots.
  pid_t pid = fork_peer(p, [](mach_port_t dest) {
    CHECK_OK(send_simple(dest, 1, 0));
    CHECK_OK(send_simple(dest, 1, 1));
  });
  join(pid);
  CHECK_OK(send_simple(p, 2, 2, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0));
  CHECK_KR(send_simple(p, 3, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0),
           MACH_SEND_TIMED_OUT);
  CHECK_KR(send_simple(p, 3, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 40),
           MACH_SEND_TIMED_OUT);
  mach_port_status_t st;
  cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
  CHECK_OK(mach_port_get_attributes(mach_task_self(), p, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
  CHECK_EQ(st.mps_msgcount, 3u);
  // A send-once right is not held back by the limit (as Mach's kernel lets them through).
  mach_port_t so;
  mach_msg_type_name_t t;
  CHECK_OK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
  CHECK_OK(send_simple(so, 4, 0, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0));
  // A blocked sender (another process, no timeout) continues once a message is received.
  pid = fork_peer(p, [](mach_port_t dest) { CHECK_OK(send_simple(dest, 5, 0)); });
  usleep(50000);
  CHECK_OK(receive(p, r));
  CHECK_EQ(r.h.msgh_id, 1);
  join(pid);
  int ids[5] = {0};
  for (int i = 0; i < 4; i++) {
    CHECK_OK(receive(p, r));
    ids[i] = r.h.msgh_id;
  }
  int sum = ids[0] + ids[1] + ids[2] + ids[3];
  CHECK_EQ(sum, 1 + 2 + 4 + 5);
  CHECK_KR(receive(p, r, 0), MACH_RCV_TIMED_OUT);
  // Raising the limit wakes a sender blocked on the old one.
  lim.mpl_qlimit = 1;
  CHECK_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
  CHECK_OK(send_simple(p, 6, 0));
  std::thread blocked([p] { CHECK_OK(send_simple(p, 7, 0)); });
  usleep(30000);
  lim.mpl_qlimit = 5;
  CHECK_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
  blocked.join();
  CHECK_OK(receive(p, r));
  CHECK_OK(receive(p, r));
  // The bytes a socket pair holds are limited too: large messages can fill it before the count
  // does. A timed-out send then gives back everything it carried.
  lim.mpl_qlimit = MACH_PORT_QLIMIT_MAX;
  CHECK_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
  mach_port_t carried = new_port_with_send();
  CHECK_OK(mach_port_mod_refs(mach_task_self(), carried, MACH_PORT_RIGHT_SEND, 1));
  std::vector<char> big(200 * 1024);
  auto *bh = reinterpret_cast<mach_msg_header_t *>(big.data());
  auto send_big = [&](mach_msg_timeout_t t) {
    memset(big.data(), 0, sizeof(WithPort));
    bh->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    bh->msgh_size = (mach_msg_size_t)big.size();
    bh->msgh_remote_port = p;
    bh->msgh_id = 8;
    auto *wp = reinterpret_cast<WithPort *>(big.data());
    wp->body.msgh_descriptor_count = 1;
    wp->port.name = carried;
    wp->port.disposition = MACH_MSG_TYPE_MOVE_SEND;
    wp->port.type = MACH_MSG_PORT_DESCRIPTOR;
    return mach_msg(bh, MACH_SEND_MSG | MACH_SEND_TIMEOUT, (mach_msg_size_t)big.size(), 0, MACH_PORT_NULL, t,
                    MACH_PORT_NULL);
  };
  int sent = 0;
  kern_return_t kr = KERN_SUCCESS;
  for (; sent < 200 && kr == KERN_SUCCESS; sent++) {
    CHECK_OK(mach_port_mod_refs(mach_task_self(), carried, MACH_PORT_RIGHT_SEND, 1));
    kr = send_big(sent % 2 ? 0 : 20);
  }
  CHECK_KR(kr, MACH_SEND_TIMED_OUT);
  sent--;
  CHECK(sent >= 1);
  // The timed-out message's MOVE_SEND came back: 2, plus the reference added for that last send.
  CHECK_EQ(refs(carried, MACH_PORT_RIGHT_SEND), 3u);
  std::vector<char> in(big.size() + 1024);
  auto *ih = reinterpret_cast<mach_msg_header_t *>(in.data());
  for (int i = 0; i < sent; i++) {
    CHECK_OK(receive_raw(p, ih, (mach_msg_size_t)in.size(), 1000));
    CHECK_EQ(ih->msgh_id, 8);
    mach_msg_destroy(ih);
  }
  CHECK_EQ(refs(carried, MACH_PORT_RIGHT_SEND), 3u);  // each message's right joined our name and was dropped
  destroy(carried);
  destroy(p);
}

// MACH_RCV_TOO_LARGE with MACH_RCV_LARGE leaves the message queued with its rights.
SCENARIO(receive_too_large) {
  mach_port_t p = new_port_with_send(), q = new_port();
#pragma pack(push, 4)
  struct Big {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    char data[1000];
  } big{};
  struct BigRcv {
    Big m;
    mach_msg_max_trailer_t trailer;
  } rcv{};
#pragma pack(pop)
  big.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  big.h.msgh_size = sizeof big;
  big.h.msgh_remote_port = p;
  big.h.msgh_id = 9;
  big.body.msgh_descriptor_count = 1;
  big.port.name = q;
  big.port.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
  big.port.type = MACH_MSG_PORT_DESCRIPTOR;
  memset(big.data, 'x', sizeof big.data);
  CHECK_OK(mach_msg(&big.h, MACH_SEND_MSG, sizeof big, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
  SimpleRcv small;
  CHECK_KR(receive(p, small, 0, MACH_RCV_LARGE), MACH_RCV_TOO_LARGE);
  CHECK_EQ(small.h.msgh_size, (mach_msg_size_t)sizeof big);
  CHECK_OK(mach_msg(&rcv.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, small.h.msgh_size + sizeof(mach_msg_trailer_t), p,
                    0, MACH_PORT_NULL));
  CHECK_EQ(rcv.m.h.msgh_id, 9);
  CHECK_EQ(rcv.m.data[999], 'x');
  CHECK_EQ(type_of(rcv.m.port.name), MACH_PORT_TYPE_SEND_ONCE);
  CHECK_OK(send_simple(rcv.m.port.name, 10, 0, MACH_MSG_TYPE_MOVE_SEND_ONCE));
  CHECK_OK(receive(q, small));
  CHECK_EQ(small.h.msgh_id, 10);
  // A message kept at the head of the queue moves with the receive right, rights and all.
  CHECK_OK(mach_msg(&big.h, MACH_SEND_MSG, sizeof big, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
  CHECK_KR(receive(p, small, 0, MACH_RCV_LARGE), MACH_RCV_TOO_LARGE);
  mach_port_t inbox = new_port_with_send();
  pid_t pid = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t mine = new_port();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    mach_port_t moved = receive_port(mine, 2, MACH_MSG_TYPE_PORT_RECEIVE);
    struct {
      char buf[2048];
    } big_rcv;
    auto *h = reinterpret_cast<mach_msg_header_t *>(big_rcv.buf);
    CHECK_OK(mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof big_rcv, moved, 5000, MACH_PORT_NULL));
    CHECK_EQ(h->msgh_id, 9);
    auto *d = reinterpret_cast<mach_msg_port_descriptor_t *>(big_rcv.buf + sizeof(mach_msg_base_t));
    CHECK_OK(send_simple(d->name, 11, 0, MACH_MSG_TYPE_MOVE_SEND_ONCE));
    destroy(moved);
    destroy(mine);
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  CHECK_OK(send_port(peer, 2, p, MACH_MSG_TYPE_MOVE_RECEIVE));
  CHECK_OK(receive(q, small));
  CHECK_EQ(small.h.msgh_id, 11);
  join(pid);
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
  CHECK_OK(mach_port_deallocate(mach_task_self(), p));  // our send right, to the port that went and died
  p = new_port_with_send();
  big.h.msgh_remote_port = p;
  // Without MACH_RCV_LARGE the message is destroyed: its send-once right dies, q hears of it.
  CHECK_OK(mach_msg(&big.h, MACH_SEND_MSG, sizeof big, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
  CHECK_KR(receive(p, small, 0), MACH_RCV_TOO_LARGE);
  CHECK_KR(receive(p, small, 0), MACH_RCV_TIMED_OUT);
  CHECK_OK(receive(q, small));
  CHECK_EQ(small.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
  // A message larger than Mach's reliable size is refused at send time.
  std::vector<char> huge(MACH_MSG_SIZE_RELIABLE + 8);
  auto *hh = reinterpret_cast<mach_msg_header_t *>(huge.data());
  hh->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  hh->msgh_size = huge.size();
  hh->msgh_remote_port = p;
  CHECK_KR(mach_msg(hh, MACH_SEND_MSG, huge.size(), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), MACH_SEND_TOO_LARGE);
  destroy(p);
  destroy(q);
}

// The trailer: sequence numbers, the kernel-stamped sender (audit token), the context.
SCENARIO(trailers) {
  mach_port_t p = new_port_with_send();
  CHECK_OK(mach_port_set_context(mach_task_self(), p, 0xfeedfacecafeULL));
  pid_t pid = fork_peer(p, [](mach_port_t dest) {
    CHECK_OK(send_simple(dest, 1, 0));
    CHECK_OK(send_simple(dest, 2, 0));
  });
  join(pid);
  SimpleRcv r;
  mach_msg_option_t audit = MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) | MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_CTX);
  CHECK_OK(receive(p, r, 1000, audit));
  auto *t = reinterpret_cast<mach_msg_context_trailer_t *>(&r.trailer);
  CHECK_EQ(t->msgh_trailer_size, (mach_msg_trailer_size_t)sizeof(mach_msg_context_trailer_t));
  CHECK_EQ(t->msgh_seqno, 0u);
  CHECK_EQ(tsmig_audit_token_pid(&t->msgh_audit), pid);
  CHECK_EQ(t->msgh_audit.val[1], getuid());
  CHECK_EQ(t->msgh_sender.val[0], getuid());
  CHECK_EQ(t->msgh_context, 0xfeedfacecafeULL);
  // The default trailer is the 8-byte minimum; the sequence number keeps counting.
  CHECK_OK(receive(p, r, 1000, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO)));
  auto *s = reinterpret_cast<mach_msg_seqno_trailer_t *>(&r.trailer);
  CHECK_EQ(s->msgh_trailer_size, (mach_msg_trailer_size_t)sizeof(mach_msg_seqno_trailer_t));
  CHECK_EQ(s->msgh_seqno, 1u);
  CHECK_OK(send_simple(p, 3, 0));
  CHECK_OK(receive(p, r));
  CHECK_EQ(r.trailer.msgh_trailer_size, (mach_msg_trailer_size_t)sizeof(mach_msg_trailer_t));
  // A buffer with no room for the requested trailer is too small.
  CHECK_OK(send_simple(p, 4, 0));
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT | audit, 0, sizeof(Simple) + 8, p, 0, 0),
           MACH_RCV_TOO_LARGE);
  CHECK_OK(receive(p, r));
  CHECK_KR(receive(p, r, 0, MACH_RCV_TRAILER_TYPE(3)), MACH_RCV_INVALID_TRAILER);
  destroy(p);
}

// An event loop's view: the watch descriptor polls readable exactly while work is waiting.
SCENARIO(watch_descriptor) {
  mach_port_t p = new_port_with_send();
  int fd;
  CHECK_OK(tsmig_port_watch_fd(p, &fd));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
  epoll_event out;
  CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
  pid_t pid = fork_peer(p, [](mach_port_t dest) { CHECK_OK(send_simple(dest, 1, 0)); });
  CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1);
  SimpleRcv r;
  CHECK_OK(receive(p, r, 0));
  CHECK_KR(receive(p, r, 0), MACH_RCV_TIMED_OUT);
  join(pid);
  // The child's exit closed the send right it held: handled by the zero-timeout receive, then quiet.
  while (epoll_wait(ep, &out, 1, 0) == 1) CHECK_KR(receive(p, r, 0), MACH_RCV_TIMED_OUT);
  CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
  close(ep);
  CHECK_OK(tsmig_watch_close(fd));
  mach_port_t s;
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &s));
  CHECK_KR(tsmig_port_watch_fd(s, &fd), KERN_INVALID_RIGHT);
  CHECK_OK(mach_port_deallocate(mach_task_self(), s));
  destroy(p);
}

// An event loop's sends: after MACH_SEND_TIMED_OUT, a send watch polls readable when room appears.
SCENARIO(send_watch) {
  mach_port_t p = new_port_with_send();
  mach_port_limits_t lim{1};
  CHECK_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
  int gate[2];
  CHECK(pipe(gate) == 0);
  // The sender is another process (the room semaphore reaches it through the family's mailbox).
  pid_t pid = fork_peer(p, [gate](mach_port_t dest) {
    close(gate[0]);
    CHECK_OK(send_simple(dest, 1, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0));
    CHECK_KR(send_simple(dest, 2, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0),
             MACH_SEND_TIMED_OUT);
    int w;
    CHECK_OK(tsmig_port_send_watch_fd(dest, &w));
    pollfd pw{w, POLLIN, 0};
    CHECK_EQ(poll(&pw, 1, 0), 0);
    CHECK(write(gate[1], "f", 1) == 1);  // the parent receives one message now
    CHECK_EQ(poll(&pw, 1, 10000), 1);
    CHECK_OK(tsmig_watch_ack(w));
    CHECK_OK(send_simple(dest, 2, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0));
    CHECK_EQ(poll(&pw, 1, 0), 0);  // full again, and the token was taken
    // The port dies: the watch polls readable, the send fails for good.
    CHECK(write(gate[1], "d", 1) == 1);
    CHECK_EQ(poll(&pw, 1, 10000), 1);
    CHECK_KR(send_simple(dest, 3, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0),
             MACH_SEND_INVALID_DEST);
    CHECK_OK(tsmig_watch_close(w));
  });
  close(gate[1]);
  char c;
  CHECK(read(gate[0], &c, 1) == 1);
  SimpleRcv r;
  CHECK_OK(receive(p, r));
  CHECK_EQ(r.h.msgh_id, 1);
  CHECK(read(gate[0], &c, 1) == 1);
  destroy(p);
  join(pid);
  close(gate[0]);
  // Our own port, full: the watch is the room semaphore alone; closing it gives everything back.
  p = new_port_with_send();
  CHECK_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
  CHECK_OK(send_simple(p, 1, 0));
  CHECK_KR(send_simple(p, 2, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0), MACH_SEND_TIMED_OUT);
  int w;
  CHECK_OK(tsmig_port_send_watch_fd(p, &w));
  pollfd pw{w, POLLIN, 0};
  CHECK_EQ(poll(&pw, 1, 0), 0);
  CHECK_OK(receive(p, r));
  CHECK_EQ(poll(&pw, 1, 0), 1);
  CHECK_OK(tsmig_watch_ack(w));
  CHECK_OK(send_simple(p, 2, 0, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, MACH_SEND_TIMEOUT, 0));
  CHECK_OK(tsmig_watch_close(w));
  CHECK_OK(receive(p, r));
  destroy(p);
}

// Threads: concurrent senders and receivers on one port; a waiter sees its port die or move.
SCENARIO(threads) {
  mach_port_t p = new_port_with_send();
  mach_port_limits_t lim{MACH_PORT_QLIMIT_LARGE};
  CHECK_OK(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
  std::atomic<int> received{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; i++) {
    ts.emplace_back([&] {
      SimpleRcv r;
      while (receive(p, r, 2000) == KERN_SUCCESS) {
        if (r.h.msgh_id == 0) break;
        received++;
      }
    });
  }
  for (int i = 0; i < 2; i++) {
    ts.emplace_back([p] {
      for (int k = 0; k < 2000; k++) CHECK_OK(send_simple(p, 1, k));
    });
  }
  ts[2].join();
  ts[3].join();
  CHECK_OK(send_simple(p, 0, 0));
  CHECK_OK(send_simple(p, 0, 0));
  ts[0].join();
  ts[1].join();
  CHECK_EQ(received.load(), 4000);
  // A thread blocked (no timeout) on a port whose only socket pair is its home family waits in
  // recvmsg itself; a send-once right made meanwhile is a new socket pair it must not miss.
  std::atomic<mach_msg_id_t> got{0};
  std::thread blocked([&] {
    SimpleRcv r;
    CHECK_OK(receive(p, r, -1));
    got = r.h.msgh_id;
  });
  usleep(20000);
  mach_port_t so;
  mach_msg_type_name_t t;
  CHECK_OK(mach_port_extract_right(mach_task_self(), p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
  CHECK_OK(send_simple(so, 77, 0, MACH_MSG_TYPE_MOVE_SEND_ONCE));
  blocked.join();
  CHECK_EQ(got.load(), 77);
  std::atomic<kern_return_t> kr{0};
  std::thread waiter([&] {
    SimpleRcv r;
    kr = receive(p, r, -1);
  });
  usleep(20000);
  destroy(p);
  waiter.join();
  CHECK_KR(kr.load(), MACH_RCV_PORT_DIED);
  // A receive right moved away while a thread waits on it: MACH_RCV_PORT_CHANGED.
  mach_port_t q = new_port(), inbox = new_port_with_send();
  std::thread waiter2([&] {
    SimpleRcv r;
    kr = receive(q, r, -1);
  });
  usleep(20000);
  CHECK_OK(send_port(inbox, 1, q, MACH_MSG_TYPE_MOVE_RECEIVE));
  waiter2.join();
  CHECK_KR(kr.load(), MACH_RCV_PORT_CHANGED);
  mach_port_t back = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_RECEIVE);
  destroy(back);
  destroy(inbox);
}

int main(int argc, char **argv) { return harness::main(argc, argv); }
