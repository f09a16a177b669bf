// Node addon: the send path and pending sends (see send.h for the ownership
// rules). The hot path is: copy the bytes into the instance's buffer, note
// where the rights are, patch out-of-line addresses, one mach_msg, commit.
#include "send.h"

#include <cstring>

#include "port.h"
#include "region.h"

namespace tsmig {

namespace {

// Messages beyond this are refused before any copy (the kernel's own limit is lower).
constexpr size_t kMaxMessageBytes = size_t{64} << 20;
// Resource-shortage bits a pseudo-receive may add to a send error (MACH_MSG_MASK).
constexpr mach_msg_return_t kResourceBits = 0x00003e00;
constexpr mach_msg_bits_t kRemoteBits = 0x1f;
constexpr mach_msg_bits_t kLocalBits = 0x1f00;
constexpr mach_msg_bits_t kVoucherBits = 0x1f0000;
constexpr size_t kBaseSize = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t);

bool IsMove(mach_msg_type_name_t type) {
  return type == MACH_MSG_TYPE_MOVE_RECEIVE || type == MACH_MSG_TYPE_MOVE_SEND ||
         type == MACH_MSG_TYPE_MOVE_SEND_ONCE;
}

bool IsCopyOrMake(mach_msg_type_name_t type) {
  return type == MACH_MSG_TYPE_COPY_SEND || type == MACH_MSG_TYPE_MAKE_SEND ||
         type == MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

bool IsSendDisposition(mach_msg_type_name_t type) {
  return type >= MACH_MSG_TYPE_MOVE_SEND && type <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

bool IsPortDisposition(mach_msg_type_name_t type) {
  return type >= MACH_MSG_TYPE_MOVE_RECEIVE && type <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

/** The move disposition that carries what a copy or make disposition creates. */
mach_msg_type_name_t MoveOf(mach_msg_type_name_t type) {
  return type == MACH_MSG_TYPE_MAKE_SEND_ONCE ? MACH_MSG_TYPE_MOVE_SEND_ONCE : MACH_MSG_TYPE_MOVE_SEND;
}

/** Failures after which XNU has destroyed the header rights and part of the body. */
bool Destroys(mach_msg_return_t code) {
  return code == MACH_SEND_INVALID_MEMORY || code == MACH_SEND_INVALID_RIGHT || code == MACH_SEND_INVALID_TYPE;
}

bool Compatible(mach_port_right_t right, mach_msg_type_name_t disposition) {
  switch (right) {
    case MACH_PORT_RIGHT_RECEIVE:
      return disposition == MACH_MSG_TYPE_MOVE_RECEIVE;
    case MACH_PORT_RIGHT_SEND:
      return disposition == MACH_MSG_TYPE_MOVE_SEND;
    case MACH_PORT_RIGHT_SEND_ONCE:
      return disposition == MACH_MSG_TYPE_MOVE_SEND_ONCE;
    case MACH_PORT_RIGHT_DEAD_NAME:
      return disposition == MACH_MSG_TYPE_MOVE_SEND || disposition == MACH_MSG_TYPE_MOVE_SEND_ONCE;
    default:
      return false;
  }
}

/** Releases one reference the message holds, as its (move) type says. */
void ReleaseRight(mach_port_name_t name, mach_msg_type_name_t type) {
  if (!MACH_PORT_VALID(name)) return;
  if (type == MACH_MSG_TYPE_MOVE_RECEIVE) {
    mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_RECEIVE, -1);
  } else {
    mach_port_deallocate(mach_task_self(), name);
  }
}

template <typename T>
T* At(uint8_t* data, uint32_t offset) {
  return reinterpret_cast<T*>(data + offset);
}

}  // namespace

// ---- OutgoingMessage --------------------------------------------------------

void OutgoingMessage::Prepare(Instance& instance, const uint8_t* bytes, size_t size, Napi::Value ool,
                              Napi::Value ool_ports, Napi::Value moved) {
  Napi::Env env = instance.env;
  instance_ = &instance;
  slots_.clear();
  ool_.clear();
  ool_ports_.clear();
  owns_bytes_ = false;

  Require(env, size >= sizeof(mach_msg_header_t) && size % 4 == 0 && size <= kMaxMessageBytes,
          "send: a message is a whole number of 4-byte words, from the 24-byte header up to 64 MiB");
  data_ = instance.send_buffer.Reserve(size);
  size_ = size;
  std::memcpy(data_, bytes, size);
  header()->msgh_size = static_cast<mach_msg_size_t>(size);

  mach_msg_bits_t bits = header()->msgh_bits;
  mach_msg_type_name_t remote = bits & kRemoteBits;
  mach_msg_type_name_t local = (bits & kLocalBits) >> 8;
  mach_msg_type_name_t voucher = (bits & kVoucherBits) >> 16;
  Require(env, IsSendDisposition(remote), "send: the destination needs a send or send-once disposition");
  Require(env, local == 0 || IsSendDisposition(local), "send: the reply port needs a send or send-once disposition");
  Require(env, voucher == 0 || voucher == MACH_MSG_TYPE_MOVE_SEND || voucher == MACH_MSG_TYPE_COPY_SEND,
          "send: the voucher needs a move-send or copy-send disposition");
  slots_.push_back({Slot::kRemote, 0, 0, remote, header()->msgh_remote_port, nullptr, false});
  if (local != 0) slots_.push_back({Slot::kLocal, 0, 0, local, header()->msgh_local_port, nullptr, false});
  if (voucher != 0) slots_.push_back({Slot::kVoucher, 0, 0, voucher, header()->msgh_voucher_port, nullptr, false});

  ParseDescriptors(env, ool, ool_ports);
  MatchMoved(env, moved);
}

void OutgoingMessage::ParseDescriptors(Napi::Env env, Napi::Value ool, Napi::Value ool_ports) {
  if ((header()->msgh_bits & MACH_MSGH_BITS_COMPLEX) == 0) {
    // A simple message has nothing out of line (undefined or empty arrays).
    Require(env, (ool.IsUndefined() || (ool.IsArray() && ool.As<Napi::Array>().Length() == 0)) &&
                     (ool_ports.IsUndefined() || (ool_ports.IsArray() && ool_ports.As<Napi::Array>().Length() == 0)),
            "send: out-of-line data needs a complex message with descriptors");
    return;
  }
  Require(env, ool.IsUndefined() || ool.IsArray(), "send: out-of-line data must be an array");
  Require(env, ool_ports.IsUndefined() || ool_ports.IsArray(), "send: out-of-line ports must be an array");
  uint32_t ool_count = ool.IsArray() ? ool.As<Napi::Array>().Length() : 0;
  uint32_t ool_ports_count = ool_ports.IsArray() ? ool_ports.As<Napi::Array>().Length() : 0;
  Require(env, size_ >= kBaseSize, "send: a complex message needs its descriptor count");
  mach_msg_size_t count = At<mach_msg_body_t>(data_, sizeof(mach_msg_header_t))->msgh_descriptor_count;
  Require(env, count <= (size_ - kBaseSize) / sizeof(mach_msg_port_descriptor_t),
          "send: more descriptors than the message has room for");
  uint32_t next_ool = 0;
  uint32_t next_ool_ports = 0;
  auto offset = static_cast<uint32_t>(kBaseSize);
  for (mach_msg_size_t i = 0; i < count; i++) {
    Require(env, offset + sizeof(mach_msg_port_descriptor_t) <= size_, "send: a descriptor runs past the message");
    switch (At<mach_msg_type_descriptor_t>(data_, offset)->type) {
      case MACH_MSG_PORT_DESCRIPTOR: {
        auto* d = At<mach_msg_port_descriptor_t>(data_, offset);
        Require(env, IsPortDisposition(d->disposition), "send: a port descriptor has no valid disposition");
        slots_.push_back({Slot::kPort, offset, 0, d->disposition, d->name, nullptr, false});
        offset += sizeof(*d);
        break;
      }
      case MACH_MSG_OOL_DESCRIPTOR: {
        auto* d = At<mach_msg_ool_descriptor_t>(data_, offset);
        Require(env, offset + sizeof(*d) <= size_, "send: a descriptor runs past the message");
        Require(env, next_ool < ool_count, "send: more out-of-line descriptors than out-of-line buffers");
        Napi::Value item = ool.As<Napi::Array>().Get(next_ool++);
        Require(env, item.IsTypedArray() && item.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
                "send: out-of-line data must be Uint8Arrays");
        auto view = item.As<Napi::Uint8Array>();
        Require(env, d->size == view.ByteLength(), "send: an out-of-line descriptor's size differs from its buffer");
        Require(env, d->copy == MACH_MSG_PHYSICAL_COPY || d->copy == MACH_MSG_VIRTUAL_COPY,
                "send: an out-of-line descriptor's copy option must be physical or virtual");
        // Only a whole vm region can be given away; anything else (JS memory) is copied.
        Region* region = d->deallocate ? WholeRegionOf(*instance_, view) : nullptr;
        d->deallocate = region != nullptr;
        uintptr_t address = view.ByteLength() != 0 ? reinterpret_cast<uintptr_t>(view.Data()) : 0;
        d->address = reinterpret_cast<void*>(address);
        ool_.push_back({offset, address, region, view, false});
        offset += sizeof(*d);
        break;
      }
      case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
        auto* d = At<mach_msg_ool_ports_descriptor_t>(data_, offset);
        Require(env, offset + sizeof(*d) <= size_, "send: a descriptor runs past the message");
        Require(env, next_ool_ports < ool_ports_count,
                "send: more out-of-line-ports descriptors than arrays of names");
        Napi::Value item = ool_ports.As<Napi::Array>().Get(next_ool_ports++);
        Require(env, item.IsTypedArray() && item.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array,
                "send: out-of-line ports must be Uint32Arrays of names");
        auto names = item.As<Napi::Uint32Array>();
        Require(env, d->count == names.ElementLength(), "send: an out-of-line-ports descriptor's count differs from its array");
        Require(env, IsPortDisposition(d->disposition), "send: an out-of-line-ports descriptor has no valid disposition");
        OutOfLinePorts record{offset, std::vector<mach_port_name_t>(names.Data(), names.Data() + names.ElementLength()),
                              false};
        // The kernel copies the names; JS memory must never be deallocated by it.
        d->deallocate = false;
        d->address = record.names.empty() ? nullptr : record.names.data();
        ool_ports_.push_back(std::move(record));
        for (uint32_t k = 0; k < d->count; k++) {
          slots_.push_back({Slot::kOolPorts, offset, k, d->disposition, ool_ports_.back().names[k], nullptr, false});
        }
        offset += sizeof(*d);
        break;
      }
      default:
        Require(env, false, "send: only port, out-of-line and out-of-line-ports descriptors are supported");
    }
  }
  Require(env, next_ool == ool_count, "send: more out-of-line buffers than out-of-line descriptors");
  Require(env, next_ool_ports == ool_ports_count, "send: more arrays of names than out-of-line-ports descriptors");
}

void OutgoingMessage::MatchMoved(Napi::Env env, Napi::Value moved) {
  if (moved.IsUndefined()) return;
  Require(env, moved.IsArray(), "send: moved Ports must be an array");
  auto list = moved.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    NativePort* port = PortOf(list.Get(i));
    Require(env, port != nullptr && port->open(), "send: a moved Port is closed or not a Port");
    bool found = false;
    for (Slot& slot : slots_) {
      Require(env, slot.moved != port, "send: the same Port is listed twice as moved");
      if (found || slot.moved != nullptr || !IsMove(slot.original) || !Compatible(port->right(), slot.original) ||
          slot.original_name != port->name()) {
        continue;
      }
      slot.moved = port;
      found = true;
    }
    Require(env, found, "send: a moved Port does not appear in the message with a move disposition of its right");
  }
  // A receive right leaves: its watch must end before the kernel (or the emulation) moves it.
  for (Slot& slot : slots_) {
    if (slot.moved != nullptr && slot.original == MACH_MSG_TYPE_MOVE_RECEIVE) slot.moved->CloseReceiver();
  }
}

