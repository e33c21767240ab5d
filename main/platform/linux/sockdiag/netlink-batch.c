/*
 * One recv()'d buffer of a sock_diag dump → socket records. See netlink-batch.h.
 *
 * The buffer comes from the kernel, but is read like any input: no length field is trusted
 * to stay inside the bytes received, and no struct is read from a message too short to hold
 * it. Lengths left are signed, so stepping past the end stops a loop instead of wrapping.
 */
#define _GNU_SOURCE
#include "netlink-batch.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct sock_rec *sock_vec_push(struct sock_vec *s) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 4096;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
    if (!s->v) exit(4);
  }
  struct sock_rec *r = &s->v[s->n++];
  memset(r, 0, sizeof *r);
  return r;
}

__attribute__((format(printf, 2, 3))) static enum nl_batch_status fail(struct nl_batch_report *rep, const char *fmt,
                                                                       ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rep->error, sizeof rep->error, fmt, ap);
  va_end(ap);
  return NL_BATCH_ERROR;
}

/* An error number from the kernel, as text; a value no kernel sends is shown as a number. */
static const char *errno_text(int negative, char *buf, size_t len) {
  if (negative < 0 && negative > -4096) return strerror(-negative);
  snprintf(buf, len, "error %d", negative);
  return buf;
}

int nl_diag_read(const struct nlmsghdr *h, struct sock_rec *r, char *error, size_t error_len) {
  const struct inet_diag_msg *d = NLMSG_DATA(h);
  r->family = d->idiag_family;
  r->state = d->idiag_state;
  r->timer = d->idiag_timer;
  r->lport = ntohs(d->id.idiag_sport);
  r->rport = ntohs(d->id.idiag_dport);
  memcpy(r->laddr, d->id.idiag_src, sizeof r->laddr);
  memcpy(r->raddr, d->id.idiag_dst, sizeof r->raddr);
  r->uid = d->idiag_uid;
  r->inode = d->idiag_inode;
  r->expires_ms = d->idiag_expires;
  r->retrans = d->idiag_retrans;
  r->rqueue = d->idiag_rqueue;
  r->wqueue = d->idiag_wqueue;

  /* Attributes follow the aligned diag message, up to the end of this message only. */
  const unsigned char *attrs = (const unsigned char *)h + NLMSG_SPACE(sizeof *d);
  long left = (long)h->nlmsg_len - (long)NLMSG_SPACE(sizeof *d);
  while (left >= (long)sizeof(struct rtattr)) {
    const struct rtattr *a = (const struct rtattr *)attrs;
    if (a->rta_len < sizeof *a || a->rta_len > left) {
      snprintf(error, error_len, "netlink: attribute of %u bytes overruns its message (%ld bytes left)", a->rta_len, left);
      return -1;
    }
    if (a->rta_type == INET_DIAG_INFO) {
      /* Older kernels send a shorter tcp_info, newer ones a longer: copy what both know. */
      struct tcp_info ti;
      memset(&ti, 0, sizeof ti);
      size_t payload = (size_t)RTA_PAYLOAD(a);
      size_t copied = payload < sizeof ti ? payload : sizeof ti;
      memcpy(&ti, RTA_DATA(a), copied);
      r->has_info = 1;
      r->info_len = (uint16_t)copied;
      r->probes = ti.tcpi_probes;
      r->retransmits = ti.tcpi_retransmits;
      r->backoff = ti.tcpi_backoff;
      r->rto_us = ti.tcpi_rto;
      r->unacked = ti.tcpi_unacked;
      r->last_data_sent = ti.tcpi_last_data_sent;
      r->last_data_recv = ti.tcpi_last_data_recv;
      r->last_ack_recv = ti.tcpi_last_ack_recv;
      /* Linux 6.7 added, after tcpi_snd_wnd: tcpi_rcv_wnd (u32), tcpi_rehash (u32),
       * tcpi_total_rto (u16), tcpi_total_rto_recoveries (u16), tcpi_total_rto_time (u32, ms).
       * Older headers (Debian 12's stop at tcpi_snd_wnd) do not name them: read them at their
       * fixed offsets, only when the kernel's tcp_info reaches that far. */
      size_t rto_base = offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof ti.tcpi_snd_wnd;
      if (payload >= rto_base + 16) {
        const unsigned char *p = (const unsigned char *)RTA_DATA(a) + rto_base;
        memcpy(&r->rto_recoveries, p + 10, sizeof r->rto_recoveries);
        memcpy(&r->rto_time_ms, p + 12, sizeof r->rto_time_ms);
        r->has_rto_time = 1;
      }
    } else if (a->rta_type == INET_DIAG_PROTOCOL && RTA_PAYLOAD(a) >= 1) {
      r->protocol = *(const uint8_t *)RTA_DATA(a);
    }
    /* RTA_ALIGN may step past the end of the last attribute: left goes negative, never wraps. */
    long step = (long)RTA_ALIGN(a->rta_len);
    left -= step;
    if (left > 0) attrs += step;
  }
  return 0;
}

