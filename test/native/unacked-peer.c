/*
 * One end of a TCP connection on 127.0.0.1 whose options Node cannot set, for the real-kernel
 * tests of the projected drop of unacknowledged data (test/integration/unacked-drop-projection.test.ts).
 *
 * Client:  unacked-peer --port P [--user-timeout-ms N] [--keepalive IDLE,INTVL,CNT]
 *   connects to 127.0.0.1:P, applies the options (TCP_USER_TIMEOUT; TCP_KEEPIDLE, TCP_KEEPINTVL,
 *   TCP_KEEPCNT, then SO_KEEPALIVE) and prints "connected LOCALPORT". Then it reads commands on
 *   stdin, one a line:
 *     write N   writes up to N bytes without blocking, as many as the kernel takes;
 *               prints "wrote K EPOCHMS" (EPOCHMS: CLOCK_REALTIME just before the first write).
 *   When the socket fails it prints "error NAME EPOCHMS" (NAME: the SO_ERROR errno's name, e.g.
 *   ETIMEDOUT; EPOCHMS: CLOCK_REALTIME the moment poll() reported it) and exits 0; "closed EPOCHMS"
 *   when it hangs up without an error. On end of stdin it closes the socket and exits 0.
 *
 * Server:  unacked-peer --server-rcvbuf BYTES
 *   listens on 127.0.0.1 (an ephemeral port) with SO_RCVBUF = BYTES (set before listen, so the
 *   window the connection announces is small), prints "listening PORT", accepts one connection,
 *   prints "accepted PEERPORT" and never reads from it: what the peer sends fills the window and
 *   the peer probes a zero window. On end of stdin it closes everything and exits 0.
 *
 * Every line is flushed as it is printed. Exit 2: bad usage; 1: a system call failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what) {
  fprintf(stderr, "unacked-peer: %s: %s\n", what, strerror(errno));
  return 1;
}

static long long epoch_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *errno_name(int e) {
  switch (e) {
  case ETIMEDOUT: return "ETIMEDOUT";
  case ECONNRESET: return "ECONNRESET";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EPIPE: return "EPIPE";
  case EHOSTUNREACH: return "EHOSTUNREACH";
  case ENETUNREACH: return "ENETUNREACH";
  case ECONNABORTED: return "ECONNABORTED";
  default: return NULL;
  }
}

/** A non-negative decimal that fits an int, or -1. */
static int parse_count(const char *s) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > 0x7fffffff) return -1;
  return (int)v;
}

static int usage(void) {
  fprintf(stderr, "usage: unacked-peer --port P [--user-timeout-ms N] [--keepalive IDLE,INTVL,CNT]\n"
                  "       unacked-peer --server-rcvbuf BYTES\n");
  return 2;
}

