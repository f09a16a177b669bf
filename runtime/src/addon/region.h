// Node addon: out-of-line memory as JS sees it. A Region is memory from
// vm_allocate (ours, or mapped for us by a receive) lent to JS as an external
// ArrayBuffer. It is released exactly once: by an explicit release, by the
// ArrayBuffer's finalizer, by the instance's shutdown, or never by us because
// a send with `deallocate` moved it to another task.
#ifndef TSMIG_ADDON_REGION_H
#define TSMIG_ADDON_REGION_H

#include <napi.h>

#include <tsmig/mach.h>

namespace tsmig {

class Instance;

struct Region {
  Instance* owner;  // null once released or moved; the finalizer then only frees this record
  vm_address_t address;
  vm_size_t size;
};

/** Wraps `size` bytes at `address` (owned by this task) in a Uint8Array that releases them when collected. */
Napi::Uint8Array WrapRegion(Instance& instance, vm_address_t address, vm_size_t size);

/** The region exactly covered by `view` (whole ArrayBuffer, offset 0), or null. */
Region* WholeRegionOf(Instance& instance, const Napi::TypedArray& view);

/** Detaches `view`'s ArrayBuffer and forgets its region without deallocating (the memory moved away). */
void ForgetRegion(Instance& instance, Region* region, const Napi::TypedArray& view);

/** Deallocates a region this instance still owns. */
void ReleaseRegion(Instance& instance, Region* region);

/** JS: allocateOutOfLine(size) → Uint8Array backed by vm_allocate, or a Mach code. */
Napi::Value AllocateOutOfLine(const Napi::CallbackInfo& info);
/** JS: releaseOutOfLine(view) → Mach code; detaches the view's buffer. */
Napi::Value ReleaseOutOfLine(const Napi::CallbackInfo& info);
/** JS: isOutOfLineRegion(view) → true when the view covers a whole region (moves with `deallocate`). */
Napi::Value IsOutOfLineRegion(const Napi::CallbackInfo& info);

}  // namespace tsmig

#endif  // TSMIG_ADDON_REGION_H
