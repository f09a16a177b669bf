// Node addon: the child handshake's glue over runtime/src/handshake/.
//
// Parent: HandshakeParent wraps one handshake::Parent per addon instance
// (each thread spawning children has its own). Its rendezvous ports are
// watched with one uv_poll while a ticket is pending; each wake-up drains
// and answers claims on the event loop, and every ended ticket is reported
// to the JS callback with the child's ports already wrapped in Ports.
//
// Child: handshakeClaim runs the blocking claim on the libuv thread pool and
// resolves with the parent's ports wrapped in Ports. Offered rights are made
// the claim's own before it leaves the JS thread, so nothing the JS side does
// meanwhile can change what is sent.
//
// The TypeScript layer (runtime/lib/handshake.ts) checks every argument
// first; functions here report Mach codes as values.
#include "handshake.h"

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include <tsmig/handshake.h>
#include <tsmig/runtime.h>

#include "../handshake/child.h"
#include "../handshake/parent.h"
#include "../handshake/platform.h"
#include "instance.h"

namespace tsmig {

namespace {

/**
 * [[name, Port | null], ...] for received rights. Every right is handed to
 * NewPort, which owns it from then on (and releases it itself if no Port
 * can be made), even when an earlier one failed; the first failure is
 * rethrown once all are done.
 */
Napi::Array NamedPorts(Napi::Env env, const std::vector<tsmig_named_port_t> &ports) {
  Instance &instance = Instance::Of(env);
  Napi::Array out = Napi::Array::New(env, ports.size());
  std::unique_ptr<Napi::Error> failed;
  for (size_t i = 0; i < ports.size(); i++) {
    Napi::Value port = env.Null();
    if (MACH_PORT_VALID(ports[i].port)) {
      try {
        Napi::Object made = instance.NewReceivedPort(ports[i].port, ports[i].disposition);
        // Empty while the environment is torn down: the right is released already.
        if (!made.IsEmpty()) port = made;
      } catch (const Napi::Error &error) {
        if (!failed) failed = std::make_unique<Napi::Error>(error);
      }
    }
    if (failed) continue;
    Napi::Array entry = Napi::Array::New(env, 2);
    entry.Set(uint32_t{0}, Napi::String::New(env, ports[i].name));
    entry.Set(uint32_t{1}, port);
    out.Set(static_cast<uint32_t>(i), entry);
  }
  if (failed) throw *failed;
  return out;
}

/** Named ports from JS: [[name, portName, disposition], ...] (checked by the TypeScript layer). */
struct PortArgs {
  std::vector<std::string> names;
  std::vector<tsmig_named_port_t> ports;
};

PortArgs ReadPorts(const Napi::Value &value) {
  Napi::Env env = value.Env();
  Require(env, value.IsArray(), "expected an array of [name, port, disposition]");
  Napi::Array entries = value.As<Napi::Array>();
  PortArgs args;
  args.names.reserve(entries.Length());
  for (uint32_t i = 0; i < entries.Length(); i++) {
    Napi::Value item = entries.Get(i);
    Require(env, item.IsArray() && item.As<Napi::Array>().Length() == 3, "expected [name, port, disposition]");
    Napi::Array entry = item.As<Napi::Array>();
    Require(env, entry.Get(uint32_t{0}).IsString() && entry.Get(uint32_t{1}).IsNumber() &&
                     entry.Get(uint32_t{2}).IsNumber(),
            "expected [string, number, number]");
    args.names.push_back(entry.Get(uint32_t{0}).As<Napi::String>().Utf8Value());
    args.ports.push_back({nullptr, entry.Get(uint32_t{1}).As<Napi::Number>().Uint32Value(),
                          entry.Get(uint32_t{2}).As<Napi::Number>().Uint32Value()});
  }
  for (size_t i = 0; i < args.ports.size(); i++) args.ports[i].name = args.names[i].c_str();
  return args;
}

/** Codes with which a call took none of the rights it was given. */
bool TookNothing(kern_return_t code) {
  return code == KERN_INVALID_ARGUMENT || code == TSMIG_HANDSHAKE_INVALID_PORTS ||
         code == TSMIG_HANDSHAKE_NO_PARENT || code == TSMIG_HANDSHAKE_ALREADY_CLAIMED;
}

// ---- parent -------------------------------------------------------------------

class HandshakeParent : public Napi::ObjectWrap<HandshakeParent> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "HandshakeParent",
                       {InstanceMethod<&HandshakeParent::Prepare>("prepare"),
                        InstanceMethod<&HandshakeParent::Started>("started"),
                        InstanceMethod<&HandshakeParent::Abandon>("abandon"),
                        InstanceMethod<&HandshakeParent::Refused>("refused"),
                        InstanceMethod<&HandshakeParent::CloseEndpoint>("closeEndpoint")});
  }

  /** new HandshakeParent(onOutcome(ticket, code, pid, ports), servicePrefix) */
  explicit HandshakeParent(const Napi::CallbackInfo &info) : Napi::ObjectWrap<HandshakeParent>(info) {
    Napi::Env env = info.Env();
    Require(env, info[0].IsFunction() && info[1].IsString(), "HandshakeParent(onOutcome, servicePrefix)");
    on_outcome_ = Napi::Persistent(info[0].As<Napi::Function>());
    parent_ = std::make_unique<handshake::Parent>(info[1].As<Napi::String>().Utf8Value());
    napi_get_uv_event_loop(env, &loop_);
    resource_ = Napi::Persistent(Napi::Object::New(env));
    napi_async_init(env, resource_.Value(), Napi::String::New(env, "tsmig.Handshake"), &async_context_);
    napi_add_async_cleanup_hook(env, OnEnvironmentCleanup, this, &cleanup_);
  }

  ~HandshakeParent() override {
    // Normally the cleanup hook ran first; otherwise release what is left here.
    if (cleanup_ != nullptr) {
      napi_remove_async_cleanup_hook(cleanup_);
      cleanup_ = nullptr;
      Shutdown(nullptr);
    }
  }

 private:
  /** prepare(ports, childFd) → [code, ticket, environmentValue, inheritFd] */
  Napi::Value Prepare(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    PortArgs args = ReadPorts(info[0]);
    Require(env, info[1].IsNumber(), "prepare: childFd must be a number");
    handshake::Prepared prepared;
    kern_return_t kr = parent_ != nullptr
                           ? parent_->prepare(args.ports.data(), args.ports.size(), info[1].As<Napi::Number>().Int32Value(),
                                              prepared)
                           : KERN_INVALID_ARGUMENT;
    if (kr == KERN_SUCCESS) UpdatePoll();
    Napi::Array result = Napi::Array::New(env, 4);
    result.Set(uint32_t{0}, Code(env, kr));
    result.Set(uint32_t{1}, Napi::Number::New(env, static_cast<double>(prepared.ticket)));
    result.Set(uint32_t{2}, Napi::String::New(env, prepared.environment_value));
    result.Set(uint32_t{3}, Napi::Number::New(env, prepared.inherit_fd));
    return result;
  }

  /** started(ticket, pid) → code */
  Napi::Value Started(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Require(env, info[0].IsNumber() && info[1].IsNumber(), "started(ticket, pid)");
    if (parent_ == nullptr) return Code(env, TSMIG_HANDSHAKE_UNKNOWN_TICKET);
    std::vector<handshake::Outcome> outcomes;
    kern_return_t kr = parent_->started(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()),
                                        info[1].As<Napi::Number>().Int32Value(), outcomes);
    Deliver(env, outcomes);
    UpdatePoll();
    return Code(env, kr);
  }

  /** abandon(ticket) → code */
  Napi::Value Abandon(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Require(env, info[0].IsNumber(), "abandon(ticket)");
    if (parent_ == nullptr) return Code(env, TSMIG_HANDSHAKE_UNKNOWN_TICKET);
    kern_return_t kr = parent_->abandon(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
    UpdatePoll();
    return Code(env, kr);
  }

  /** closeEndpoint(fd): the parent's copy of a child's inherited descriptor, once spawn() gave it to the child. */
  Napi::Value CloseEndpoint(const Napi::CallbackInfo &info) {
    Require(info.Env(), info[0].IsNumber(), "closeEndpoint(fd)");
    // Closed here, not with fs.closeSync: a worker thread's fs would warn about a descriptor it never opened.
    handshake::platform::close_endpoint(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  /** refused() → claims this parent refused so far */
  Napi::Value Refused(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), parent_ != nullptr ? static_cast<double>(parent_->refused()) : 0);
  }

  /** Calls the JS callback once per ended ticket (the child's rights become Ports first). */
  void Deliver(Napi::Env env, std::vector<handshake::Outcome> &outcomes) {
    for (handshake::Outcome &outcome : outcomes) {
      Napi::HandleScope scope(env);
      try {
        std::vector<tsmig_named_port_t> received;
        received.swap(outcome.child.ports);  // NamedPorts gives each right its owner, whatever happens
        Napi::Value ports = NamedPorts(env, received);
        std::vector<napi_value> args = {Napi::Number::New(env, static_cast<double>(outcome.ticket)),
                                        Code(env, outcome.code), Napi::Number::New(env, outcome.pid), ports};
        on_outcome_.MakeCallback(resource_.Value(), args, async_context_);
      } catch (const Napi::Error &error) {
        // Only possible when the environment can no longer run JS: report it as Node does.
        napi_fatal_exception(env, error.Value());
      }
    }
  }

  /** Polls the rendezvous ports while some ticket waits, and not otherwise. */
  void UpdatePoll() {
    bool want = parent_ != nullptr && parent_->pending() > 0;
    if (want && poll_ == nullptr) {
      int fd = -1;
      if (parent_->watch_fd(&fd) != KERN_SUCCESS) return;
      auto *poll = new uv_poll_t;
      if (uv_poll_init(loop_, poll, fd) != 0) {
        delete poll;
        tsmig_watch_close(fd);
        return;
      }
      poll->data = this;
      poll_ = poll;
      fd_ = fd;
    }
    if (poll_ == nullptr || want == polling_) return;
    polling_ = want;
    if (want) {
      uv_poll_start(poll_, UV_READABLE, OnReadable);
    } else {
      uv_poll_stop(poll_);
    }
  }

  static void OnReadable(uv_poll_t *handle, int status, int) {
    auto *self = static_cast<HandshakeParent *>(handle->data);
    if (status < 0 || self->parent_ == nullptr) return;
    tsmig_watch_ack(self->fd_);
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    std::vector<handshake::Outcome> outcomes;
    self->parent_->drain(outcomes);
    self->Deliver(env, outcomes);
    self->UpdatePoll();
  }

  /** Releases everything: the Parent (its tickets' rights, its rendezvous ports) and the poll. */
  void Shutdown(napi_async_cleanup_hook_handle hook) {
    parent_.reset();
    if (async_context_ != nullptr) {
      napi_async_destroy(Env(), async_context_);
      async_context_ = nullptr;
    }
    if (poll_ == nullptr) {
      if (hook != nullptr) napi_remove_async_cleanup_hook(hook);
      return;
    }
    uv_poll_stop(poll_);
    struct Closing {
      int fd;
      napi_async_cleanup_hook_handle hook;
    };
    poll_->data = new Closing{fd_, hook};
    uv_close(reinterpret_cast<uv_handle_t *>(poll_), [](uv_handle_t *handle) {
      auto *closing = static_cast<Closing *>(handle->data);
      tsmig_watch_close(closing->fd);
      if (closing->hook != nullptr) napi_remove_async_cleanup_hook(closing->hook);
      delete closing;
      delete reinterpret_cast<uv_poll_t *>(handle);
    });
    poll_ = nullptr;
    fd_ = -1;
  }

  static void OnEnvironmentCleanup(napi_async_cleanup_hook_handle hook, void *data) {
    auto *self = static_cast<HandshakeParent *>(data);
    self->cleanup_ = nullptr;
    self->Shutdown(hook);
  }

  std::unique_ptr<handshake::Parent> parent_;
  Napi::FunctionReference on_outcome_;
  Napi::ObjectReference resource_;
  napi_async_context async_context_ = nullptr;
  napi_async_cleanup_hook_handle cleanup_ = nullptr;
  uv_loop_t *loop_ = nullptr;
  uv_poll_t *poll_ = nullptr;
  int fd_ = -1;
  bool polling_ = false;
};

