// Node addon: the state of one addon instance (the main thread or one
// worker). Every object the addon creates belongs to exactly one Instance,
// found through Napi::Env::GetInstanceData; there are no globals, so worker
// threads load the addon side by side. The Instance's cleanup hook releases
// whatever its JS objects still own when the environment goes away.
#ifndef TSMIG_ADDON_INSTANCE_H
#define TSMIG_ADDON_INSTANCE_H

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <tsmig/runtime.h>

namespace tsmig {

class NativePort;
class OutgoingMessage;
class PendingSend;
struct Region;

/** A growable buffer aligned for Mach message structures. */
class MessageBuffer {
 public:
  /** Makes room for at least `bytes` and returns the start. */
  uint8_t* Reserve(size_t bytes) {
    size_t words = (bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t);
    if (words > storage_.size()) storage_.resize(words);
    return data();
  }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(storage_.data()); }
  size_t capacity() const { return storage_.size() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> storage_;
};

class Instance {
 public:
  explicit Instance(Napi::Env env);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  /** The Instance of the environment running this call. */
  static Instance& Of(Napi::Env env) { return *env.GetInstanceData<Instance>(); }

  /**
   * A JS Port (or PortSet for port sets) that owns one user reference of
   * `right` under `name`. The object is constructed through the classes the
   * TypeScript layer registered, so it is the very object users see. If the
   * construction fails (a worker being terminated), the reference is
   * released before the exception propagates: it never lacks an owner.
   */
  Napi::Object NewPort(mach_port_name_t name, mach_port_right_t right);
  /** NewPort for a right that arrived with the received disposition `type` (MACH_MSG_TYPE_PORT_*). */
  Napi::Object NewReceivedPort(mach_port_name_t name, mach_msg_type_name_t type);
  /** Called by each NativePort constructor, so NewPort knows whether the object got built. */
  void Constructed(NativePort* port) { constructed_ = port; }

  /**
   * Calls the registered receive dispatcher with `args`, as a callback from
   * the event loop. An exception (only possible when the environment can no
   * longer run JS) is reported as uncaught; returns false then.
   */
  bool Dispatch(const std::vector<napi_value>& args);
  /** Calls the registered send-completion callback with `args`, like Dispatch. */
  bool SendDone(const std::vector<napi_value>& args);

  /** The region starting exactly at `address`, if this instance owns one. */
  Region* FindRegion(uintptr_t address);

  /**
   * Releases everything JS objects of this instance still own (rights,
   * regions, watches, pending sends) when the environment shuts down; `done`
   * runs once every libuv handle of the instance has closed.
   */
  void Shutdown(void (*done)(void*), void* arg);
  bool shutting_down() const { return shutting_down_; }
  /** Counts the instance's open libuv handles, so shutdown knows when they are all closed. */
  void HandleOpened() { ++open_handles_; }
  void HandleClosed();

  Napi::Env env;
  uv_loop_t* loop = nullptr;
  Napi::ObjectReference token;  // proves a Port construction comes from the runtime
  Napi::FunctionReference port_class;
  Napi::FunctionReference port_set_class;
  Napi::FunctionReference pending_send_class;
  Napi::FunctionReference dispatch;
  Napi::FunctionReference send_done;
  Napi::ObjectReference async_resource;
  napi_async_context async_context = nullptr;

  MessageBuffer receive_buffer;  // one receive at a time per thread
  MessageBuffer send_buffer;
  std::unique_ptr<OutgoingMessage> scratch_message;  // reused by every send that does not wait

  std::unordered_set<NativePort*> ports;
  std::unordered_set<PendingSend*> pending_sends;
  std::unordered_map<uintptr_t, Region*> regions;

 private:
  bool shutting_down_ = false;
  size_t open_handles_ = 0;
  NativePort* constructed_ = nullptr;
  void (*shutdown_done_)(void*) = nullptr;
  void* shutdown_arg_ = nullptr;
};

/** Throws a TypeError naming the argument when `condition` is false. */
void Require(Napi::Env env, bool condition, const char* message);

/** A JS number for a Mach return code (the TypeScript layer turns it into a MachError). */
inline Napi::Value Code(Napi::Env env, kern_return_t code) {
  return Napi::Number::New(env, static_cast<double>(code));
}

}  // namespace tsmig

#endif  // TSMIG_ADDON_INSTANCE_H
