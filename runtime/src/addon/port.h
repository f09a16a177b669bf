// Node addon: the native half of every JS Port and PortSet. A NativePort owns
// exactly one user reference of one right (receive, send, send-once, port
// set or dead name) under one name, and releases it exactly once: close(),
// the garbage collector's finalizer, or the instance's shutdown. A send that
// moves the right, or detach(), ends the ownership without a release.
#ifndef TSMIG_ADDON_PORT_H
#define TSMIG_ADDON_PORT_H

#include <napi.h>

#include <tsmig/mach.h>

namespace tsmig {

class Instance;
class Receiver;

class NativePort : public Napi::ObjectWrap<NativePort> {
 public:
  /** The JS class (`Port` of the native module); the TypeScript Port and PortSet extend it. */
  static Napi::Function Define(Napi::Env env);

  /** new (token, name, right): only the runtime holds the token. */
  explicit NativePort(const Napi::CallbackInfo& info);
  ~NativePort() override;

  bool open() const { return open_; }
  mach_port_name_t name() const { return name_; }
  mach_port_right_t right() const { return right_; }
  Instance& instance() const { return *instance_; }

  /** Gives back the owned reference (deallocate, or destroy a receive right / port set). */
  kern_return_t Release();
  /** Ends ownership without releasing: the reference moved elsewhere. */
  void Forget();
  /** Takes ownership again (a send that was going to move the right failed). */
  void Restore(mach_port_name_t name);
  /** Records a dead name: the send right's port died. */
  void BecameDeadName() { right_ = MACH_PORT_RIGHT_DEAD_NAME; }

  /** The receive watch, created on first use (receive rights and port sets only). */
  Receiver& receiver();
  Receiver* receiver_if_any() const { return receiver_; }
  /** Stops and frees the receive watch, if any. */
  void CloseReceiver();

  /** Keeps the JS object alive while the event loop works for it (a watch or a pending send). */
  void Pin();
  void Unpin();

 private:
  Instance* instance_;
  mach_port_name_t name_ = MACH_PORT_NULL;
  mach_port_right_t right_ = MACH_PORT_RIGHT_SEND;
  bool open_ = false;
  bool pinned_ = false;
  Receiver* receiver_ = nullptr;
};

/** The open NativePort behind argument `index`, or a TypeError. */
NativePort& OpenPortArg(const Napi::CallbackInfo& info, size_t index);
/** The NativePort behind `value`, or null when it is not one. */
NativePort* PortOf(Napi::Value value);

/** Registers the module functions that act on ports (allocate, close, rights, notifications, descriptors). */
void ExportPortFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tsmig

#endif  // TSMIG_ADDON_PORT_H
