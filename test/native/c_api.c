/* The runtime's API from plain C (C11, -Wall -Wextra -Werror): every public
   header compiles as C, and a message goes through a port and back. */
#include <mach/mach.h>
#include <mach/mig.h>
#include <servers/bootstrap.h>
#include <stdio.h>
#include <string.h>
#include <tsmig/runtime.h>

#pragma pack(push, 4)
typedef struct {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  mach_msg_ool_descriptor_t ool;
} request_t;
#pragma pack(pop)

int main(void) {
  mach_port_t p, q;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS) return 1;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &q) != KERN_SUCCESS) return 1;
  if (mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) return 1;
  static const char text[] = "hello from C";
  request_t m;
  memset(&m, 0, sizeof m);
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = p;
  m.h.msgh_id = 77;
  m.body.msgh_descriptor_count = 2;
  m.port.name = q;
  m.port.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
  m.port.type = MACH_MSG_PORT_DESCRIPTOR;
  m.ool.address = (void *)text;
  m.ool.size = sizeof text;
  m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
  if (mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) != MACH_MSG_SUCCESS) return 2;
  struct {
    request_t r;
    mach_msg_max_trailer_t t;
  } in;
  if (mach_msg(&in.r.h, MACH_RCV_MSG, 0, sizeof in, p, 0, MACH_PORT_NULL) != MACH_MSG_SUCCESS) return 3;
  if (in.r.h.msgh_id != 77 || strcmp((const char *)in.r.ool.address, text) != 0) return 4;
  mach_msg_destroy(&in.r.h); /* the send-once right dies: q gets a notification */
  mach_msg_empty_rcv_t n;
  if (mach_msg(&n.header, MACH_RCV_MSG, 0, sizeof n, q, 0, MACH_PORT_NULL) != MACH_MSG_SUCCESS) return 5;
  if (n.header.msgh_id != MACH_NOTIFY_SEND_ONCE) return 6;
  mach_port_destroy(mach_task_self(), p);
  mach_port_destroy(mach_task_self(), q);
  tsmig_space_stats_t st;
  tsmig_space_stats(&st);
  if (st.names != 0) return 7;
  printf("ok c_api (%s)\n", mach_error_string(MIG_SERVER_DIED));
  return 0;
}
