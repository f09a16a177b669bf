// Node addon: the event-loop receive path (see receiver.h). Per message: one
// mach_msg with a zero timeout into the instance's buffer, one copy of the
// bytes into a fresh Uint8Array, one call into JS. Rights in the message
// become Port objects before any JS runs, so nothing can leak in between.
#include "receiver.h"

#include <algorithm>
#include <cstring>

#include "instance.h"
#include "port.h"
#include "region.h"

namespace tsmig {

namespace {

constexpr mach_msg_size_t kDefaultReceiveSize = 4096;

/**
 * A Port owning the received right at `slot`, or null for MACH_PORT_NULL /
 * MACH_PORT_DEAD (no reference arrives). The name leaves the buffer first:
 * from then on NewPort sees to its reference, whatever happens.
 */
template <typename Name>
napi_value ReceivedRight(Instance& instance, Name& slot, mach_msg_type_name_t type) {
  mach_port_name_t name = slot;
  slot = MACH_PORT_NULL;
  if (!MACH_PORT_VALID(name)) return instance.env.Null();
  return instance.NewReceivedPort(name, type);
}

}  // namespace

mach_msg_size_t TrailerSize(unsigned elements) {
  switch (elements) {
    case MACH_RCV_TRAILER_NULL:
      return sizeof(mach_msg_trailer_t);
    case MACH_RCV_TRAILER_SEQNO:
      return sizeof(mach_msg_seqno_trailer_t);
    case MACH_RCV_TRAILER_SENDER:
      return sizeof(mach_msg_security_trailer_t);
    default:
      return sizeof(mach_msg_audit_trailer_t);
  }
}

Receiver::Receiver(NativePort* port) : instance_(&port->instance()), port_(port) {
  poll_.data = this;
}

kern_return_t Receiver::Start(mach_msg_size_t max_size, unsigned trailer_elements, uint32_t wanted) {
  max_size_ = max_size;
  trailer_elements_ = trailer_elements;
  wanted_ = wanted;
  if (!poll_initialized_) {
    int fd = -1;
    kern_return_t kr = tsmig_port_watch_fd(port_->name(), &fd);
    if (kr != KERN_SUCCESS) return kr;
    if (uv_poll_init(instance_->loop, &poll_, fd) != 0) {
      tsmig_watch_close(fd);
      return KERN_RESOURCE_SHORTAGE;
    }
    fd_ = fd;
    poll_initialized_ = true;
    instance_->HandleOpened();
  }
  if (!polling_) {
    if (uv_poll_start(&poll_, UV_READABLE, OnReadable) != 0) return KERN_RESOURCE_SHORTAGE;
    polling_ = true;
  }
  if (!watching_) {
    watching_ = true;
    SetKeepLoopAlive(keep_loop_alive_);
    // A watched port stays alive for as long as the loop works for it, as Node's own handles do.
    port_->Pin();
  }
  return KERN_SUCCESS;
}

void Receiver::Stop() {
  if (!watching_) return;
  watching_ = false;
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  if (port_ != nullptr) port_->Unpin();
}

void Receiver::SetKeepLoopAlive(bool keep) {
  keep_loop_alive_ = keep;
  if (!watching_) return;
  auto* handle = reinterpret_cast<uv_handle_t*>(&poll_);
  if (keep) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

void Receiver::Close() {
  if (closing_) return;
  watching_ = false;
  if (polling_) {
    polling_ = false;
    uv_poll_stop(&poll_);
  }
  closing_ = true;
  port_ = nullptr;
  // Inside a drain the loop below us still uses this object; it finishes the close.
  if (!draining_) FinishClose();
}

void Receiver::FinishClose() {
  if (!poll_initialized_) {
    delete this;
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClosed);
}

void Receiver::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Receiver*>(handle->data);
  // The poll handle is gone; only now may the descriptor go.
  tsmig_watch_close(self->fd_);
  Instance* instance = self->instance_;
  delete self;
  instance->HandleClosed();
}

void Receiver::OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<Receiver*>(handle->data);
  if (self->closing_) return;
  if (!self->watching_) {
    // A message nobody asked for yet: stop polling until someone does.
    self->polling_ = false;
    uv_poll_stop(handle);
    return;
  }
  Napi::Env env = self->instance_->env;
  Napi::HandleScope scope(env);
  if (status < 0) {
    // The descriptor itself failed: report it once and stop rather than spin.
    self->Stop();
    self->instance_->Dispatch({self->port_->Value(), Code(env, KERN_FAILURE)});
    return;
  }
  self->Drain();
}