// ---- child --------------------------------------------------------------------

/** The claim, off the JS thread: tsmig_claim_parent_ports blocks until the parent answers. */
class ClaimWorker : public Napi::AsyncWorker {
 public:
  ClaimWorker(Napi::Env env, std::vector<handshake::OwnedRight> offer, uint32_t timeout_ms)
      : Napi::AsyncWorker(env, "tsmig.claimParentPorts"),
        deferred_(Napi::Promise::Deferred::New(env)),
        offer_(std::move(offer)),
        timeout_ms_(timeout_ms) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::vector<tsmig_named_port_t> ports;
    for (const handshake::OwnedRight &r : offer_) ports.push_back({r.name.c_str(), r.port, r.disposition});
    code_ = tsmig_claim_parent_ports(ports.data(), ports.size(), timeout_ms_, &list_);
    // Unless the claim took nothing, the offered rights are on their way (or destroyed).
    if (!TookNothing(code_)) offer_.clear();
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    handshake::destroy_rights(offer_);
    // The names point into the list: it is freed once NamedPorts has read them.
    std::vector<tsmig_named_port_t> received;
    if (list_ != nullptr) received.assign(list_->ports, list_->ports + list_->count);
    try {
      Napi::Array result = Napi::Array::New(env, 2);
      result.Set(uint32_t{0}, Code(env, code_));
      result.Set(uint32_t{1}, NamedPorts(env, received));
      deferred_.Resolve(result);
    } catch (const Napi::Error &error) {
      deferred_.Reject(error.Value());
    }
    tsmig_port_list_free(list_);
    list_ = nullptr;
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<handshake::OwnedRight> offer_;
  uint32_t timeout_ms_;
  kern_return_t code_ = KERN_SUCCESS;
  tsmig_port_list_t *list_ = nullptr;
};

