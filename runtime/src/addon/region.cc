// Node addon: out-of-line regions lent to JS as external ArrayBuffers (see region.h).
#include "region.h"

#include "instance.h"

namespace tsmig {

namespace {

// What the garbage collector is told a region weighs. The true size of a large
// region that is sent back and forth would make V8 collect on every message
// (external memory pressure); a capped weight still gets dropped regions
// collected, a few dozen at a time.
int64_t Weight(vm_size_t size) {
  constexpr vm_size_t kMaxWeight = vm_size_t{1} << 20;
  return static_cast<int64_t>(size < kMaxWeight ? size : kMaxWeight);
}

void Unaccount(Napi::Env env, Region* region) {
  Napi::MemoryManagement::AdjustExternalMemory(env, -Weight(region->size));
}

void FinalizeRegion(Napi::Env env, void* /*data*/, Region* region) {
  if (region->owner != nullptr) ReleaseRegion(*region->owner, region);
  delete region;
  (void)env;
}

}  // namespace

Napi::Uint8Array WrapRegion(Instance& instance, vm_address_t address, vm_size_t size) {
  Napi::Env env = instance.env;
  if (size == 0) {
    // Nothing mapped: a zero-length descriptor carries no memory.
    return Napi::Uint8Array::New(env, 0);
  }
  auto* region = new Region{&instance, address, size};
  instance.regions.emplace(static_cast<uintptr_t>(address), region);
  // Let the garbage collector weigh mappings it cannot see.
  Napi::MemoryManagement::AdjustExternalMemory(env, Weight(size));
  Napi::ArrayBuffer buffer;
  try {
    buffer = Napi::ArrayBuffer::New(env, reinterpret_cast<void*>(address), size, FinalizeRegion, region);
  } catch (...) {
    // No buffer, no finalizer: the mapping goes now (a worker being terminated).
    ReleaseRegion(instance, region);
    delete region;
    throw;
  }
  if (buffer.IsEmpty()) {
    // The same, when the environment failed the call silently.
    ReleaseRegion(instance, region);
    delete region;
    return Napi::Uint8Array();
  }
  // From here the buffer's finalizer releases the region.
  return Napi::Uint8Array::New(env, size, buffer, 0);
}

Region* WholeRegionOf(Instance& instance, const Napi::TypedArray& view) {
  Napi::ArrayBuffer buffer = view.ArrayBuffer();
  if (view.ByteOffset() != 0 || buffer.Data() == nullptr) return nullptr;
  Region* region = instance.FindRegion(reinterpret_cast<uintptr_t>(buffer.Data()));
  if (region == nullptr || region->size != buffer.ByteLength() ||
      view.ByteLength() != buffer.ByteLength()) {
    return nullptr;
  }
  return region;
}

void ForgetRegion(Instance& instance, Region* region, const Napi::TypedArray& view) {
  instance.regions.erase(static_cast<uintptr_t>(region->address));
  Unaccount(instance.env, region);
  region->owner = nullptr;
  // JS must never touch memory that now belongs to the receiver.
  view.ArrayBuffer().Detach();
}

void ReleaseRegion(Instance& instance, Region* region) {
  instance.regions.erase(static_cast<uintptr_t>(region->address));
  Unaccount(instance.env, region);
  region->owner = nullptr;
  vm_deallocate(mach_task_self(), region->address, region->size);
}

Napi::Value AllocateOutOfLine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance& instance = Instance::Of(env);
  Require(env, info[0].IsNumber(), "allocateOutOfLine: size must be a number");
  double requested = info[0].As<Napi::Number>().DoubleValue();
  Require(env, requested >= 0 && requested <= 4294967295.0 && requested == static_cast<uint64_t>(requested),
          "allocateOutOfLine: size must be an integer from 0 to 2^32-1");
  auto size = static_cast<vm_size_t>(requested);
  if (size == 0) return Napi::Uint8Array::New(env, 0);
  vm_address_t address = 0;
  kern_return_t kr = vm_allocate(mach_task_self(), &address, size, VM_FLAGS_ANYWHERE);
  if (kr != KERN_SUCCESS) return Code(env, kr);
  return WrapRegion(instance, address, size);
}

Napi::Value ReleaseOutOfLine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance& instance = Instance::Of(env);
  Require(env, info[0].IsTypedArray(), "releaseOutOfLine: expected a Uint8Array");
  auto view = info[0].As<Napi::TypedArray>();
  Region* region = WholeRegionOf(instance, view);
  if (region == nullptr) return Code(env, KERN_INVALID_ARGUMENT);
  ReleaseRegion(instance, region);
  view.ArrayBuffer().Detach();
  return Code(env, KERN_SUCCESS);
}

Napi::Value IsOutOfLineRegion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, WholeRegionOf(Instance::Of(env), info[0].As<Napi::TypedArray>()) != nullptr);
}

}  // namespace tsmig
