/*
 * Parsing of what one recv() returns on a NETLINK_SOCK_DIAG socket subscribed to the TCP
 * destroy groups (SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY), apart from the socket
 * calls so that it can be tested and fuzzed on recorded and hostile bytes (test/native/).
 * Nothing here reads a clock, a file or the network.
 *
 * The kernel announces a socket from sock_diag_broadcast_destroy_work (net/core/sock_diag.c):
 * one SOCK_DIAG_BY_FAMILY message per socket, filled by inet_diag_handler_get_info with
 * inet_diag_msg_common_fill (addresses, ports, cookie), the state, rqueue/wqueue and two
 * attributes, INET_DIAG_PROTOCOL and INET_DIAG_INFO (tcp_info). Timer, uid and inode are zero:
 * the socket no longer has a file or timers by then.
 */
#ifndef IDLEWATCH_NETLINK_EVENTS_H
#define IDLEWATCH_NETLINK_EVENTS_H

#include <stddef.h>

#include "netlink-batch.h"

struct nl_events_report {
  unsigned appended;   /* records added */
  unsigned foreign;    /* messages not from the kernel (nlmsg_pid != 0), skipped */
  unsigned unexpected; /* messages of another type, family or protocol, skipped */
  unsigned malformed;  /* messages too short for inet_diag_msg, or with an attribute past their end, skipped */
  char error[160];     /* the first thing wrong (a malformed message, an NLMSG_ERROR, broken framing); "" if none */
};

/*
 * Appends one record per announced TCP socket in buf[0, len) to out. A malformed message is
 * skipped and counted: the messages around it are still good. 0 when the whole buffer was
 * read; -1 when its framing is broken (a nlmsg_len past the end), records before that kept.
 * buf must be aligned to NLMSG_ALIGNTO (4), as a recv buffer is.
 */
int nl_events_parse(const void *buf, size_t len, struct sock_vec *out, struct nl_events_report *report);

#endif
