/* Benchmark floor: plain C one-way SOCK_SEQPACKET messages (32 bytes) from
   one process to another, no tsmig. Prints {"messagesPerSecond": ...}. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 1000000;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) return 1;
  char msg[32] = {0};
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    uint64_t got = 0;
    for (;;) {
      ssize_t n = recv(sv[1], msg, sizeof msg, 0);
      if (n <= 0) return 1;
      if (msg[0] == 1) break;
      got++;
    }
    send(sv[1], &got, sizeof got, 0);
    return 0;
  }
  close(sv[1]);
  double t0 = now_s();
  for (long i = 0; i < count; i++) {
    if (send(sv[0], msg, sizeof msg, 0) != (ssize_t)sizeof msg) return 1;
  }
  msg[0] = 1;
  send(sv[0], msg, sizeof msg, 0);
  uint64_t got = 0;
  if (recv(sv[0], &got, sizeof got, 0) != (ssize_t)sizeof got || got != (uint64_t)count) return 1;
  double t = now_s() - t0;
  waitpid(pid, NULL, 0);
  printf("{\"messagesPerSecond\": %.0f, \"count\": %ld}\n", count / t, count);
  return 0;
}