mach_port_name_t& OutgoingMessage::NameAt(const Slot& slot) const {
  switch (slot.kind) {
    case Slot::kRemote:
      return reinterpret_cast<mach_port_name_t&>(header()->msgh_remote_port);
    case Slot::kLocal:
      return reinterpret_cast<mach_port_name_t&>(header()->msgh_local_port);
    case Slot::kVoucher:
      return header()->msgh_voucher_port;
    case Slot::kPort:
      return reinterpret_cast<mach_port_name_t&>(At<mach_msg_port_descriptor_t>(data_, slot.offset)->name);
    case Slot::kOolPorts:
    default:
      return static_cast<mach_port_name_t*>(At<mach_msg_ool_ports_descriptor_t>(data_, slot.offset)->address)[slot.entry];
  }
}

mach_msg_type_name_t OutgoingMessage::TypeAt(const Slot& slot) const {
  mach_msg_bits_t bits = header()->msgh_bits;
  switch (slot.kind) {
    case Slot::kRemote:
      return bits & kRemoteBits;
    case Slot::kLocal:
      return (bits & kLocalBits) >> 8;
    case Slot::kVoucher:
      return (bits & kVoucherBits) >> 16;
    case Slot::kPort:
      return At<mach_msg_port_descriptor_t>(data_, slot.offset)->disposition;
    case Slot::kOolPorts:
    default:
      return At<mach_msg_ool_ports_descriptor_t>(data_, slot.offset)->disposition;
  }
}

