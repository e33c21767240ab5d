/*
 * Records what the kernel announces on the TCP destroy groups, for the fixture
 * test/fixtures/linux/sockdiag-events-netlink.hex: one line per recv()'d buffer, in hex, after
 * '#' comment lines. It joins the groups as idlewatch-sockdiag --events does and stops after
 * COUNT buffers (default 16). Run it inside `unshare -n` while sockets end:
 *
 *   cc -O2 -o /tmp/record-events test/native/record-netlink-events.c && /tmp/record-events 12 > events.hex
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 16;
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  struct sockaddr_nl local = {
      .nl_family = AF_NETLINK,
      .nl_groups = (1u << (SKNLGRP_INET_TCP_DESTROY - 1)) | (1u << (SKNLGRP_INET6_TCP_DESTROY - 1)),
  };
  if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    perror("netlink");
    return 1;
  }
  printf("# TCP destroy announcements (SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY), one recv()'d buffer per line\n");
  fflush(stdout);
  static unsigned char buf[1 << 16] __attribute__((aligned(8)));
  for (int n = 0; n < count;) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      perror("recv");
      return 1;
    }
    for (ssize_t i = 0; i < len; i++) printf("%02x", buf[i]);
    printf("\n");
    fflush(stdout);
    n++;
  }
  return 0;
}
