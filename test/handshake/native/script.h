// Test support for the native handshake programs: small text messages over
// Mach (id + a text body) and the exchange every child in test/handshake
// plays after its claim, so a Node or C++ parent can drive a Node or C++
// child alike:
//
//   parent hands: control (make-send), data (copy-send), moved (move-send),
//                 receiver (move-receive), once (make-send-once)
//   child offers: inbox (make-send)
//   child  → control 100 "control=send;data=send;moved=send;once=send-once;receiver=receive"
//   parent → inbox   200 "ping"
//   child  → control 201 "pong:ping", data 300 "data", moved 400 "moved", once 500 "once"
//   parent → receiver (its kept send right) 600 "to-receiver"
//   child  → control 601 "got:to-receiver"
//   parent → inbox   999 → the child exits 0
#ifndef TSMIG_TEST_HANDSHAKE_SCRIPT_H
#define TSMIG_TEST_HANDSHAKE_SCRIPT_H

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <tsmig/handshake.h>
#include <tsmig/mach.h>

namespace script {

/** Fails the program with a message naming the step. */
inline void check(kern_return_t kr, const char *what) {
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "%s failed: 0x%x %s\n", what, kr, tsmig_handshake_error_string(kr));
    std::exit(1);
  }
}

inline void expect(bool ok, const std::string &what) {
  if (!ok) {
    std::fprintf(stderr, "unexpected: %s\n", what.c_str());
    std::exit(1);
  }
}

/** Sends id + text to `to` with `disposition` (COPY_SEND, or MOVE_SEND_ONCE for a send-once right). */
inline void send_text(mach_port_t to, mach_msg_id_t id, const std::string &text,
                      mach_msg_type_name_t disposition = MACH_MSG_TYPE_COPY_SEND) {
  struct {
    mach_msg_header_t header;
    char body[256];
  } m{};
  expect(text.size() < sizeof m.body, "text too long");
  m.header.msgh_bits = MACH_MSGH_BITS(disposition, 0);
  m.header.msgh_size = static_cast<mach_msg_size_t>(sizeof(mach_msg_header_t) + ((text.size() + 3) & ~size_t{3}));
  m.header.msgh_remote_port = to;
  m.header.msgh_id = id;
  std::memcpy(m.body, text.data(), text.size());
  check(mach_msg(&m.header, MACH_SEND_MSG | MACH_SEND_TIMEOUT, m.header.msgh_size, 0, MACH_PORT_NULL, 20000,
                 MACH_PORT_NULL),
        "send");
}

/** Receives one message on `port` (20 s at most) and returns its text; `id` gets its id. */
inline std::string receive_text(mach_port_t port, mach_msg_id_t *id) {
  union {
    mach_msg_header_t header;
    uint8_t bytes[1024];
  } m;
  check(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, port, 20000, MACH_PORT_NULL), "receive");
  *id = m.header.msgh_id;
  std::string text(reinterpret_cast<const char *>(m.bytes + sizeof(mach_msg_header_t)),
                   m.header.msgh_size - sizeof(mach_msg_header_t));
  mach_msg_destroy(&m.header);
  return text.substr(0, text.find('\0'));
}

/** Receives and checks one message. */
inline void expect_text(mach_port_t port, mach_msg_id_t id, const std::string &text) {
  mach_msg_id_t got = 0;
  std::string body = receive_text(port, &got);
  expect(got == id && body == text, "message " + std::to_string(got) + " \"" + body + "\", expected " +
                                        std::to_string(id) + " \"" + text + "\"");
}

/** The right a name holds, in the words of the report ("send", "receive", "send-once"). */
inline std::string right_of(mach_port_t port) {
  mach_port_type_t type = 0;
  check(mach_port_type(mach_task_self(), port, &type), "mach_port_type");
  if (type & MACH_PORT_TYPE_RECEIVE) return "receive";
  if (type & MACH_PORT_TYPE_SEND_ONCE) return "send-once";
  if (type & MACH_PORT_TYPE_SEND) return "send";
  return "other";
}

}  // namespace script

#endif
