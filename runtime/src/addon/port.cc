// Node addon: NativePort (see port.h) and the module functions acting on one
// right: allocation, release, making and copying rights, reference counts,
// queue limits, notification requests, port-set membership, descriptors.
// Functions report Mach failures as return codes; the TypeScript layer turns
// them into MachErrors. Argument mistakes (which the TypeScript layer checks
// first) throw TypeErrors.
#include "port.h"

#include "instance.h"
#include "receiver.h"

namespace tsmig {

namespace {

bool IsRight(double value) {
  return value == MACH_PORT_RIGHT_SEND || value == MACH_PORT_RIGHT_RECEIVE ||
         value == MACH_PORT_RIGHT_SEND_ONCE || value == MACH_PORT_RIGHT_PORT_SET ||
         value == MACH_PORT_RIGHT_DEAD_NAME;
}

uint32_t Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* message) {
  Napi::Env env = info.Env();
  Require(env, info[index].IsNumber(), message);
  double value = info[index].As<Napi::Number>().DoubleValue();
  Require(env, value >= 0 && value <= 4294967295.0 && value == static_cast<uint32_t>(value), message);
  return static_cast<uint32_t>(value);
}

/** A [code, value] pair: functions with a numeric result report failures beside it. */
Napi::Value Pair(Napi::Env env, kern_return_t code, Napi::Value value) {
  Napi::Array pair = Napi::Array::New(env, 2);
  pair.Set(uint32_t{0}, Code(env, code));
  pair.Set(uint32_t{1}, value);
  return pair;
}

NativePort& OpenPortOfRight(const Napi::CallbackInfo& info, size_t index, mach_port_right_t right,
                            const char* message) {
  NativePort& port = OpenPortArg(info, index);
  Require(info.Env(), port.right() == right, message);
  return port;
}

}  // namespace

// ---- NativePort -------------------------------------------------------------

Napi::Function NativePort::Define(Napi::Env env) {
  return DefineClass(env, "NativePort", {});
}

NativePort::NativePort(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativePort>(info), instance_(&Instance::Of(info.Env())) {
  Napi::Env env = info.Env();
  Require(env, info.Length() == 3 && info[0].StrictEquals(instance_->token.Value()),
          "Port objects come from allocatePort(), Port.fromDescriptor(), rights of other ports and received "
          "messages; they cannot be constructed directly");
  // Only the runtime gets past the token, with numbers it chose: one N-API call each.
  uint32_t name = 0;
  uint32_t right = 0;
  Require(env, napi_get_value_uint32(env, info[1], &name) == napi_ok, "Port: bad name");
  Require(env, napi_get_value_uint32(env, info[2], &right) == napi_ok && IsRight(right), "Port: bad right");
  name_ = name;
  right_ = right;
  open_ = true;
  instance_->ports.insert(this);
  instance_->Constructed(this);
}

NativePort::~NativePort() {
  if (open_) Release();
  CloseReceiver();
  instance_->ports.erase(this);
}

kern_return_t NativePort::Release() {
  if (!open_) return KERN_SUCCESS;
  CloseReceiver();
  open_ = false;
  Unpin();
  switch (right_) {
    case MACH_PORT_RIGHT_RECEIVE:
    case MACH_PORT_RIGHT_PORT_SET:
      return mach_port_mod_refs(mach_task_self(), name_, right_, -1);
    default:
      // Send, send-once and dead-name references all go through deallocate
      // (a send right whose port died is a dead-name reference by now).
      return mach_port_deallocate(mach_task_self(), name_);
  }
}

void NativePort::Forget() {
  CloseReceiver();
  open_ = false;
  Unpin();
}

void NativePort::Restore(mach_port_name_t name) {
  name_ = name;
  open_ = true;
}

Receiver& NativePort::receiver() {
  if (receiver_ == nullptr) receiver_ = new Receiver(this);
  return *receiver_;
}

void NativePort::CloseReceiver() {
  if (receiver_ == nullptr) return;
  receiver_->Close();
  receiver_ = nullptr;
  Unpin();
}

void NativePort::Pin() {
  if (pinned_) return;
  pinned_ = true;
  Ref();
}

void NativePort::Unpin() {
  if (!pinned_) return;
  pinned_ = false;
  Unref();
}

NativePort* PortOf(Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  napi_value object = value;
  void* wrapped = nullptr;
  // napi_unwrap fails for objects that are not NativePorts; no exception is left behind.
  if (napi_unwrap(value.Env(), object, &wrapped) != napi_ok) return nullptr;
  return static_cast<NativePort*>(wrapped);
}

NativePort& OpenPortArg(const Napi::CallbackInfo& info, size_t index) {
  NativePort* port = PortOf(info[index]);
  Require(info.Env(), port != nullptr, "expected a Port");
  Require(info.Env(), port->open(), "the Port is closed");
  return *port;
}

// ---- module functions -----------------------------------------------------

namespace {

// allocate(right) → Port | code
Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t right = Uint32Arg(info, 0, "allocate: bad right");
  Require(env, right == MACH_PORT_RIGHT_RECEIVE || right == MACH_PORT_RIGHT_PORT_SET ||
                   right == MACH_PORT_RIGHT_DEAD_NAME,
          "allocate: only receive rights, port sets and dead names can be allocated");
  mach_port_name_t name = MACH_PORT_NULL;
  kern_return_t kr = mach_port_allocate(mach_task_self(), right, &name);
  if (kr != KERN_SUCCESS) return Code(env, kr);
  return Instance::Of(env).NewPort(name, right);
}

// adopt(name, right) → Port: takes ownership of one reference the caller holds
Napi::Value Adopt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t name = Uint32Arg(info, 0, "adopt: bad name");
  Require(env, name != MACH_PORT_NULL && name != MACH_PORT_DEAD, "adopt: MACH_PORT_NULL and MACH_PORT_DEAD are not names");
  uint32_t right = Uint32Arg(info, 1, "adopt: bad right");
  Require(env, IsRight(right), "adopt: bad right");
  return Instance::Of(env).NewPort(name, right);
}

