/*
 * Parsing of one buffer of a NETLINK_SOCK_DIAG dump (what one recv returns), apart from the
 * socket calls so that it can be tested and fuzzed on recorded and hostile bytes
 * (test/native/). Nothing here reads a clock, a file or the network.
 */
#ifndef IDLEWATCH_NETLINK_BATCH_H
#define IDLEWATCH_NETLINK_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* One socket as inet_diag and tcp_info report it. */
struct sock_rec {
  uint8_t family, state, timer, has_info;
  uint16_t lport, rport;
  uint32_t laddr[4], raddr[4];
  uint32_t uid, expires_ms, retrans, rqueue, wqueue;
  uint64_t inode;
  uint8_t probes, retransmits, backoff;
  uint32_t rto_us, unacked, last_data_sent, last_data_recv, last_ack_recv;
  uint16_t info_len; /* bytes of tcp_info the kernel sent (as far as struct tcp_info here reaches) */
  /* tcpi_total_rto_recoveries and tcpi_total_rto_time (Linux 6.7+), past older headers' struct tcp_info */
  uint8_t has_rto_time;
  uint16_t rto_recoveries;
  uint32_t rto_time_ms;
  uint8_t protocol;  /* INET_DIAG_PROTOCOL when the message carried it (destroy announcements do), else 0 */
  uint32_t batch; /* which netlink fill it came from (see struct fill in sockdiag.c) */
};

struct sock_vec {
  struct sock_rec *v;
  size_t n, cap;
};

/* Appends a zeroed record; exits with status 4 when memory runs out. */
struct sock_rec *sock_vec_push(struct sock_vec *s);

enum nl_batch_status {
  NL_BATCH_MORE,  /* every message was read; the dump goes on in the next buffer */
  NL_BATCH_DONE,  /* NLMSG_DONE: the dump is complete (what follows it is ignored) */
  NL_BATCH_ERROR, /* the kernel reported an error, or the buffer is malformed: see report.error */
};

/* What a message must carry to belong to our request. */
struct nl_batch_expect {
  uint32_t seq;    /* the nlmsg_seq we sent */
  uint32_t portid; /* our socket's port id: the kernel addresses its answers to it */
  uint32_t batch;  /* stored in every record appended */
  /*
   * The nlmsg_type of the socket records: the request's own (inet_sk_diag_fill copies it).
   * 0 stands for SOCK_DIAG_BY_FAMILY; TCPDIAG_GETSOCK for the compat request (sockdiag.c).
   */
  uint16_t type;
};

struct nl_batch_report {
  unsigned appended;   /* records added */
  unsigned foreign;    /* messages of another sequence number or port id, skipped */
  unsigned unexpected; /* messages of another type (or a diag message of another family), skipped */
  int interrupted;     /* a message carried NLM_F_DUMP_INTR: the table changed under the dump */
  int refused;         /* with NL_BATCH_ERROR: it was the kernel's NLMSG_ERROR (this errno, negative) */
  char error[160];     /* why, with NL_BATCH_ERROR; records appended before the error are kept */
};

/*
 * Fills r from one inet_diag message h of nlmsg_len bytes, at least
 * NLMSG_LENGTH(sizeof(struct inet_diag_msg)), and its attributes (shared by the dump and the
 * destroy announcements, netlink-events.h). 0; or -1 with the reason in error when an attribute
 * runs past the message, r keeping what was read before it.
 */
struct nlmsghdr;
int nl_diag_read(const struct nlmsghdr *h, struct sock_rec *r, char *error, size_t error_len);

/*
 * Reads the messages in buf[0, len) and appends one record per inet_diag message to out.
 * buf must be aligned to NLMSG_ALIGNTO (4), as a recv buffer is. Every length in the buffer
 * is checked against the bytes actually there before anything behind it is read.
 */
enum nl_batch_status nl_batch_parse(const void *buf, size_t len, const struct nl_batch_expect *expect,
                                    struct sock_vec *out, struct nl_batch_report *report);

#endif