void OutgoingMessage::SetTypeAt(const Slot& slot, mach_msg_type_name_t type) {
  mach_msg_bits_t& bits = header()->msgh_bits;
  switch (slot.kind) {
    case Slot::kRemote:
      bits = (bits & ~kRemoteBits) | type;
      break;
    case Slot::kLocal:
      bits = (bits & ~kLocalBits) | (type << 8);
      break;
    case Slot::kVoucher:
      bits = (bits & ~kVoucherBits) | (type << 16);
      break;
    case Slot::kPort:
      At<mach_msg_port_descriptor_t>(data_, slot.offset)->disposition = type;
      break;
    case Slot::kOolPorts:
      At<mach_msg_ool_ports_descriptor_t>(data_, slot.offset)->disposition = type;
      break;
  }
}

mach_msg_return_t OutgoingMessage::SendOnce() {
  header()->msgh_size = static_cast<mach_msg_size_t>(size_);
  mach_msg_return_t mr = mach_msg(header(), MACH_SEND_MSG | MACH_SEND_TIMEOUT, static_cast<mach_msg_size_t>(size_), 0,
                                  MACH_PORT_NULL, 0, MACH_PORT_NULL);
  return mr & ~kResourceBits;
}

void OutgoingMessage::Commit() {
  for (Slot& slot : slots_) {
    if (slot.moved != nullptr) slot.moved->Forget();
  }
  for (OutOfLine& o : ool_) {
    if (o.region != nullptr) ForgetRegion(*instance_, o.region, Napi::Uint8Array(instance_->env, o.view));
    o.region = nullptr;
  }
}