// nameOf(port) → name, or -1 when closed (the hot path of message building)
Napi::Value NameOf(const Napi::CallbackInfo& info) {
  NativePort* port = PortOf(info[0]);
  Require(info.Env(), port != nullptr, "expected a Port");
  return Napi::Number::New(info.Env(), port->open() ? static_cast<double>(port->name()) : -1);
}

// stateOf(port) → -1 when closed, else name + right × 2^32 (one call where JS needs both)
Napi::Value StateOf(const Napi::CallbackInfo& info) {
  NativePort* port = PortOf(info[0]);
  Require(info.Env(), port != nullptr, "expected a Port");
  double state = port->open() ? static_cast<double>(port->name()) + static_cast<double>(port->right()) * 4294967296.0 : -1;
  return Napi::Number::New(info.Env(), state);
}

// rightOf(port) → MACH_PORT_RIGHT_*
Napi::Value RightOf(const Napi::CallbackInfo& info) {
  NativePort* port = PortOf(info[0]);
  Require(info.Env(), port != nullptr, "expected a Port");
  return Napi::Number::New(info.Env(), port->right());
}

// close(port) → whether this call released the right (closing twice is a no-op)
Napi::Value Close(const Napi::CallbackInfo& info) {
  NativePort* port = PortOf(info[0]);
  Require(info.Env(), port != nullptr, "expected a Port");
  bool was_open = port->open();
  port->Release();
  return Napi::Boolean::New(info.Env(), was_open);
}

// detach(port) → name; the caller owns the reference from now on
Napi::Value Detach(const Napi::CallbackInfo& info) {
  NativePort& port = OpenPortArg(info, 0);
  mach_port_name_t name = port.name();
  port.Forget();
  return Napi::Number::New(info.Env(), name);
}

// makeSend(receivePort) → Port(send) | code
Napi::Value MakeSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port = OpenPortOfRight(info, 0, MACH_PORT_RIGHT_RECEIVE, "makeSendRight needs a receive right");
  kern_return_t kr =
      mach_port_insert_right(mach_task_self(), port.name(), port.name(), MACH_MSG_TYPE_MAKE_SEND);
  if (kr != KERN_SUCCESS) return Code(env, kr);
  return Instance::Of(env).NewPort(port.name(), MACH_PORT_RIGHT_SEND);
}