/** handshakeClaim(offer, timeoutMs) → Promise<[code, [[name, Port | null], ...]]> */
Napi::Value HandshakeClaim(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  PortArgs args = ReadPorts(info[0]);
  Require(env, info[1].IsNumber(), "handshakeClaim: timeoutMs must be a number");
  uint32_t timeout_ms = info[1].As<Napi::Number>().Uint32Value();
  kern_return_t kr = handshake::check_ports(args.ports.data(), args.ports.size());
  std::vector<handshake::OwnedRight> owned;
  // Made and copied rights become the claim's own now, while the names still mean what JS meant.
  if (kr == KERN_SUCCESS) kr = handshake::take_rights(args.ports.data(), args.ports.size(), owned);
  if (kr != KERN_SUCCESS) {
    if (kr != TSMIG_HANDSHAKE_INVALID_PORTS) handshake::destroy_moved(args.ports.data(), args.ports.size());
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    Napi::Array result = Napi::Array::New(env, 2);
    result.Set(uint32_t{0}, Code(env, kr));
    result.Set(uint32_t{1}, Napi::Array::New(env, 0));
    deferred.Resolve(result);
    return deferred.Promise();
  }
  auto *worker = new ClaimWorker(env, std::move(owned), timeout_ms);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

/** claimStatus() → KERN_SUCCESS, TSMIG_HANDSHAKE_NO_PARENT or TSMIG_HANDSHAKE_ALREADY_CLAIMED */
Napi::Value ClaimStatus(const Napi::CallbackInfo &info) { return Code(info.Env(), handshake::claim_status()); }

Napi::Value HandshakeErrorString(const Napi::CallbackInfo &info) {
  Require(info.Env(), info[0].IsNumber(), "handshakeErrorString(code)");
  return Napi::String::New(info.Env(), tsmig_handshake_error_string(info[0].As<Napi::Number>().Int32Value()));
}

}  // namespace

void ExportHandshakeFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("HandshakeParent", HandshakeParent::Define(env));
  exports.Set("handshakeClaim", Napi::Function::New(env, HandshakeClaim, "handshakeClaim"));
  exports.Set("claimStatus", Napi::Function::New(env, ClaimStatus, "claimStatus"));
  exports.Set("handshakeErrorString", Napi::Function::New(env, HandshakeErrorString, "handshakeErrorString"));
}

}  // namespace tsmig
