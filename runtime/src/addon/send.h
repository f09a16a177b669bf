// Node addon: sending. A message arrives from JS as complete Mach bytes (port
// names in place), one buffer per out-of-line descriptor and one array of
// names per out-of-line-ports descriptor, plus the JS Ports whose rights it
// moves. The addon patches the descriptors' addresses, sends without
// blocking, and settles ownership exactly:
//   - success: moved Ports end (their rights travelled), regions sent with
//     `deallocate` are detached from JS (the memory travelled);
//   - failure that leaves the message to the sender (invalid destination,
//     full queue, ...; on macOS the kernel's pseudo-receive may rename
//     rights and remap memory): every Port keeps its right (renamed if need
//     be), extra rights the kernel returned are released;
//   - a full queue with a timeout other than zero: a PendingSend takes
//     custody of everything (copy and make dispositions become references it
//     owns, JS memory is copied) and retries when the runtime's send watch
//     descriptor says the queue has room, without blocking the event loop.
#ifndef TSMIG_ADDON_SEND_H
#define TSMIG_ADDON_SEND_H

#include <napi.h>
#include <uv.h>

#include <memory>
#include <vector>

#include <tsmig/mach.h>

#include "instance.h"

namespace tsmig {

class NativePort;
struct Region;

/** Where one right sits in a message, and who owns it while the message is ours. */
struct Slot {
  enum Kind : uint8_t { kRemote, kLocal, kVoucher, kPort, kOolPorts };
  Kind kind;
  uint32_t offset;                         // descriptor offset (kPort, kOolPorts)
  uint32_t entry;                          // index in the names array (kOolPorts)
  mach_msg_type_name_t original;           // the disposition the caller wrote
  mach_port_name_t original_name;          // the name the caller wrote
  NativePort* moved;                       // the Port whose right this MOVE carries, if any
  bool pinned;                             // a reference this message holds for a COPY/MAKE
};

/** One out-of-line descriptor. */
struct OutOfLine {
  uint32_t offset;
  uintptr_t original;      // where the caller's bytes were
  Region* region;          // a whole region the caller lets go (`deallocate`), or null (copied)
  napi_value view;         // the caller's view; valid during the send call only
  bool owned;              // the descriptor points at vm memory this message owns
};

/** One out-of-line-ports descriptor. */
struct OutOfLinePorts {
  uint32_t offset;
  std::vector<mach_port_name_t> names;  // our copy of the caller's names
  bool kernel_array;                    // the descriptor points at a vm array a pseudo-receive returned
};

/** A message being sent: parsing, validation, address patching and ownership bookkeeping. */
class OutgoingMessage {
 public:
  /** Copies and checks the caller's message; throws a TypeError when it is malformed. */
  void Prepare(Instance& instance, const uint8_t* bytes, size_t size, Napi::Value ool, Napi::Value ool_ports,
               Napi::Value moved);
  /** One mach_msg send with a zero timeout. Returns the code without the MACH_MSG_MASK bits. */
  mach_msg_return_t SendOnce();
  /** After success: moved Ports end, regions sent with `deallocate` leave JS. */
  void Commit();
  /**
   * After a failure that gave the message back: everything returns to its
   * owner. With `keep` the message instead takes custody of every right and
   * all memory for a retry; returns the failure to report if that is
   * impossible (the message then went back to its owners).
   */
  mach_msg_return_t AfterReturned(bool keep);
  /** A pending message timed out again: what a pseudo-receive handed back is sent next time. */
  void AfterRetryTimedOut();
  /** After a failure that destroyed part of the message (XNU body copy-in errors). */
  void Abandon();
  /** A pending message that cannot be sent: rights go back to their Ports, the rest is released. */
  void GiveBack();
  /** At shutdown: releases every right and region the pending message holds. */
  void Destroy();
  /** The destination name as the message now says. */
  mach_port_name_t destination() const;
  /** Makes this message own its bytes (before it outlives the send call). */
  void TakeBytes();
  /** The Ports this message moves (kept alive while it is pending). */
  std::vector<NativePort*> MovedPorts() const;

 private:
  mach_msg_header_t* header() const { return reinterpret_cast<mach_msg_header_t*>(data_); }
  mach_port_name_t& NameAt(const Slot& slot) const;
  mach_msg_type_name_t TypeAt(const Slot& slot) const;
  void SetTypeAt(const Slot& slot, mach_msg_type_name_t type);
  void ParseDescriptors(Napi::Env env, Napi::Value ool, Napi::Value ool_ports);
  void MatchMoved(Napi::Env env, Napi::Value moved);
  kern_return_t Pin(Slot& slot);
  void Unpin(Slot& slot);
  void ReleaseKernelArrays();

  Instance* instance_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  MessageBuffer own_bytes_;
  bool owns_bytes_ = false;
  std::vector<Slot> slots_;
  std::vector<OutOfLine> ool_;
  std::vector<OutOfLinePorts> ool_ports_;
};

/** A send waiting for room in the destination's queue (JS-visible so it can be cancelled). */
class PendingSend : public Napi::ObjectWrap<PendingSend> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PendingSend(const Napi::CallbackInfo& info);
  ~PendingSend() override;

  /**
   * Starts waiting on the runtime's send watch for the destination, retrying
   * each time it polls readable; `timeout_ms` < 0 waits for ever. Returns a
   * failure code if waiting is impossible.
   */
  mach_msg_return_t Begin(std::unique_ptr<OutgoingMessage> message, int64_t timeout_ms);
  /** Ends the wait with `code` (cancelled or timed out); `notify` calls the JS completion callback. */
  void Finish(mach_msg_return_t code, bool notify);

 private:
  struct Watch;
  static void OnWritable(uv_poll_t* handle, int status, int events);
  static void OnTimeout(uv_timer_t* timer);
  mach_msg_return_t Arm();
  void Disarm();

  Instance* instance_;
  std::unique_ptr<OutgoingMessage> message_;
  std::vector<Napi::ObjectReference> moved_refs_;
  Watch* watch_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  bool waiting_ = false;
};

/** Registers send and cancelSend. */
void ExportSendFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tsmig

#endif  // TSMIG_ADDON_SEND_H
