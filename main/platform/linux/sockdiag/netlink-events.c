/*
 * One recv()'d buffer of TCP destroy announcements → socket records. See netlink-events.h.
 *
 * Read like any input, as nl_batch_parse reads a dump: no length is trusted to stay inside the
 * bytes received, and lengths left are signed so that stepping past the end stops the loop.
 */
#define _GNU_SOURCE
#include "netlink-events.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

__attribute__((format(printf, 2, 3))) static void note(struct nl_events_report *rep, const char *fmt, ...) {
  if (rep->error[0]) return; /* the first says the most; the counts say how many */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rep->error, sizeof rep->error, fmt, ap);
  va_end(ap);
}

static void read_announcement(const struct nlmsghdr *h, struct sock_vec *out, struct nl_events_report *rep) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
    rep->malformed++;
    note(rep, "netlink: announcement of %u bytes is shorter than inet_diag_msg", h->nlmsg_len);
    return;
  }
  const struct inet_diag_msg *d = NLMSG_DATA(h);
  if (d->idiag_family != AF_INET && d->idiag_family != AF_INET6) {
    rep->unexpected++;
    return;
  }
  struct sock_rec *r = sock_vec_push(out);
  char why[sizeof rep->error];
  if (nl_diag_read(h, r, why, sizeof why) < 0) {
    /* Half a socket is no announcement: drop it rather than report made-up zeros. */
    out->n--;
    rep->malformed++;
    note(rep, "%s", why);
    return;
  }
  /* Only the TCP groups are joined; should another protocol's socket arrive, it is not ours. */
  if (r->protocol && r->protocol != IPPROTO_TCP) {
    out->n--;
    rep->unexpected++;
    return;
  }
  rep->appended++;
}

int nl_events_parse(const void *buf, size_t len, struct sock_vec *out, struct nl_events_report *rep) {
  memset(rep, 0, sizeof *rep);
  if ((uintptr_t)buf % NLMSG_ALIGNTO) {
    note(rep, "netlink: unaligned buffer");
    return -1;
  }
  if (len > (1u << 30)) {
    note(rep, "netlink: buffer of %zu bytes", len);
    return -1;
  }
  const unsigned char *at = buf;
  long remaining = (long)len;
  while (remaining >= (long)sizeof(struct nlmsghdr)) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)at;
    if (h->nlmsg_len < sizeof *h || h->nlmsg_len > remaining) {
      note(rep, "netlink: message of %u bytes overruns the buffer (%ld bytes left)", h->nlmsg_len, remaining);
      return -1;
    }
    long step = (long)NLMSG_ALIGN(h->nlmsg_len);
    remaining -= step;
    const unsigned char *next = remaining > 0 ? at + step : at;

    /* The kernel sends as port id 0; anything else was sent by a process to our port id. */
    if (h->nlmsg_pid != 0) {
      rep->foreign++;
    } else if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      read_announcement(h, out, rep);
    } else if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
      const struct nlmsgerr *e = NLMSG_DATA(h);
      rep->unexpected++;
      if (e->error < 0 && e->error > -4096) note(rep, "netlink: %s", strerror(-e->error));
    } else if (h->nlmsg_type != NLMSG_NOOP) {
      rep->unexpected++;
    }
    at = next;
  }
  if (remaining > 0) {
    note(rep, "netlink: %ld stray bytes at the end of the buffer", remaining);
    return -1;
  }
  return 0;
}
