// Node addon entry point: builds one Instance per environment (main thread or
// worker), exports the NativePort class and the module functions, and
// registers the asynchronous cleanup hook that releases whatever the
// environment's objects still own when it shuts down. The TypeScript layer
// (runtime/lib/) is the only intended caller: it validates arguments first
// and turns returned Mach codes into MachErrors.
#include <napi.h>

#include "handshake.h"
#include "instance.h"
#include "port.h"
#include "receiver.h"
#include "region.h"
#include "send.h"

namespace tsmig {

namespace {

// register({ Port, PortSet, dispatch, sendDone }): the TypeScript classes and callbacks.
Napi::Value Register(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance& instance = Instance::Of(env);
  Require(env, info[0].IsObject(), "register: expected an object");
  Napi::Object parts = info[0].As<Napi::Object>();
  for (const char* key : {"Port", "PortSet", "dispatch", "sendDone"}) {
    Require(env, parts.Get(key).IsFunction(), "register: Port, PortSet, dispatch and sendDone must be functions");
  }
  instance.port_class = Napi::Persistent(parts.Get("Port").As<Napi::Function>());
  instance.port_set_class = Napi::Persistent(parts.Get("PortSet").As<Napi::Function>());
  instance.dispatch = Napi::Persistent(parts.Get("dispatch").As<Napi::Function>());
  instance.send_done = Napi::Persistent(parts.Get("sendDone").As<Napi::Function>());
  return env.Undefined();
}

void RemoveCleanupHook(void* handle) {
  napi_remove_async_cleanup_hook(static_cast<napi_async_cleanup_hook_handle>(handle));
}

void OnEnvironmentCleanup(napi_async_cleanup_hook_handle handle, void* data) {
  static_cast<Instance*>(data)->Shutdown(RemoveCleanupHook, handle);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* instance = new Instance(env);
  env.SetInstanceData<Instance>(instance);

  Napi::Object token = Napi::Object::New(env);
  instance->token = Napi::Persistent(token);
  Napi::Object resource = Napi::Object::New(env);
  instance->async_resource = Napi::Persistent(resource);
  napi_async_init(env, resource, Napi::String::New(env, "tsmig.Port"), &instance->async_context);
  instance->pending_send_class = Napi::Persistent(PendingSend::Define(env));

  exports.Set("NativePort", NativePort::Define(env));
  exports.Set("token", token);
  exports.Set("register", Napi::Function::New(env, Register, "register"));
  exports.Set("allocateOutOfLine", Napi::Function::New(env, AllocateOutOfLine, "allocateOutOfLine"));
  exports.Set("releaseOutOfLine", Napi::Function::New(env, ReleaseOutOfLine, "releaseOutOfLine"));
  exports.Set("isOutOfLineRegion", Napi::Function::New(env, IsOutOfLineRegion, "isOutOfLineRegion"));
  ExportPortFunctions(env, exports);
  ExportReceiveFunctions(env, exports);
  ExportSendFunctions(env, exports);
  ExportHandshakeFunctions(env, exports);

  napi_async_cleanup_hook_handle handle = nullptr;
  napi_add_async_cleanup_hook(env, OnEnvironmentCleanup, instance, &handle);
  return exports;
}

}  // namespace tsmig

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return tsmig::Init(env, exports);
}

NODE_API_MODULE(tsmig, InitModule)
