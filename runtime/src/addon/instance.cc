// Node addon: the per-instance state (see instance.h) and its shutdown.
#include "instance.h"

#include "port.h"
#include "region.h"
#include "send.h"

namespace tsmig {

Instance::Instance(Napi::Env env_) : env(env_), scratch_message(std::make_unique<OutgoingMessage>()) {
  napi_get_uv_event_loop(env, &loop);
}

Instance::~Instance() = default;

namespace {

void ReleaseReference(mach_port_name_t name, mach_port_right_t right) {
  if (right == MACH_PORT_RIGHT_RECEIVE || right == MACH_PORT_RIGHT_PORT_SET) {
    mach_port_mod_refs(mach_task_self(), name, right, -1);
  } else {
    mach_port_deallocate(mach_task_self(), name);
  }
}

}  // namespace

Napi::Object Instance::NewReceivedPort(mach_port_name_t name, mach_msg_type_name_t type) {
  switch (type) {
    case MACH_MSG_TYPE_PORT_RECEIVE:
      return NewPort(name, MACH_PORT_RIGHT_RECEIVE);
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
      return NewPort(name, MACH_PORT_RIGHT_SEND_ONCE);
    default:
      return NewPort(name, MACH_PORT_RIGHT_SEND);
  }
}

Napi::Object Instance::NewPort(mach_port_name_t name, mach_port_right_t right) {
  Napi::FunctionReference& cls = right == MACH_PORT_RIGHT_PORT_SET ? port_set_class : port_class;
  constructed_ = nullptr;
  Napi::Object made;
  try {
    Require(env, !cls.IsEmpty(), "the runtime's Port classes are not registered (load the addon through tsmig)");
    made = cls.New({token.Value(), Napi::Number::New(env, name), Napi::Number::New(env, right)});
  } catch (...) {
    // Built or not, the reference has exactly one owner: the object, or nobody — then it goes now.
    if (constructed_ == nullptr) ReleaseReference(name, right);
    throw;
  }
  // An environment being torn down fails calls silently (NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS).
  if (constructed_ == nullptr) ReleaseReference(name, right);
  return made;
}

namespace {

bool CallFromLoop(Napi::Env env, const Napi::FunctionReference& function, Napi::Object receiver,
                  const std::vector<napi_value>& args, napi_async_context context) {
  try {
    // MakeCallback needs an object as `this` (undefined cannot be converted).
    function.MakeCallback(receiver, args, context);
    return true;
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
    return false;
  }
}

}  // namespace

bool Instance::Dispatch(const std::vector<napi_value>& args) {
  return CallFromLoop(env, dispatch, async_resource.Value(), args, async_context);
}

bool Instance::SendDone(const std::vector<napi_value>& args) {
  return CallFromLoop(env, send_done, async_resource.Value(), args, async_context);
}

Region* Instance::FindRegion(uintptr_t address) {
  auto it = regions.find(address);
  return it == regions.end() ? nullptr : it->second;
}

void Instance::Shutdown(void (*done)(void*), void* arg) {
  shutting_down_ = true;
  shutdown_done_ = done;
  shutdown_arg_ = arg;
  // Pending sends first: they hold references of their own, released with them.
  std::vector<PendingSend*> sends(pending_sends.begin(), pending_sends.end());
  for (PendingSend* send : sends) send->Finish(MACH_SEND_INTERRUPTED, false);
  std::vector<NativePort*> live(ports.begin(), ports.end());
  for (NativePort* port : live) port->Release();
  std::vector<Region*> mapped;
  for (auto& entry : regions) mapped.push_back(entry.second);
  for (Region* region : mapped) ReleaseRegion(*this, region);
  if (async_context != nullptr) {
    napi_async_destroy(env, async_context);
    async_context = nullptr;
  }
  if (open_handles_ == 0) {
    shutdown_done_ = nullptr;
    done(arg);
  }
}

void Instance::HandleClosed() {
  --open_handles_;
  if (shutting_down_ && open_handles_ == 0 && shutdown_done_ != nullptr) {
    auto done = shutdown_done_;
    shutdown_done_ = nullptr;
    done(shutdown_arg_);
  }
}

void Require(Napi::Env env, bool condition, const char* message) {
  if (!condition) throw Napi::TypeError::New(env, message);
}

}  // namespace tsmig