void Receiver::Drain() {
  Napi::Env env = instance_->env;
  // Clear the readiness first: a message arriving during the drain makes the descriptor ready again.
  tsmig_watch_ack(fd_);
  draining_ = true;
  std::vector<napi_value>& args = dispatch_args_;
  while (watching_ && !closing_) {
    Napi::HandleScope scope(env);
    mach_msg_size_t needed = 0;
    mach_msg_return_t mr = ReceiveOne(max_size_, trailer_elements_, &needed);
    if (mr == MACH_RCV_TIMED_OUT) break;
    // The last message JS waits for ends the watch before JS runs: JS knows it (it counts too) and
    // watches again, if it wants more, without a call to stop first.
    bool last = mr == MACH_MSG_SUCCESS && wanted_ != 0 && --wanted_ == 0;
    try {
      args.clear();
      args.push_back(port_->Value());
      args.push_back(Code(env, mr));
      if (mr == MACH_MSG_SUCCESS) {
        AppendMessage(args);
      } else if (mr == MACH_RCV_TOO_LARGE) {
        args.push_back(Napi::Number::New(env, needed));
      } else {
        // The right is gone or moved (MACH_RCV_PORT_DIED, MACH_RCV_INVALID_NAME, ...): stop watching.
        Stop();
      }
      if (last) Stop();
      if (!instance_->Dispatch(args)) {
        Stop();
        break;
      }
      // The rest (if any) keeps the descriptor readable; receiving now would only find the queue empty.
      if (last) break;
    } catch (const Napi::Error& error) {
      // Building the message failed (its rights were destroyed): an environment that can no longer run JS.
      Stop();
      napi_fatal_exception(env, error.Value());
      break;
    }
  }
  draining_ = false;
  if (closing_) FinishClose();
}