// copySend(sendPort) → Port(send) | code
Napi::Value CopySend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port = OpenPortOfRight(info, 0, MACH_PORT_RIGHT_SEND, "copySendRight needs a send right");
  kern_return_t kr = mach_port_mod_refs(mach_task_self(), port.name(), MACH_PORT_RIGHT_SEND, 1);
  if (kr != KERN_SUCCESS) return Code(env, kr);
  return Instance::Of(env).NewPort(port.name(), MACH_PORT_RIGHT_SEND);
}

// makeSendOnce(receivePort) → Port(send-once) | code
Napi::Value MakeSendOnce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port =
      OpenPortOfRight(info, 0, MACH_PORT_RIGHT_RECEIVE, "makeSendOnceRight needs a receive right");
  mach_port_t send_once = MACH_PORT_NULL;
  mach_msg_type_name_t type = 0;
  kern_return_t kr = mach_port_extract_right(mach_task_self(), port.name(), MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             &send_once, &type);
  if (kr != KERN_SUCCESS) return Code(env, kr);
  return Instance::Of(env).NewPort(send_once, MACH_PORT_RIGHT_SEND_ONCE);
}

// refs(port, right) → [code, user references]
Napi::Value Refs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port = OpenPortArg(info, 0);
  uint32_t right = Uint32Arg(info, 1, "refs: bad right");
  Require(env, IsRight(right), "refs: bad right");
  mach_port_urefs_t refs = 0;
  kern_return_t kr = mach_port_get_refs(mach_task_self(), port.name(), right, &refs);
  return Pair(env, kr, Napi::Number::New(env, refs));
}

// type(port) → [code, MACH_PORT_TYPE_* bits]
Napi::Value Type(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port = OpenPortArg(info, 0);
  mach_port_type_t type = 0;
  kern_return_t kr = mach_port_type(mach_task_self(), port.name(), &type);
  return Pair(env, kr, Napi::Number::New(env, type));
}

// setQueueLimit(receivePort, limit) → code
Napi::Value SetQueueLimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port = OpenPortOfRight(info, 0, MACH_PORT_RIGHT_RECEIVE, "setQueueLimit needs a receive right");
  mach_port_limits_t limits{};
  limits.mpl_qlimit = Uint32Arg(info, 1, "setQueueLimit: bad limit");
  return Code(env, mach_port_set_attributes(mach_task_self(), port.name(), MACH_PORT_LIMITS_INFO,
                                            reinterpret_cast<mach_port_info_t>(&limits),
                                            MACH_PORT_LIMITS_INFO_COUNT));
}

// requestNotification(port, msgid, sync, notifyPort | null) → [code, previous send-once Port | null]
Napi::Value RequestNotification(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port = OpenPortArg(info, 0);
  uint32_t msgid = Uint32Arg(info, 1, "requestNotification: bad notification id");
  uint32_t sync = Uint32Arg(info, 2, "requestNotification: bad sync value");
  mach_port_name_t notify = MACH_PORT_NULL;
  if (!info[3].IsNull()) {
    NativePort& notify_port =
        OpenPortOfRight(info, 3, MACH_PORT_RIGHT_RECEIVE, "the notification port must be a receive right");
    notify = notify_port.name();
  }
  mach_port_t previous = MACH_PORT_NULL;
  kern_return_t kr = mach_port_request_notification(mach_task_self(), port.name(), static_cast<mach_msg_id_t>(msgid),
                                                    sync, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
  if (kr != KERN_SUCCESS || previous == MACH_PORT_NULL) return Pair(env, kr, env.Null());
  return Pair(env, kr, Instance::Of(env).NewPort(previous, MACH_PORT_RIGHT_SEND_ONCE));
}

// moveMember(receivePort, portSet | null) → code
Napi::Value MoveMember(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& member = OpenPortOfRight(info, 0, MACH_PORT_RIGHT_RECEIVE, "only receive rights join port sets");
  mach_port_name_t set = MACH_PORT_NULL;
  if (!info[1].IsNull()) {
    set = OpenPortOfRight(info, 1, MACH_PORT_RIGHT_PORT_SET, "expected a PortSet").name();
  }
  return Code(env, mach_port_move_member(mach_task_self(), member.name(), set));
}

// toDescriptor(port) → [code, fd]
Napi::Value ToDescriptor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NativePort& port = OpenPortArg(info, 0);
  int fd = -1;
  kern_return_t kr = tsmig_send_right_to_fd(port.name(), &fd);
  return Pair(env, kr, Napi::Number::New(env, fd));
}

