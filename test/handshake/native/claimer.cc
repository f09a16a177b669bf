// A native child for the handshake tests: a C++ program linked with the
// runtime library that claims its parent's ports with
// tsmig::claim_parent_ports. Modes (argv[1]):
//   exchange  offers "inbox" and plays the exchange of script.h
//   report    claims offering nothing; prints "claimed <name>=<right>;..." or
//             "error <code> <sentence>"; claims a second time and prints that
//             outcome too; exits 0
#include <map>
#include <string>

#include "script.h"

namespace {

std::string describe(const tsmig::PortMap &ports) {
  std::string out;
  for (const auto &entry : ports) out += (out.empty() ? "" : ";") + entry.first + "=" + script::right_of(entry.second);
  return out;
}

void print_outcome(kern_return_t kr, const tsmig::PortMap &ports) {
  if (kr == KERN_SUCCESS) {
    std::printf("claimed %s\n", describe(ports).c_str());
  } else {
    std::printf("error 0x%x %s\n", kr, tsmig_handshake_error_string(kr));
  }
  std::fflush(stdout);
}

int exchange() {
  mach_port_t inbox = MACH_PORT_NULL;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &inbox), "allocate");
  tsmig::PortMap parent;
  script::check(tsmig::claim_parent_ports(parent, {{"inbox", inbox, MACH_MSG_TYPE_MAKE_SEND}}), "claim");
  mach_port_t control = parent.at("control");
  script::send_text(control, 100, describe(parent));
  script::expect_text(inbox, 200, "ping");
  script::send_text(control, 201, "pong:ping");
  script::send_text(parent.at("data"), 300, "data");
  script::send_text(parent.at("moved"), 400, "moved");
  script::send_text(parent.at("once"), 500, "once", MACH_MSG_TYPE_MOVE_SEND_ONCE);
  mach_msg_id_t id = 0;
  std::string text = script::receive_text(parent.at("receiver"), &id);
  script::expect(id == 600, "message on receiver");
  script::send_text(control, 601, "got:" + text);
  script::expect_text(inbox, 999, "");
  return 0;
}

int report() {
  tsmig::PortMap parent;
  kern_return_t kr = tsmig::claim_parent_ports(parent);
  print_outcome(kr, parent);
  tsmig::PortMap again;
  print_outcome(tsmig::claim_parent_ports(again), again);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "exchange") return exchange();
  if (mode == "report") return report();
  std::fprintf(stderr, "usage: claimer exchange|report\n");
  return 2;
}