mach_msg_return_t Receiver::ReceiveOne(mach_msg_size_t max_size, unsigned trailer_elements,
                                       mach_msg_size_t* needed) {
  MessageBuffer& buffer = instance_->receive_buffer;
  mach_msg_size_t trailer_size = TrailerSize(trailer_elements);
  const mach_msg_option_t options = MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE |
                                    MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                                    MACH_RCV_TRAILER_ELEMENTS(trailer_elements);
  size_t want = max_size != 0 ? size_t{max_size} + trailer_size : size_t{kDefaultReceiveSize} + trailer_size;
  for (;;) {
    uint8_t* data = buffer.Reserve(want);
    // "Any size" uses all the room the buffer already has.
    size_t capacity = max_size != 0 ? want : buffer.capacity();
    auto* header = reinterpret_cast<mach_msg_header_t*>(data);
    mach_msg_return_t mr = mach_msg(header, options, 0, static_cast<mach_msg_size_t>(capacity), port_->name(),
                                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    if (mr != MACH_RCV_TOO_LARGE) return mr;
    // With MACH_RCV_LARGE the message stays queued and msgh_size says how large it is (trailer excluded).
    *needed = header->msgh_size;
    if (max_size != 0) return mr;
    size_t larger = size_t{*needed} + trailer_size;
    // A size that would not grow the buffer cannot be believed: report it instead of spinning.
    if (larger <= capacity) return mr;
    want = larger;
  }
}

void Receiver::AppendMessage(std::vector<napi_value>& out) {
  Instance& instance = *instance_;
  Napi::Env env = instance.env;
  uint8_t* data = instance.receive_buffer.data();
  auto* header = reinterpret_cast<mach_msg_header_t*>(data);
  mach_msg_size_t size = header->msgh_size;
  auto* trailer = reinterpret_cast<mach_msg_trailer_t*>(data + size);
  size_t total = std::min(size_t{size} + trailer->msgh_trailer_size, instance.receive_buffer.capacity());

  // If building the JS values fails (a worker being terminated), whatever is
  // not yet wrapped is destroyed: each right or region is cleared from the
  // buffer once a JS object owns it, and mach_msg_destroy takes the rest.
  try {
    Napi::ArrayBuffer bytes_buffer = Napi::ArrayBuffer::New(env, total);
    std::memcpy(bytes_buffer.Data(), data, total);
    out.push_back(Napi::Uint8Array::New(env, total, bytes_buffer, 0));

    mach_msg_type_name_t reply_type = MACH_MSGH_BITS_REMOTE(header->msgh_bits);
    bool complex = (header->msgh_bits & MACH_MSGH_BITS_COMPLEX) != 0;
    if (!complex && (reply_type == 0 || !MACH_PORT_VALID(header->msgh_remote_port))) return;

    // ports[0] is the reply right; then one entry per port descriptor, in order.
    Napi::Array ports = Napi::Array::New(env);
    ports.Set(uint32_t{0}, ReceivedRight(instance, header->msgh_remote_port, reply_type));
    if (!complex) {
      out.push_back(ports);
      return;
    }
    Napi::Array ool = Napi::Array::New(env);
    Napi::Array ool_ports = Napi::Array::New(env);
    auto* body = reinterpret_cast<mach_msg_body_t*>(data + sizeof(mach_msg_header_t));
    size_t offset = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t);
    for (mach_msg_size_t i = 0; i < body->msgh_descriptor_count; i++) {
      if (offset + sizeof(mach_msg_port_descriptor_t) > size) break;
      auto* type = reinterpret_cast<mach_msg_type_descriptor_t*>(data + offset);
      if (type->type == MACH_MSG_PORT_DESCRIPTOR) {
        auto* d = reinterpret_cast<mach_msg_port_descriptor_t*>(data + offset);
        ports.Set(ports.Length(), ReceivedRight(instance, d->name, d->disposition));
        offset += sizeof(*d);
      } else if (type->type == MACH_MSG_OOL_DESCRIPTOR) {
        auto* d = reinterpret_cast<mach_msg_ool_descriptor_t*>(data + offset);
        auto address = reinterpret_cast<vm_address_t>(d->address);
        vm_size_t size = address != 0 ? d->size : 0;
        // WrapRegion owns the mapping from here, even when it fails.
        d->address = nullptr;
        d->size = 0;
        ool.Set(ool.Length(), WrapRegion(instance, address, size));
        offset += sizeof(*d);
      } else if (type->type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
        auto* d = reinterpret_cast<mach_msg_ool_ports_descriptor_t*>(data + offset);
        auto* names = static_cast<mach_port_name_t*>(d->address);
        mach_msg_size_t count = names != nullptr ? d->count : 0;
        Napi::Uint32Array name_array = Napi::Uint32Array::New(env, count);
        Napi::Array objects = Napi::Array::New(env, count);
        for (mach_msg_size_t k = 0; k < count; k++) {
          name_array[k] = names[k];
          objects.Set(k, ReceivedRight(instance, names[k], d->disposition));
        }
        // The names now live in JS objects; the kernel's array of them goes.
        if (names != nullptr) {
          vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(names), count * sizeof(mach_port_name_t));
        }
        d->address = nullptr;
        d->count = 0;
        Napi::Array pair = Napi::Array::New(env, 2);
        pair.Set(uint32_t{0}, name_array);
        pair.Set(uint32_t{1}, objects);
        ool_ports.Set(ool_ports.Length(), pair);
        offset += sizeof(*d);
      } else {
        // Guarded and volatile descriptors are never requested by this runtime.
        break;
      }
    }
    out.push_back(ports);
    out.push_back(ool);
    out.push_back(ool_ports);
  } catch (...) {
    mach_msg_destroy(header);
    throw;
  }
}