// fromDescriptor(fd) → [code, Port(send) | null]; the descriptor is consumed either way
Napi::Value FromDescriptor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, info[0].IsNumber(), "fromDescriptor: expected a descriptor number");
  int fd = info[0].As<Napi::Number>().Int32Value();
  mach_port_name_t name = MACH_PORT_NULL;
  kern_return_t kr = tsmig_fd_to_send_right(fd, &name);
  if (kr != KERN_SUCCESS) return Pair(env, kr, env.Null());
  return Pair(env, kr, Instance::Of(env).NewPort(name, MACH_PORT_RIGHT_SEND));
}

// spaceStats() → { names, receiveRights, ... } | code; caches of out-of-line memory are trimmed first
Napi::Value SpaceStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tsmig_space_stats_t stats{};
  // Pooled regions are not leaks: count only what is really held.
  tsmig_ool_trim();
  kern_return_t kr = tsmig_space_stats(&stats);
  if (kr != KERN_SUCCESS) return Code(env, kr);
  Napi::Object out = Napi::Object::New(env);
  out.Set("names", stats.names);
  out.Set("receiveRights", stats.receive_rights);
  out.Set("sendRights", stats.send_rights);
  out.Set("sendOnceRights", stats.send_once_rights);
  out.Set("portSets", stats.port_sets);
  out.Set("deadNames", stats.dead_names);
  out.Set("descriptors", stats.descriptors);
  out.Set("outOfLineBytes", static_cast<double>(stats.ool_bytes));
  out.Set("rejectedMessages", static_cast<double>(stats.rejected_datagrams));
  out.Set("sendOnceReused", static_cast<double>(stats.send_once_reused));
  return out;
}

}  // namespace

void ExportPortFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("allocate", Napi::Function::New(env, Allocate, "allocate"));
  exports.Set("adopt", Napi::Function::New(env, Adopt, "adopt"));
  exports.Set("nameOf", Napi::Function::New(env, NameOf, "nameOf"));
  exports.Set("rightOf", Napi::Function::New(env, RightOf, "rightOf"));
  exports.Set("stateOf", Napi::Function::New(env, StateOf, "stateOf"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("detach", Napi::Function::New(env, Detach, "detach"));
  exports.Set("makeSend", Napi::Function::New(env, MakeSend, "makeSend"));
  exports.Set("copySend", Napi::Function::New(env, CopySend, "copySend"));
  exports.Set("makeSendOnce", Napi::Function::New(env, MakeSendOnce, "makeSendOnce"));
  exports.Set("refs", Napi::Function::New(env, Refs, "refs"));
  exports.Set("type", Napi::Function::New(env, Type, "type"));
  exports.Set("setQueueLimit", Napi::Function::New(env, SetQueueLimit, "setQueueLimit"));
  exports.Set("requestNotification", Napi::Function::New(env, RequestNotification, "requestNotification"));
  exports.Set("moveMember", Napi::Function::New(env, MoveMember, "moveMember"));
  exports.Set("toDescriptor", Napi::Function::New(env, ToDescriptor, "toDescriptor"));
  exports.Set("fromDescriptor", Napi::Function::New(env, FromDescriptor, "fromDescriptor"));
  exports.Set("spaceStats", Napi::Function::New(env, SpaceStats, "spaceStats"));
}

}  // namespace tsmig
