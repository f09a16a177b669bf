/*
 * C declarations for the compile tests, written by hand from Apple's LP64
 * definitions (mach/message.h, mach/ndr.h): the Mach structures messages
 * are made of, and the C names of common.defs. Nothing here is generated.
 */
#include <stddef.h>
#include <stdint.h>

typedef unsigned int mach_port_t;
typedef unsigned int mach_port_name_t;
typedef unsigned int natural_t;
typedef int integer_t;
typedef int kern_return_t;
typedef unsigned int boolean_t;
typedef natural_t mach_msg_type_number_t;
typedef natural_t mach_port_seqno_t;
typedef uint64_t vm_offset_t;
typedef uint64_t mach_vm_address_t;
typedef uint32_t security_token_t[2];
typedef uint32_t audit_token_t[8];

#pragma pack(push, 4)
typedef struct {
  unsigned int msgh_bits;
  unsigned int msgh_size;
  mach_port_t msgh_remote_port;
  mach_port_t msgh_local_port;
  mach_port_name_t msgh_voucher_port;
  int msgh_id;
} mach_msg_header_t;

typedef struct {
  unsigned int msgh_descriptor_count;
} mach_msg_body_t;

typedef struct {
  unsigned char mig_vers, if_vers, reserved1, mig_encoding, int_rep, char_rep, float_rep, reserved2;
} NDR_record_t;

typedef struct {
  mach_port_t name;
  unsigned int pad1;
  unsigned int pad2 : 16;
  unsigned int disposition : 8;
  unsigned int type : 8;
} mach_msg_port_descriptor_t;

typedef struct {
  void *address;
  unsigned int deallocate : 8;
  unsigned int copy : 8;
  unsigned int pad1 : 8;
  unsigned int type : 8;
  unsigned int size;
} mach_msg_ool_descriptor_t;

typedef struct {
  void *address;
  unsigned int deallocate : 8;
  unsigned int copy : 8;
  unsigned int disposition : 8;
  unsigned int type : 8;
  unsigned int count;
} mach_msg_ool_ports_descriptor_t;
#pragma pack(pop)
