// macOS backend of runtime.h: name-space statistics for leak tests, and the
// descriptor hand-over, which only the Linux emulation has (on macOS a child
// gets its ports through the bootstrap server).
#include <unistd.h>

#include <tsmig/runtime.h>

extern "C" {

kern_return_t tsmig_space_stats(tsmig_space_stats_t *out) {
  mach_port_name_array_t names = nullptr;
  mach_msg_type_number_t name_count = 0;
  mach_port_type_array_t types = nullptr;
  mach_msg_type_number_t type_count = 0;
  kern_return_t kr = mach_port_names(mach_task_self(), &names, &name_count, &types, &type_count);
  if (kr != KERN_SUCCESS) return kr;
  *out = tsmig_space_stats_t{};
  out->names = name_count;
  for (mach_msg_type_number_t i = 0; i < type_count; i++) {
    mach_port_type_t type = types[i];
    if (type & MACH_PORT_TYPE_RECEIVE) out->receive_rights++;
    if (type & MACH_PORT_TYPE_SEND) out->send_rights++;
    if (type & MACH_PORT_TYPE_SEND_ONCE) out->send_once_rights++;
    if (type & MACH_PORT_TYPE_PORT_SET) out->port_sets++;
    if (type & MACH_PORT_TYPE_DEAD_NAME) out->dead_names++;
  }
  // The kernel hands both arrays over as out-of-line memory.
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(names), name_count * sizeof(*names));
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(types), type_count * sizeof(*types));
  return KERN_SUCCESS;
}

kern_return_t tsmig_ool_trim(void) {
  // Mach keeps no out-of-line caches of its own in this process.
  return KERN_SUCCESS;
}

kern_return_t tsmig_send_right_to_fd(mach_port_name_t /*name*/, int * /*fd_out*/) {
  return KERN_NOT_SUPPORTED;
}

kern_return_t tsmig_fd_to_send_right(int fd, mach_port_name_t * /*name_out*/) {
  // The descriptor is the caller's to give away in every case.
  close(fd);
  return KERN_NOT_SUPPORTED;
}

}  // extern "C"
