// Node addon: receiving on the event loop. A Receiver watches one receive
// right or port set through the runtime's watch descriptor with uv_poll; when
// it polls readable it receives with a zero timeout until the queue is empty
// and hands each message to the TypeScript dispatcher. It watches only while
// JS wants messages (a pending receive or a listener), so an idle port costs
// nothing: no thread, no timer, no polling.
#ifndef TSMIG_ADDON_RECEIVER_H
#define TSMIG_ADDON_RECEIVER_H

#include <napi.h>
#include <uv.h>

#include <vector>

#include <tsmig/mach.h>

namespace tsmig {

class Instance;
class NativePort;

class Receiver {
 public:
  explicit Receiver(NativePort* port);

  /**
   * Watches for messages, or updates what to receive. `max_size` bounds the
   * message without its trailer (0: any size, the buffer grows);
   * `trailer_elements` is MACH_RCV_TRAILER_NULL..MACH_RCV_TRAILER_AUDIT;
   * `wanted` is how many messages JS waits for (0: as many as there are):
   * each delivered message counts it down, and the one that brings it to 0
   * stops the watch (as Stop() does) before it is dispatched, so JS need not
   * call unwatch after the last message it wanted, and a wake-up skips the
   * receive that would only find the queue empty (the descriptor stays
   * readable while messages wait). Returns a Mach code when the watch
   * descriptor cannot be had.
   */
  kern_return_t Start(mach_msg_size_t max_size, unsigned trailer_elements, uint32_t wanted);
  /**
   * Stops watching. The poll itself stays armed (unreferenced, so the
   * process may exit) until it next fires with nobody watching: a receive
   * that immediately follows a delivered message restarts the watch without
   * a system call.
   */
  void Stop();
  /** Ends the watch for good; the object deletes itself once libuv is done with it. */
  void Close();
  /** Whether a watch keeps the event loop (the process) alive. */
  void SetKeepLoopAlive(bool keep);

  /**
   * Receives one message now, without waiting: [code, bytes, ports, ool,
   * oolPorts] on success, [code, neededSize] for MACH_RCV_TOO_LARGE, [code]
   * otherwise (MACH_RCV_TIMED_OUT when the queue is empty).
   */
  Napi::Value ReceiveNow(mach_msg_size_t max_size, unsigned trailer_elements);

 private:
  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnClosed(uv_handle_t* handle);
  void Drain();
  void FinishClose();
  /** Receives one message into the instance buffer; "any size" grows the buffer and retries. */
  mach_msg_return_t ReceiveOne(mach_msg_size_t max_size, unsigned trailer_elements, mach_msg_size_t* needed);
  /** Appends the JS values of the message in the buffer (bytes, ports, ool, oolPorts) to `out`. */
  void AppendMessage(std::vector<napi_value>& out);

  Instance* instance_;
  NativePort* port_;  // null once the port let go of this watch
  uv_poll_t poll_;
  int fd_ = -1;
  bool poll_initialized_ = false;
  bool polling_ = false;   // uv_poll started
  bool watching_ = false;  // JS wants messages
  bool closing_ = false;
  bool draining_ = false;
  bool keep_loop_alive_ = true;
  mach_msg_size_t max_size_ = 0;
  unsigned trailer_elements_ = MACH_RCV_TRAILER_NULL;
  uint32_t wanted_ = 0;
  std::vector<napi_value> dispatch_args_;  // reused by every dispatch (no allocation per message)
};

/** Size of the format-0 trailer with `elements` (MACH_RCV_TRAILER_NULL..AUDIT). */
mach_msg_size_t TrailerSize(unsigned elements);

/** Registers watch, unwatch, keepAlive and receiveNow. */
void ExportReceiveFunctions(Napi::Env env, Napi::Object exports);

}  // namespace tsmig

#endif  // TSMIG_ADDON_RECEIVER_H
