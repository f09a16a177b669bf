/* Benchmark floor: a plain C SOCK_SEQPACKET ping-pong between two processes,
   no tsmig. 32-byte messages; --fd passes one descriptor with SCM_RIGHTS each
   way (the receiver closes it; /dev/null, or with --fd-socket one end of a
   SEQPACKET socket pair, as a tsmig port right is); --bytes N makes each request carry N bytes
   through the socket (4 MiB socket buffers, in chunks), answered by 8 bytes:
   before each request the sender writes one byte per page of its buffer
   (--fill: all of it), the receiver reads one byte per page — the same work
   tsmig-pingpong --ool does around its transfer.
   --epoll waits in epoll_wait before each receive, as an event loop (and
   tsmig's emulation, which must not consume from a socket it only watches)
   does: the floor of any design that watches sockets before reading them.
   Prints one JSON line: {"roundTripUs": median per round trip over batches,
   "iterations": N}. Run it under `taskset -c 0` to pin both processes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define BATCHES 21

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void send_msg(int s, const void *buf, size_t len, int fd) {
  struct iovec iov = {(void *)buf, len};
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (fd >= 0) {
    memset(cbuf, 0, sizeof cbuf);
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  if (sendmsg(s, &m, 0) != (ssize_t)len) {
    perror("sendmsg");
    exit(1);
  }
}

static int g_epoll = -1; /* per process, when --epoll */

static ssize_t recv_msg(int s, void *buf, size_t len) {
  if (g_epoll >= 0) {
    struct epoll_event ev;
    if (epoll_wait(g_epoll, &ev, 1, -1) != 1) exit(1);
  }
  struct iovec iov = {buf, len};
  char cbuf[CMSG_SPACE(sizeof(int) * 4)];
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof cbuf;
  ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
  if (n <= 0) exit(n == 0 ? 0 : 1);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      close(fd);
    }
  }
  return n;
}

/* Sends `bytes` through the socket in chunks; the last chunk is shorter. */
static void send_bytes(int s, const char *data, size_t bytes) {
  for (size_t off = 0; off < bytes; off += CHUNK) {
    size_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
    send_msg(s, data + off, n, -1);
  }
}

static void recv_bytes(int s, char *data, size_t bytes) {
  for (size_t off = 0; off < bytes;) off += (size_t)recv_msg(s, data + off, CHUNK);
}

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 100000;
  int pass_fd = 0, use_epoll = 0, fill = 0;
  size_t bytes = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--fd") == 0) pass_fd = 1;
    if (strcmp(argv[i], "--fd-socket") == 0) pass_fd = 2;
    if (strcmp(argv[i], "--epoll") == 0) use_epoll = 1;
    if (strcmp(argv[i], "--fill") == 0) fill = 1;
    if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc) bytes = (size_t)atoll(argv[++i]);
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) return 1;
  int big = 4 << 20;
  for (int i = 0; i < 2; i++) {
    setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (pass_fd == 2) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return 1;
    close(devnull);
    devnull = pair[1]; /* the passed descriptor: a socket, like a port's sending end */
  }
  char *data = bytes ? malloc(bytes) : NULL;
  if (bytes) memset(data, 1, bytes);
  char msg[32] = {0};
  pid_t pid = fork();
  if (use_epoll) {
    struct epoll_event ev = {.events = EPOLLIN};
    g_epoll = epoll_create1(EPOLL_CLOEXEC);
    epoll_ctl(g_epoll, EPOLL_CTL_ADD, sv[pid == 0 ? 1 : 0], &ev);
  }
  if (pid == 0) {
    close(sv[0]);
    for (;;) {
      if (bytes) {
        recv_bytes(sv[1], data, bytes);
        /* Consume the data as the OOL benchmark's receiver does: one byte per page. */
        unsigned sum = 0;
        for (size_t off = 0; off < bytes; off += 4096) sum += (unsigned char)data[off];
        uint64_t ack = sum;
        send_msg(sv[1], &ack, sizeof ack, -1);
      } else {
        recv_msg(sv[1], msg, sizeof msg);
        send_msg(sv[1], msg, sizeof msg, pass_fd ? devnull : -1);
      }
    }
  }
  close(sv[1]);
  long warm = iterations / 10 + 1;
  long per = iterations / BATCHES;
  if (per < 1) per = 1;
  double batch[BATCHES];
  for (long i = 0; i < warm + per * BATCHES; i++) {
    long b = i - warm;
    static double t0;
    if (b >= 0 && b % per == 0) t0 = now_us();
    if (bytes) {
      if (fill) {
        memset(data, (int)(i & 0x7f), bytes); /* fresh content each time */
      } else {
        for (size_t off = 0; off < bytes; off += 4096) data[off] = (char)i;
      }
      send_bytes(sv[0], data, bytes);
      uint64_t ack;
      recv_msg(sv[0], &ack, sizeof ack);
    } else {
      send_msg(sv[0], msg, sizeof msg, pass_fd ? devnull : -1);
      recv_msg(sv[0], msg, sizeof msg);
    }
    if (b >= 0 && b % per == per - 1) batch[b / per] = (now_us() - t0) / per;
  }
  close(sv[0]);
  waitpid(pid, NULL, 0);
  qsort(batch, BATCHES, sizeof batch[0], cmp);
  printf("{\"roundTripUs\": %.3f, \"iterations\": %ld}\n", batch[BATCHES / 2], per * BATCHES);
  return 0;
}