kern_return_t OutgoingMessage::Pin(Slot& slot) {
  mach_port_name_t& name = NameAt(slot);
  mach_msg_type_name_t type = slot.original;
  kern_return_t kr = KERN_SUCCESS;
  if (MACH_PORT_VALID(name)) {
    switch (type) {
      case MACH_MSG_TYPE_COPY_SEND:
        kr = mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_SEND, 1);
        // A send right whose port died is a dead name by now, and still travels as one.
        if (kr == KERN_INVALID_RIGHT) kr = mach_port_mod_refs(mach_task_self(), name, MACH_PORT_RIGHT_DEAD_NAME, 1);
        break;
      case MACH_MSG_TYPE_MAKE_SEND:
        kr = mach_port_insert_right(mach_task_self(), name, name, MACH_MSG_TYPE_MAKE_SEND);
        break;
      default: {
        mach_port_t send_once = MACH_PORT_NULL;
        mach_msg_type_name_t got = 0;
        kr = mach_port_extract_right(mach_task_self(), name, MACH_MSG_TYPE_MAKE_SEND_ONCE, &send_once, &got);
        if (kr == KERN_SUCCESS) name = send_once;
        break;
      }
    }
    if (kr != KERN_SUCCESS) return kr;
    slot.pinned = true;
  }
  // Out-of-line ports share one disposition; it changes once all of them are pinned.
  if (slot.kind != Slot::kOolPorts) SetTypeAt(slot, MoveOf(type));
  return KERN_SUCCESS;
}

