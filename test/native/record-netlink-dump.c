/*
 * Records what the kernel answers to idlewatch-sockdiag's dump request, for the fixture
 * test/fixtures/linux/sockdiag-netlink-dump.hex: one line per recv()'d buffer,
 * "family seq portid hex", after '#' comment lines. Run it as root inside `unshare -n` with
 * a few sockets open:
 *
 *   cc -O2 -o /tmp/record test/native/record-netlink-dump.c && /tmp/record > dump.hex
 *
 * The request is the helper's (all TCP states, INET_DIAG_INFO). The kernel's first buffer
 * of a dump holds a page's worth of records (~11 with tcp_info), so a few dozen sockets
 * give a dump of several buffers, as a large table does. record-fixture-sockets.mjs sets
 * up the sockets of the recorded fixture.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int record(int family, uint32_t seq) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  socklen_t local_len = sizeof local;
  if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
      getsockname(fd, (struct sockaddr *)&local, &local_len) < 0) {
    perror("netlink");
    return 1;
  }
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = seq;
  msg.req.sdiag_family = (uint8_t)family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0U;
  msg.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    perror("sendto");
    return 1;
  }
  static unsigned char buf[1 << 20] __attribute__((aligned(8)));
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      perror("recv");
      return 1;
    }
    printf("%d %u %u ", family == AF_INET ? 4 : 6, seq, local.nl_pid);
    for (ssize_t i = 0; i < len; i++) printf("%02x", buf[i]);
    printf("\n");
    const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
    for (int left = (int)len; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        close(fd);
        return 0;
      }
  }
}

int main(void) {
  printf("# recv()'d buffers of a NETLINK_SOCK_DIAG TCP dump: family seq portid hex\n");
  return record(AF_INET, 1001) || record(AF_INET6, 1002);
}