/** Reads one line from fd 0 into buf (without the newline). 1: a line; 0: end of input; -1: error. */
static int read_line(char *buf, size_t size) {
  size_t n = 0;
  for (;;) {
    char c;
    ssize_t r = read(0, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return n > 0 ? (buf[n] = '\0', 1) : 0;
    if (c == '\n') {
      buf[n] = '\0';
      return 1;
    }
    if (n + 1 < size) buf[n++] = c;
  }
}

static int do_write(int sock, long long want) {
  static char chunk[65536];
  long long wrote = 0, at = epoch_ms();
  while (wrote < want) {
    size_t n = want - wrote < (long long)sizeof chunk ? (size_t)(want - wrote) : sizeof chunk;
    ssize_t w = send(sock, chunk, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (w < 0) return fail("send");
    wrote += w;
  }
  printf("wrote %lld %lld\n", wrote, at);
  fflush(stdout);
  return 0;
}

static int client(int port, int user_timeout_ms, const int keepalive[3]) {
  int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return fail("socket");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = 1;
  while (connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
    if (errno != EINTR) {
      fail("connect");
      goto out;
    }
  }
  if (user_timeout_ms >= 0 && setsockopt(sock, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms) != 0) {
    fail("TCP_USER_TIMEOUT");
    goto out;
  }
  if (keepalive[0] > 0) {
    int on = 1;
    if (setsockopt(sock, IPPROTO_TCP, TCP_KEEPIDLE, &keepalive[0], sizeof keepalive[0]) != 0 ||
        setsockopt(sock, IPPROTO_TCP, TCP_KEEPINTVL, &keepalive[1], sizeof keepalive[1]) != 0 ||
        setsockopt(sock, IPPROTO_TCP, TCP_KEEPCNT, &keepalive[2], sizeof keepalive[2]) != 0 ||
        setsockopt(sock, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) {
      fail("keepalive options");
      goto out;
    }
  }
  struct sockaddr_in local;
  socklen_t len = sizeof local;
  if (getsockname(sock, (struct sockaddr *)&local, &len) != 0) {
    fail("getsockname");
    goto out;
  }
  printf("connected %d\n", ntohs(local.sin_port));
  fflush(stdout);

  for (;;) {
    /* events 0 on the socket: poll reports POLLERR and POLLHUP whatever is asked. */
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = sock, .events = 0}};
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fail("poll");
      goto out;
    }
    if (fds[1].revents & (POLLERR | POLLHUP)) {
      long long at = epoch_ms();
      int err = 0;
      socklen_t elen = sizeof err;
      if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
        fail("SO_ERROR");
        goto out;
      }
      const char *name = errno_name(err);
      if (err == 0) printf("closed %lld\n", at);
      else if (name) printf("error %s %lld\n", name, at);
      else printf("error E%d %lld\n", err, at);
      fflush(stdout);
      rc = 0;
      goto out;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char line[128];
      int got = read_line(line, sizeof line);
      if (got < 0) {
        fail("read stdin");
        goto out;
      }
      if (got == 0) {
        rc = 0;
        goto out;
      }
      long long want;
      char extra;
      if (sscanf(line, "write %lld %c", &want, &extra) == 1 && want >= 0) {
        if (do_write(sock, want) != 0) goto out;
      } else {
        fprintf(stderr, "unacked-peer: unknown command: %s\n", line);
      }
    }
  }
out:
  close(sock);
  return rc;
}

static int server(int rcvbuf) {
  int rc = 1, conn = -1;
  int lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lsock < 0) return fail("socket");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (setsockopt(lsock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
    fail("SO_RCVBUF");
    goto out;
  }
  if (bind(lsock, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lsock, 1) != 0 ||
      getsockname(lsock, (struct sockaddr *)&addr, &len) != 0) {
    fail("bind/listen");
    goto out;
  }
  printf("listening %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  while ((conn = accept4(lsock, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC)) < 0) {
    if (errno != EINTR) {
      fail("accept");
      goto out;
    }
  }
  printf("accepted %d\n", ntohs(peer.sin_port));
  fflush(stdout);
  /* Never read the connection: wait for the end of stdin. */
  char buf[256];
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
  }
  rc = 0;
out:
  if (conn >= 0) close(conn);
  close(lsock);
  return rc;
}

int main(int argc, char **argv) {
  int port = -1, user_timeout_ms = -1, rcvbuf = -1;
  int keepalive[3] = {0, 0, 0};
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc) return usage();
    const char *v = argv[++i];
    if (strcmp(argv[i - 1], "--port") == 0) {
      port = parse_count(v);
      if (port < 1 || port > 65535) return usage();
    } else if (strcmp(argv[i - 1], "--user-timeout-ms") == 0) {
      if ((user_timeout_ms = parse_count(v)) < 0) return usage();
    } else if (strcmp(argv[i - 1], "--server-rcvbuf") == 0) {
      if ((rcvbuf = parse_count(v)) < 1) return usage();
    } else if (strcmp(argv[i - 1], "--keepalive") == 0) {
      char extra;
      if (sscanf(v, "%d,%d,%d%c", &keepalive[0], &keepalive[1], &keepalive[2], &extra) != 3 || keepalive[0] < 1 ||
          keepalive[1] < 1 || keepalive[2] < 1)
        return usage();
    } else {
      return usage();
    }
  }
  if (rcvbuf > 0) return port < 0 && user_timeout_ms < 0 && keepalive[0] == 0 ? server(rcvbuf) : usage();
  if (port < 0) return usage();
  return client(port, user_timeout_ms, keepalive);
}