void OutgoingMessage::Unpin(Slot& slot) {
  if (slot.pinned) {
    mach_port_name_t& name = NameAt(slot);
    ReleaseRight(name, MoveOf(slot.original));
    name = slot.original_name;
    slot.pinned = false;
  }
  SetTypeAt(slot, slot.original);
}

mach_msg_return_t OutgoingMessage::AfterReturned(bool keep) {
  Napi::Env env = instance_->env;
  // What the message says now: unchanged (the emulation) or pseudo-received (XNU: move types, new names and addresses).
  std::vector<mach_msg_type_name_t> now(slots_.size());
  for (size_t i = 0; i < slots_.size(); i++) now[i] = TypeAt(slots_[i]);

  mach_msg_return_t failure = MACH_MSG_SUCCESS;
  if (keep) {
    // First everything that can fail, undone on failure: copies of JS memory, then references.
    std::vector<vm_address_t> copies(ool_.size(), 0);
    for (size_t i = 0; i < ool_.size() && failure == MACH_MSG_SUCCESS; i++) {
      auto* d = At<mach_msg_ool_descriptor_t>(data_, ool_[i].offset);
      bool returned = reinterpret_cast<uintptr_t>(d->address) != ool_[i].original;
      if (returned || ool_[i].region != nullptr || d->size == 0) continue;
      failure = vm_allocate(mach_task_self(), &copies[i], d->size, VM_FLAGS_ANYWHERE);
      if (failure == KERN_SUCCESS) std::memcpy(reinterpret_cast<void*>(copies[i]), d->address, d->size);
    }
    size_t pinned = 0;
    for (; pinned < slots_.size() && failure == MACH_MSG_SUCCESS; pinned++) {
      Slot& slot = slots_[pinned];
      if (!IsCopyOrMake(slot.original)) continue;
      if (IsCopyOrMake(now[pinned])) {
        failure = Pin(slot);
      } else {
        slot.pinned = true;  // the pseudo-receive already made the reference
      }
    }
    if (failure != MACH_MSG_SUCCESS) {
      for (size_t i = 0; i < pinned; i++) {
        if (IsCopyOrMake(now[i])) Unpin(slots_[i]);
        slots_[i].pinned = false;
      }
      for (size_t i = 0; i < ool_.size(); i++) {
        auto* d = At<mach_msg_ool_descriptor_t>(data_, ool_[i].offset);
        if (copies[i] != 0) vm_deallocate(mach_task_self(), copies[i], d->size);
      }
    } else {
      // Custody: the message owns every right and byte from here on.
      for (const OutOfLinePorts& p : ool_ports_) {
        auto* d = At<mach_msg_ool_ports_descriptor_t>(data_, p.offset);
        if (IsCopyOrMake(d->disposition)) d->disposition = MoveOf(d->disposition);
      }
      for (size_t i = 0; i < ool_.size(); i++) {
        OutOfLine& o = ool_[i];
        auto* d = At<mach_msg_ool_descriptor_t>(data_, o.offset);
        if (d->size == 0) continue;
        if (o.region != nullptr) ForgetRegion(*instance_, o.region, Napi::Uint8Array(env, o.view));
        o.region = nullptr;
        if (copies[i] != 0) d->address = reinterpret_cast<void*>(copies[i]);
        o.owned = true;
        d->deallocate = true;
        d->copy = MACH_MSG_VIRTUAL_COPY;
      }
      for (OutOfLinePorts& p : ool_ports_) {
        auto* d = At<mach_msg_ool_ports_descriptor_t>(data_, p.offset);
        p.kernel_array = d->address != nullptr && d->address != p.names.data();
        d->deallocate = p.kernel_array;
      }
      for (Slot& slot : slots_) {
        if (slot.moved != nullptr) slot.moved->Forget();
      }
      return MACH_MSG_SUCCESS;
    }
  }

  // Back to the owners. Unchanged messages need nothing; pseudo-received ones are undone.
  for (size_t i = 0; i < slots_.size(); i++) {
    Slot& slot = slots_[i];
    mach_port_name_t name = NameAt(slot);
    if (IsCopyOrMake(slot.original) && !IsCopyOrMake(now[i])) ReleaseRight(name, now[i]);
    if (slot.moved != nullptr && name != slot.moved->name()) slot.moved->Restore(name);
  }
  for (OutOfLine& o : ool_) {
    auto* d = At<mach_msg_ool_descriptor_t>(data_, o.offset);
    auto address = reinterpret_cast<uintptr_t>(d->address);
    if (address == o.original) continue;
    // The kernel took the caller's mapping and handed back a new one: the old one is gone from JS too.
    if (o.region != nullptr) ForgetRegion(*instance_, o.region, Napi::Uint8Array(env, o.view));
    o.region = nullptr;
    if (address != 0) vm_deallocate(mach_task_self(), address, d->size);
  }
  ReleaseKernelArrays();
  return failure;
}