/* The inet_diag message h, of at least NLMSG_LENGTH(sizeof(struct inet_diag_msg)) bytes. */
static enum nl_batch_status read_diag(const struct nlmsghdr *h, const struct nl_batch_expect *ex,
                                      struct sock_vec *out, struct nl_batch_report *rep) {
  const struct inet_diag_msg *d = NLMSG_DATA(h);
  if (d->idiag_family != AF_INET && d->idiag_family != AF_INET6) {
    rep->unexpected++;
    return NL_BATCH_MORE;
  }
  struct sock_rec *r = sock_vec_push(out);
  rep->appended++;
  r->batch = ex->batch;
  if (nl_diag_read(h, r, rep->error, sizeof rep->error) < 0) return NL_BATCH_ERROR;
  return NL_BATCH_MORE;
}

enum nl_batch_status nl_batch_parse(const void *buf, size_t len, const struct nl_batch_expect *ex,
                                    struct sock_vec *out, struct nl_batch_report *rep) {
  memset(rep, 0, sizeof *rep);
  if ((uintptr_t)buf % NLMSG_ALIGNTO) return fail(rep, "netlink: unaligned buffer");
  if (len > (1u << 30)) return fail(rep, "netlink: buffer of %zu bytes", len);
  const unsigned char *at = buf;
  /* Signed, as NLMSG_OK expects: NLMSG_ALIGN of the last message may step past the end. */
  long remaining = (long)len;
  while (remaining >= (long)sizeof(struct nlmsghdr)) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)at;
    if (h->nlmsg_len < sizeof *h || h->nlmsg_len > remaining)
      return fail(rep, "netlink: message of %u bytes overruns the buffer (%ld bytes left)", h->nlmsg_len, remaining);
    long step = (long)NLMSG_ALIGN(h->nlmsg_len);
    remaining -= step;
    const unsigned char *next = remaining > 0 ? at + step : at;

    /* Only answers to our request count: another sequence or port is not this dump. */
    if (h->nlmsg_seq != ex->seq || h->nlmsg_pid != ex->portid) {
      rep->foreign++;
      at = next;
      continue;
    }
    if (h->nlmsg_flags & NLM_F_DUMP_INTR) rep->interrupted = 1;

    char num[32];
    switch (h->nlmsg_type) {
    case NLMSG_DONE: {
      /* netlink_dump_done puts the dump's own status here: a negative errno if it failed. */
      if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
        int status;
        memcpy(&status, NLMSG_DATA(h), sizeof status);
        if (status < 0) return fail(rep, "netlink dump: %s", errno_text(status, num, sizeof num));
      }
      return NL_BATCH_DONE;
    }
    case NLMSG_ERROR: {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
        return fail(rep, "netlink: error message of %u bytes is too short", h->nlmsg_len);
      const struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error == 0) break; /* an acknowledgement */
      rep->refused = e->error;
      return fail(rep, "netlink: %s", errno_text(e->error, num, sizeof num));
    }
    case NLMSG_NOOP:
      break;
    case NLMSG_OVERRUN:
      return fail(rep, "netlink: overrun, messages were lost");
    default: {
      if (h->nlmsg_type != (ex->type ? ex->type : SOCK_DIAG_BY_FAMILY)) {
        rep->unexpected++;
        break;
      }
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
        return fail(rep, "netlink: diag message of %u bytes is shorter than inet_diag_msg", h->nlmsg_len);
      enum nl_batch_status s = read_diag(h, ex, out, rep);
      if (s != NL_BATCH_MORE) return s;
      break;
    }
    }
    at = next;
  }
  if (remaining > 0) return fail(rep, "netlink: %ld stray bytes at the end of the buffer", remaining);
  return NL_BATCH_MORE;
}