Napi::Value Receiver::ReceiveNow(mach_msg_size_t max_size, unsigned trailer_elements) {
  Napi::Env env = instance_->env;
  std::vector<napi_value> values;
  mach_msg_size_t needed = 0;
  mach_msg_return_t mr = ReceiveOne(max_size, trailer_elements, &needed);
  values.push_back(Code(env, mr));
  if (mr == MACH_MSG_SUCCESS) {
    AppendMessage(values);
  } else if (mr == MACH_RCV_TOO_LARGE) {
    values.push_back(Napi::Number::New(env, needed));
  }
  Napi::Array result = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); i++) result.Set(i, values[i]);
  return result;
}

// ---- module functions -----------------------------------------------------

namespace {

NativePort& ReceivingPortArg(const Napi::CallbackInfo& info) {
  NativePort& port = OpenPortArg(info, 0);
  Require(info.Env(), port.right() == MACH_PORT_RIGHT_RECEIVE || port.right() == MACH_PORT_RIGHT_PORT_SET,
          "only receive rights and port sets receive messages");
  return port;
}

void ReceiveOptionArgs(const Napi::CallbackInfo& info, mach_msg_size_t* max_size, unsigned* trailer) {
  Napi::Env env = info.Env();
  Require(env, info[1].IsNumber() && info[2].IsNumber(), "receive: bad options");
  double size = info[1].As<Napi::Number>().DoubleValue();
  double elements = info[2].As<Napi::Number>().DoubleValue();
  Require(env, size >= 0 && size <= 0x7fffffff && size == static_cast<mach_msg_size_t>(size),
          "receive: maxSize must be an integer below 2^31");
  Require(env, elements >= MACH_RCV_TRAILER_NULL && elements <= MACH_RCV_TRAILER_AUDIT &&
                   elements == static_cast<unsigned>(elements),
          "receive: trailer must be MACH_RCV_TRAILER_NULL..MACH_RCV_TRAILER_AUDIT");
  *max_size = static_cast<mach_msg_size_t>(size);
  *trailer = static_cast<unsigned>(elements);
}

// watch(port, maxSize, trailerElements, wanted) → code
Napi::Value Watch(const Napi::CallbackInfo& info) {
  NativePort& port = ReceivingPortArg(info);
  mach_msg_size_t max_size = 0;
  unsigned trailer = 0;
  ReceiveOptionArgs(info, &max_size, &trailer);
  Require(info.Env(), info[3].IsNumber(), "watch: wanted must be a number (0: no limit)");
  return Code(info.Env(), port.receiver().Start(max_size, trailer, info[3].As<Napi::Number>().Uint32Value()));
}

// unwatch(port)
Napi::Value Unwatch(const Napi::CallbackInfo& info) {
  NativePort* port = PortOf(info[0]);
  Require(info.Env(), port != nullptr, "expected a Port");
  if (Receiver* receiver = port->receiver_if_any()) receiver->Stop();
  return info.Env().Undefined();
}

// keepAlive(port, boolean)
Napi::Value KeepAlive(const Napi::CallbackInfo& info) {
  NativePort& port = ReceivingPortArg(info);
  Require(info.Env(), info[1].IsBoolean(), "keepAlive: expected a boolean");
  port.receiver().SetKeepLoopAlive(info[1].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// receiveNow(port, maxSize, trailerElements) → [code, ...]
Napi::Value ReceiveNow(const Napi::CallbackInfo& info) {
  NativePort& port = ReceivingPortArg(info);
  mach_msg_size_t max_size = 0;
  unsigned trailer = 0;
  ReceiveOptionArgs(info, &max_size, &trailer);
  return port.receiver().ReceiveNow(max_size, trailer);
}

}  // namespace

void ExportReceiveFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("watch", Napi::Function::New(env, Watch, "watch"));
  exports.Set("unwatch", Napi::Function::New(env, Unwatch, "unwatch"));
  exports.Set("keepAlive", Napi::Function::New(env, KeepAlive, "keepAlive"));
  exports.Set("receiveNow", Napi::Function::New(env, ReceiveNow, "receiveNow"));
}

}  // namespace tsmig