void OutgoingMessage::ReleaseKernelArrays() {
  for (OutOfLinePorts& p : ool_ports_) {
    auto* d = At<mach_msg_ool_ports_descriptor_t>(data_, p.offset);
    if (d->address == nullptr || d->address == p.names.data()) continue;
    vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(d->address), d->count * sizeof(mach_port_name_t));
    d->address = nullptr;
  }
}

void OutgoingMessage::Abandon() {
  // Which references XNU destroyed cannot be known: forget them all rather than risk a double release.
  for (Slot& slot : slots_) {
    if (slot.moved != nullptr) slot.moved->Forget();
  }
  for (OutOfLine& o : ool_) {
    if (o.region != nullptr) ForgetRegion(*instance_, o.region, Napi::Uint8Array(instance_->env, o.view));
    o.region = nullptr;
  }
}

void OutgoingMessage::GiveBack() {
  for (Slot& slot : slots_) {
    mach_port_name_t name = NameAt(slot);
    if (slot.moved != nullptr) {
      slot.moved->Restore(name);
    } else if (slot.pinned) {
      ReleaseRight(name, TypeAt(slot));
    }
  }
  for (OutOfLine& o : ool_) {
    auto* d = At<mach_msg_ool_descriptor_t>(data_, o.offset);
    if (o.owned && d->address != nullptr) {
      vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(d->address), d->size);
    }
  }
  ReleaseKernelArrays();
}

void OutgoingMessage::Destroy() {
  for (Slot& slot : slots_) {
    if (slot.moved != nullptr || slot.pinned) ReleaseRight(NameAt(slot), TypeAt(slot));
  }
  for (OutOfLine& o : ool_) {
    auto* d = At<mach_msg_ool_descriptor_t>(data_, o.offset);
    if (o.owned && d->address != nullptr) {
      vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(d->address), d->size);
    }
  }
  ReleaseKernelArrays();
}

void OutgoingMessage::AfterRetryTimedOut() {
  // A pseudo-receive (XNU) may have handed memory back at new addresses: whatever is there now is ours to send.
  for (OutOfLine& o : ool_) {
    auto* d = At<mach_msg_ool_descriptor_t>(data_, o.offset);
    if (!o.owned) continue;
    d->deallocate = true;
    d->copy = MACH_MSG_VIRTUAL_COPY;
  }
  for (OutOfLinePorts& p : ool_ports_) {
    auto* d = At<mach_msg_ool_ports_descriptor_t>(data_, p.offset);
    p.kernel_array = d->address != nullptr && d->address != p.names.data();
    d->deallocate = p.kernel_array;
  }
}

mach_port_name_t OutgoingMessage::destination() const {
  return reinterpret_cast<mach_port_name_t&>(header()->msgh_remote_port);
}

void OutgoingMessage::TakeBytes() {
  if (owns_bytes_) return;
  uint8_t* copy = own_bytes_.Reserve(size_);
  std::memcpy(copy, data_, size_);
  data_ = copy;
  owns_bytes_ = true;
}

std::vector<NativePort*> OutgoingMessage::MovedPorts() const {
  std::vector<NativePort*> ports;
  for (const Slot& slot : slots_) {
    if (slot.moved != nullptr) ports.push_back(slot.moved);
  }
  return ports;
}

// ---- PendingSend ------------------------------------------------------------

struct PendingSend::Watch {
  uv_poll_t poll;
  int fd;
  PendingSend* owner;  // null once the pending send no longer wants it
  Instance* instance;
};

Napi::Function PendingSend::Define(Napi::Env env) {
  return DefineClass(env, "PendingSend", {});
}

PendingSend::PendingSend(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<PendingSend>(info), instance_(&Instance::Of(info.Env())) {
  Require(info.Env(), info.Length() == 1 && info[0].StrictEquals(instance_->token.Value()),
          "PendingSend objects come from send()");
}

PendingSend::~PendingSend() {
  // A pending send is referenced while it waits, so only finished ones are collected.
  instance_->pending_sends.erase(this);
}

mach_msg_return_t PendingSend::Begin(std::unique_ptr<OutgoingMessage> message, int64_t timeout_ms) {
  message_ = std::move(message);
  for (NativePort* port : message_->MovedPorts()) moved_refs_.push_back(Napi::Persistent(port->Value()));
  instance_->pending_sends.insert(this);
  waiting_ = true;
  Ref();
  if (timeout_ms >= 0) {
    timer_ = new uv_timer_t;
    uv_timer_init(instance_->loop, timer_);
    timer_->data = this;
    instance_->HandleOpened();
    uv_timer_start(timer_, OnTimeout, static_cast<uint64_t>(timeout_ms), 0);
  }
  mach_msg_return_t mr = Arm();
  if (mr != MACH_MSG_SUCCESS) Finish(mr, false);
  return mr;
}

mach_msg_return_t PendingSend::Arm() {
  int fd = -1;
  kern_return_t kr = tsmig_port_send_watch_fd(message_->destination(), &fd);
  if (kr != KERN_SUCCESS) return kr;
  auto* watch = new Watch{{}, fd, this, instance_};
  watch->poll.data = watch;
  if (uv_poll_init(instance_->loop, &watch->poll, fd) != 0) {
    tsmig_watch_close(fd);
    delete watch;
    return KERN_RESOURCE_SHORTAGE;
  }
  instance_->HandleOpened();
  uv_poll_start(&watch->poll, UV_READABLE, OnWritable);
  watch_ = watch;
  return MACH_MSG_SUCCESS;
}

void PendingSend::Disarm() {
  if (watch_ == nullptr) return;
  watch_->owner = nullptr;
  uv_poll_stop(&watch_->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&watch_->poll), [](uv_handle_t* handle) {
    auto* watch = static_cast<Watch*>(handle->data);
    tsmig_watch_close(watch->fd);
    Instance* instance = watch->instance;
    delete watch;
    instance->HandleClosed();
  });
  watch_ = nullptr;
}

void PendingSend::OnWritable(uv_poll_t* handle, int /*status*/, int /*events*/) {
  auto* watch = static_cast<Watch*>(handle->data);
  PendingSend* self = watch->owner;
  if (self == nullptr || !self->waiting_) return;
  // Readable means "try again": room in the queue, or a destination that died (the send then says so).
  tsmig_watch_ack(watch->fd);
  mach_msg_return_t mr = self->message_->SendOnce();
  if (mr == MACH_SEND_TIMED_OUT) {
    // Someone else took the room: wait on the same watch for the next chance.
    self->message_->AfterRetryTimedOut();
    return;
  }
  self->Finish(mr, true);
}

void PendingSend::OnTimeout(uv_timer_t* timer) {
  auto* self = static_cast<PendingSend*>(timer->data);
  self->Finish(MACH_SEND_TIMED_OUT, true);
}

void PendingSend::Finish(mach_msg_return_t code, bool notify) {
  if (!waiting_) return;
  waiting_ = false;
  Disarm();
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    timer_->data = instance_;
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* handle) {
      auto* instance = static_cast<Instance*>(handle->data);
      delete reinterpret_cast<uv_timer_t*>(handle);
      instance->HandleClosed();
    });
    timer_ = nullptr;
  }
  if (code == MACH_MSG_SUCCESS) {
    message_->Commit();
  } else if (instance_->shutting_down()) {
    message_->Destroy();
  } else if (Destroys(code)) {
    message_->Abandon();
  } else {
    message_->GiveBack();
  }
  message_.reset();
  moved_refs_.clear();
  instance_->pending_sends.erase(this);
  if (notify && !instance_->shutting_down()) {
    Napi::HandleScope scope(instance_->env);
    instance_->SendDone({Value(), Code(instance_->env, code)});
  }
  Unref();
}

// ---- module functions -----------------------------------------------------

namespace {

// send(bytes, ool, oolPorts, moved, timeoutMs) → code (0: sent) | PendingSend
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance& instance = Instance::Of(env);
  // One N-API call each for the bytes and the timeout: this is the per-message path.
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  Require(env, napi_get_typedarray_info(env, info[0], &type, &length, &data, nullptr, nullptr) == napi_ok &&
                   type == napi_uint8_array,
          "send: the message must be a Uint8Array");
  int64_t timeout_ms = 0;
  Require(env, napi_get_value_int64(env, info[4], &timeout_ms) == napi_ok,
          "send: timeout must be a number of milliseconds (-1: no limit)");

  OutgoingMessage& message = *instance.scratch_message;
  message.Prepare(instance, static_cast<const uint8_t*>(data), length, info[1], info[2], info[3]);
  mach_msg_return_t mr = message.SendOnce();
  if (mr == MACH_MSG_SUCCESS) {
    message.Commit();
    return Code(env, mr);
  }
  if (Destroys(mr)) {
    message.Abandon();
    return Code(env, mr);
  }
  bool wait = mr == MACH_SEND_TIMED_OUT && timeout_ms != 0;
  mach_msg_return_t failure = message.AfterReturned(wait);
  if (!wait) return Code(env, mr);
  if (failure != MACH_MSG_SUCCESS) return Code(env, failure);

  // The message outlives this call: it leaves the scratch space with its own bytes.
  auto pending_message = std::make_unique<OutgoingMessage>(std::move(message));
  message = OutgoingMessage();
  pending_message->TakeBytes();
  Napi::Object pending = instance.pending_send_class.New({instance.token.Value()});
  PendingSend* waiter = pending.IsEmpty() ? nullptr : PendingSend::Unwrap(pending);
  if (waiter == nullptr) {
    // Only an environment being torn down gets here: the message goes back to its owners.
    pending_message->GiveBack();
    return Code(env, MACH_SEND_INTERRUPTED);
  }
  mr = waiter->Begin(std::move(pending_message), timeout_ms);
  if (mr != MACH_MSG_SUCCESS) return Code(env, mr);
  return pending;
}

// cancelSend(pending, code): ends a pending send now; its rights go back to their Ports.
Napi::Value CancelSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(env, info[0].IsObject() && info[1].IsNumber(), "cancelSend: bad arguments");
  PendingSend* pending = PendingSend::Unwrap(info[0].As<Napi::Object>());
  Require(env, pending != nullptr, "cancelSend: expected a PendingSend");
  pending->Finish(info[1].As<Napi::Number>().Int32Value(), false);
  return env.Undefined();
}

}  // namespace

void ExportSendFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("cancelSend", Napi::Function::New(env, CancelSend, "cancelSend"));
}

}  // namespace tsmig
