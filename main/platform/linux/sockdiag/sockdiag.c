/*
 * idlewatch-sockdiag — reads the kernel's TCP socket table for Idlewatch.
 *
 * Why a native helper: the only exact, fast source of both the armed timer
 * (inet_diag idiag_expires, jiffies → ms) and tcp_info idle times
 * (tcpi_last_data_recv / tcpi_last_ack_recv) is NETLINK_SOCK_DIAG, which Node
 * cannot open. `ss -tanoi` has the data but formats timers lossily and costs
 * more than a second to spawn and parse at 100k sockets (../../../../README.md,
 * test/bench/snapshot).
 *
 * It is long-lived: the parent writes a command line on stdin, the helper
 * answers with a block of tab-separated text lines ending in a line ".".
 * Commands are answered in order, so the parent may write the next one before
 * an answer has ended: it reads the rest of that answer while the helper dumps.
 * Keeping it alive lets the inode → pid map survive between polls, so a poll
 * only rescans /proc when a socket appears whose owner it has not seen.
 *
 * Commands (one line each; words separated by one space):
 *   snapshot [TICK_NS [NS]]  socket table + owners + per-socket keepalive options; with the
 *                            kernel's tick length, a small dump is redone if it straddled a tick
 *                            (TICK_NS 0: no tick known)
 *   sysctls [NS]             the namespace's keepalive sysctls, one record:
 *                            K  tcp_keepalive_time tcp_keepalive_intvl tcp_keepalive_probes tcp_retries2
 *   quit                     exit
 * With --once [TICK_NS [NS]] it answers one "snapshot" and exits (handy by hand). A command it
 * cannot run is answered with E lines alone (no H, no K), then ".".
 *
 * NS names another network namespace (issue 9) and is two words and its inode:
 *   pid PID INODE    the namespace of process PID (/proc/PID/ns/net)
 *   name NAME INODE  an `ip netns` namespace (/run/netns/NAME; NAME [A-Za-z0-9_.-]{1,64}, not . or ..)
 * Without it, the helper's own namespace is read. The file is opened (O_RDONLY | O_CLOEXEC) and
 * checked at every command: an nsfs file of a network namespace whose inode is INODE, else the
 * command is refused (a reused pid, a rebound name). The first time, the main thread enters it
 * (setns), opens a sock_diag socket and the four sysctl files there and comes back to the
 * helper's own namespace (held open from the start): a socket dumps, and an open sysctl file
 * reads, the namespace it was opened in. Those stay cached by inode, and are let go after a
 * failed dump or read, when the entry no longer leads to the namespace, or after a minute
 * unasked (they keep the namespace alive). The H record is the same for every namespace; the
 * owner scan of /proc and the per-socket options (pidfd_getfd) reach every namespace's sockets,
 * socket inodes being unique system-wide.
 *
 * With --events [NS] it reports every TCP socket of its own network namespace (or of NS, which it
 * enters for good before subscribing: the subscription belongs to the namespace the socket is
 * created in; exit status 7 if NS is refused) as the kernel destroys it, instead of answering
 * commands: it joins the sock_diag multicast groups
 * SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY (what `ss --events` shows) and prints
 * one line per socket, flushed after each read, until stdin closes or it is killed. Any user may
 * join: diag_net_init creates the kernel side with NL_CFG_F_NONROOT_RECV and sock_diag_bind
 * checks no capability (only SOCK_DESTROY needs CAP_NET_ADMIN); root gets a larger buffer.
 *   H  idlewatch-sockdiag-events/1 realtime_ns   once, when the subscription is live
 *   D  realtime_ns family state laddr lport raddr rport probes retransmits backoff unacked
 *      rto_us last_data_sent_ms last_data_recv_ms last_ack_recv_ms rqueue wqueue
 *   E  message                                   a non-fatal error, escaped like comm
 * realtime_ns is CLOCK_REALTIME when the announcement was read. The rest is what
 * inet_diag_handler_get_info filled as __sk_free let the socket go: state (CLOSE for every
 * socket tcp_done finished, including one that went to TIME_WAIT: the timewait sock that
 * follows is never announced), the tcp_info counters, and idiag_rqueue / idiag_wqueue
 * (rcv_nxt - copied_seq, write_seq - snd_una: bytes never read, bytes never acknowledged;
 * wqueue > 0 means the end was not an orderly close, as everything we sent, our FIN included,
 * was not acknowledged). A socket that never had a peer, or that its owner aborted
 * (SO_LINGER 0: tcp_disconnect clears the remote port and the counters), shows rport 0.
 * If the subscription is refused (a security module, a kernel without these groups), it prints
 * an E line saying why and exits with status 5. An E line saying ENOBUFS means announcements
 * were lost: the kernel found the socket buffer full and dropped them (sock_diag multicasts
 * do not wait); the sockets they were about still ended, and show as gone at the next poll.
 *
 * Output records of a snapshot (first field is the record type):
 *   H  format realtime_ns monotonic_ns monotonic_after_ns   clocks around the dump
 *   F  start_ns end_ns                          the monotonic window in which the kernel filled
 *                                              the S records that follow (until the next F)
 *   S  family state laddr lport raddr rport uid inode timer expires_ms retrans
 *      rqueue wqueue probes retransmits backoff rto_us unacked last_data_sent_ms
 *      last_data_recv_ms last_ack_recv_ms pid fd keepalive keepidle_s keepintvl_s
 *      keepcnt user_timeout_ms rto_recoveries rto_time_ms
 *      (the last two are tcpi_total_rto_recoveries and tcpi_total_rto_time, Linux 6.7+: the time
 *      since the current RTO recovery began, when it is the socket's first, dates retrans_stamp)
 *   P  pid  comm                                comm escaped: a backslash doubled, bytes < 0x20
 *                                              and 0x7f as \xHH (so no tab or newline)
 *   U  uid  name                                the user name of a socket owner's uid (getpwuid_r,
 *                                              so NSS: files, LDAP, systemd-userdb ...), escaped
 *                                              like comm; none when the uid has no name
 *   T  key=value ...                            statistics of this snapshot
 *   E  message                                  a non-fatal error, escaped like comm
 * P and U records come before the first S record. Unknown values are "-".
 *
 * T keys: sockets, rescans, processes (scanned), denied (fd table not readable: permission),
 * unscanned (could not be opened for another reason, e.g. too many open files: also an E
 * line), fds, sockopt_reads, and the times dump_us, scan_us, sockopt_us, output_us.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "netlink-batch.h"
#include "netlink-events.h"
#include "netns.h"

#define FORMAT "idlewatch-sockdiag/1"
#define EVENTS_FORMAT "idlewatch-sockdiag-events/1"

/* Kernel TCP states (include/net/tcp_states.h). */
enum { ST_TIME_WAIT = 6, ST_LISTEN = 10 };

/* ---------- buffered output ---------- */

/* Small enough that the reader parses one piece while the next is written. */
static char out_buf[1 << 16];
static size_t out_len;

static void out_flush(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(STDOUT_FILENO, out_buf + off, out_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(3); /* parent went away */
    }
    off += (size_t)n;
  }
  out_len = 0;
}

static void out_reserve(size_t n) {
  if (out_len + n > sizeof out_buf) out_flush();
}

static void out_str(const char *s) {
  size_t n = strlen(s);
  out_reserve(n);
  memcpy(out_buf + out_len, s, n);
  out_len += n;
}

static void out_ch(char c) {
  out_reserve(1);
  out_buf[out_len++] = c;
}

static void out_u64(uint64_t v) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  out_reserve((size_t)i);
  while (i) out_buf[out_len++] = tmp[--i];
}

static void out_tab_u64(uint64_t v) {
  out_ch('\t');
  out_u64(v);
}

static void out_tab_opt(int known, uint64_t v) {
  out_ch('\t');
  if (known)
    out_u64(v);
  else
    out_ch('-');
}

/* Printable as one field: a backslash doubled, control bytes as \xHH (unescapeComm reverses it). */
static void out_escaped(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\') {
      out_str("\\\\");
    } else if (c < 0x20 || c == 0x7f) {
      char esc[5];
      snprintf(esc, sizeof esc, "\\x%02x", c);
      out_str(esc);
    } else {
      out_ch((char)c);
    }
  }
}

/* ---------- non-fatal errors of one snapshot: the E lines ---------- */

struct errors {
  unsigned n;
  char text[8][200];
};

__attribute__((format(printf, 2, 3))) static void err_add(struct errors *e, const char *fmt, ...) {
  if (e->n == sizeof e->text / sizeof e->text[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->text[e->n++], sizeof e->text[0], fmt, ap);
  va_end(ap);
}

static void out_errors(const struct errors *e) {
  for (unsigned i = 0; i < e->n; i++) {
    out_str("E\t");
    out_escaped(e->text[i], strlen(e->text[i]));
    out_ch('\n');
  }
}

/* ---------- inode → owner map (open addressing) ---------- */

struct owner {
  uint64_t inode; /* 0 = empty slot */
  int32_t pid;
  int32_t fd;
};

struct owner_map {
  struct owner *slots;
  size_t cap; /* power of two */
  size_t used;
};

static size_t hash_u64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return (size_t)x;
}

static void map_init(struct owner_map *m, size_t cap) {
  m->cap = cap;
  m->used = 0;
  m->slots = calloc(cap, sizeof *m->slots);
  if (!m->slots) exit(4);
}

static void map_free(struct owner_map *m) {
  free(m->slots);
  m->slots = NULL;
  m->cap = m->used = 0;
}

static struct owner *map_find(const struct owner_map *m, uint64_t inode) {
  if (!m->cap) return NULL;
  size_t i = hash_u64(inode) & (m->cap - 1);
  while (m->slots[i].inode) {
    if (m->slots[i].inode == inode) return &m->slots[i];
    i = (i + 1) & (m->cap - 1);
  }
  return NULL;
}

static void map_put(struct owner_map *m, uint64_t inode, int32_t pid, int32_t fd);

static void map_grow(struct owner_map *m) {
  struct owner_map bigger;
  map_init(&bigger, m->cap * 2);
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].inode) map_put(&bigger, m->slots[i].inode, m->slots[i].pid, m->slots[i].fd);
  free(m->slots);
  *m = bigger;
}

static void map_put(struct owner_map *m, uint64_t inode, int32_t pid, int32_t fd) {
  if ((m->used + 1) * 2 > m->cap) map_grow(m);
  size_t i = hash_u64(inode) & (m->cap - 1);
  while (m->slots[i].inode) {
    /* The first owner found wins: a socket shared by parent and child is shown with one pid. */
    if (m->slots[i].inode == inode) return;
    i = (i + 1) & (m->cap - 1);
  }
  m->slots[i].inode = inode;
  m->slots[i].pid = pid;
  m->slots[i].fd = fd;
  m->used++;
}

/* ---------- /proc scan: which process holds which socket inode ---------- */

struct scan_result {
  struct owner_map map;
  unsigned processes;
  unsigned denied;    /* processes whose fd table we may not read */
  unsigned unscanned; /* processes we could not look at for another reason (EMFILE, ENOMEM ...) */
  int unscanned_errno; /* the first such reason */
  int list_errno;     /* /proc itself could not be listed */
  unsigned fds;
  uint64_t took_ns;
};

static uint64_t mono_ns(void);

/*
 * Reading every /proc/PID/fd/N link costs ~5 us each in the kernel: 0.5 s at 100k sockets.
 * So the scan lists the fd entries first (cheap getdents), then reads the links on several
 * threads at once.
 */
struct fd_item {
  int32_t dir; /* index into dirfds */
  int32_t fd;
};

struct scan_work {
  int *dirfds;
  int *pids;
  struct fd_item *items;
  size_t nitems;
  size_t next; /* claimed with __atomic_fetch_add */
};

struct found {
  uint64_t inode;
  int32_t pid, fd;
};

struct scan_worker {
  struct scan_work *work;
  struct found *found;
  size_t nfound, cap;
};

static void *scan_links(void *arg) {
  struct scan_worker *w = arg;
  struct scan_work *work = w->work;
  char name[16], link[64];
  for (;;) {
    size_t start = __atomic_fetch_add(&work->next, 512, __ATOMIC_RELAXED);
    if (start >= work->nitems) break;
    size_t stop = start + 512 < work->nitems ? start + 512 : work->nitems;
    for (size_t i = start; i < stop; i++) {
      struct fd_item *it = &work->items[i];
      snprintf(name, sizeof name, "%d", it->fd);
      ssize_t n = readlinkat(work->dirfds[it->dir], name, link, sizeof link - 1);
      if (n < 9 || memcmp(link, "socket:[", 8) != 0) continue;
      link[n] = 0;
      uint64_t inode = strtoull(link + 8, NULL, 10);
      if (!inode) continue;
      if (w->nfound == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->found = realloc(w->found, w->cap * sizeof *w->found);
        if (!w->found) exit(4);
      }
      w->found[w->nfound++] = (struct found){inode, work->pids[it->dir], it->fd};
    }
  }
  return NULL;
}

#define SCAN_THREADS 4

/*
 * Each process scanned holds one fd until the links are read, so a low RLIMIT_NOFILE makes
 * the scan stop short (EMFILE): that must show, or its sockets would just seem ownerless.
 */
static void note_unscanned(struct scan_result *r, int err) {
  if (!r->unscanned++) r->unscanned_errno = err;
}

static void scan_proc(struct scan_result *r) {
  uint64_t start = mono_ns();
  map_init(&r->map, 1024);
  r->processes = r->denied = r->unscanned = r->fds = 0;
  r->unscanned_errno = r->list_errno = 0;
  r->took_ns = 0;
  struct scan_work work = {0};
  size_t ndirs = 0, dirs_cap = 0, items_cap = 0;
  DIR *proc = opendir("/proc");
  if (!proc) {
    r->list_errno = errno;
    return;
  }
  struct dirent *pe;
  char path[64];
  while ((pe = readdir(proc))) {
    if (pe->d_name[0] < '1' || pe->d_name[0] > '9') continue;
    int pid = atoi(pe->d_name);
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      if (errno == EACCES || errno == EPERM)
        r->denied++;
      else if (errno != ENOENT && errno != ESRCH) /* else it has exited since readdir: not ours to count */
        note_unscanned(r, errno);
      continue;
    }
    int listing = dup(dfd); /* fdopendir takes ownership; readlinkat needs one that stays open */
    DIR *fds = listing >= 0 ? fdopendir(listing) : NULL;
    if (!fds) {
      note_unscanned(r, errno);
      if (listing >= 0) close(listing);
      close(dfd);
      continue;
    }
    r->processes++;
    if (ndirs == dirs_cap) {
      dirs_cap = dirs_cap ? dirs_cap * 2 : 256;
      work.dirfds = realloc(work.dirfds, dirs_cap * sizeof *work.dirfds);
      work.pids = realloc(work.pids, dirs_cap * sizeof *work.pids);
      if (!work.dirfds || !work.pids) exit(4);
    }
    work.dirfds[ndirs] = dfd;
    work.pids[ndirs] = pid;
    struct dirent *fe;
    while ((fe = readdir(fds))) {
      if (fe->d_name[0] < '0' || fe->d_name[0] > '9') continue;
      if (work.nitems == items_cap) {
        items_cap = items_cap ? items_cap * 2 : 4096;
        work.items = realloc(work.items, items_cap * sizeof *work.items);
        if (!work.items) exit(4);
      }
      work.items[work.nitems++] = (struct fd_item){(int32_t)ndirs, atoi(fe->d_name)};
    }
    closedir(fds);
    ndirs++;
  }
  closedir(proc);
  r->fds = (unsigned)work.nitems;

  struct scan_worker workers[SCAN_THREADS];
  pthread_t threads[SCAN_THREADS];
  int started[SCAN_THREADS];
  memset(workers, 0, sizeof workers);
  for (int t = 0; t < SCAN_THREADS; t++) {
    workers[t].work = &work;
    started[t] = t > 0 && work.nitems > 4096 && pthread_create(&threads[t], NULL, scan_links, &workers[t]) == 0;
  }
  scan_links(&workers[0]);
  for (int t = 0; t < SCAN_THREADS; t++) {
    if (t > 0 && started[t]) pthread_join(threads[t], NULL);
    for (size_t i = 0; i < workers[t].nfound; i++)
      map_put(&r->map, workers[t].found[i].inode, workers[t].found[i].pid, workers[t].found[i].fd);
    free(workers[t].found);
  }
  for (size_t d = 0; d < ndirs; d++) close(work.dirfds[d]);
  free(work.dirfds);
  free(work.pids);
  free(work.items);
  r->took_ns = mono_ns() - start;
}

static void *scan_thread(void *arg) {
  scan_proc((struct scan_result *)arg);
  return NULL;
}

/* ---------- netlink sock_diag dump ---------- */

/*
 * The kernel reports each timer relative to its jiffies at the moment it fills the record.
 * A netlink dump fills one buffer per call: the first during sendto, each next one during
 * the recv that returns the previous. Each fill's monotonic window is kept, so the parent can
 * tell which jiffy the records of that fill count from, even when a long dump spans ticks.
 */
struct fill {
  uint64_t start_ns, end_ns;
};

static struct fill *fills;
static size_t nfills, fills_cap;

static uint64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static uint32_t fill_push(uint64_t start_ns, uint64_t end_ns) {
  if (nfills == fills_cap) {
    fills_cap = fills_cap ? fills_cap * 2 : 256;
    fills = realloc(fills, fills_cap * sizeof *fills);
    if (!fills) exit(4);
  }
  fills[nfills].start_ns = start_ns;
  fills[nfills].end_ns = end_ns;
  return (uint32_t)nfills++;
}

static char nl_buf[1 << 20] __attribute__((aligned(8)));

/* Sequence numbers of our dump requests; starts anywhere, a message must echo its own. */
static uint32_t dump_seq;

/*
 * A NETLINK_SOCK_DIAG socket bound now rather than at sendto, so that its port id (which the
 * kernel answers to) is known. It dumps the network namespace it was opened in for as long as it
 * lives, whichever namespace the thread using it is in (sock_net, not current's). The fd; or -1
 * with the reason in errs.
 */
static int diag_socket_open(struct errors *errs, uint32_t *portid) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    err_add(errs, "netlink socket: %s", strerror(errno));
    return -1;
  }
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  socklen_t local_len = sizeof local;
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
      getsockname(fd, (struct sockaddr *)&local, &local_len) < 0) {
    err_add(errs, "netlink bind: %s", strerror(errno));
    close(fd);
    return -1;
  }
  /* A dump always ends with NLMSG_DONE; should it ever not, the poll fails instead of hanging. */
  struct timeval patience = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  *portid = local.nl_pid;
  return fd;
}

/*
 * Dumps every TCP socket of the namespace diag socket fd (port id portid) was opened in, all
 * states: of one family, or of both with family AF_UNSPEC. Both is the compat request
 * (TCPDIAG_GETSOCK with struct inet_diag_req: inet_diag_dump_compat asks for AF_UNSPEC), which
 * walks the kernel's TCP hash tables once where one SOCK_DIAG_BY_FAMILY request per family walks
 * them twice. Those tables are shared by every namespace (unless tcp_child_ehash_entries gave
 * one its own), so each walk passes every socket of the machine: for a namespace among many
 * this halves the helper's time in the kernel (20 namespaces of 5000 sockets: 34 -> 19 ms each).
 * 0 when the dump completed; -1 after an error (in errs), keeping the records read before it:
 * the socket may then be left mid-dump, and must not be used again; -2 when the kernel refused
 * the request itself (nothing read, the socket fit for another). Sets *interrupted when the
 * kernel flagged the dump as inconsistent (NLM_F_DUMP_INTR).
 */
static int dump_family(int fd, uint32_t portid, int family, struct sock_vec *out, struct errors *errs,
                       int *interrupted) {
  union {
    struct {
      struct nlmsghdr nlh;
      struct inet_diag_req_v2 req;
    } v2;
    struct {
      struct nlmsghdr nlh;
      struct inet_diag_req req;
    } compat;
  } msg;
  memset(&msg, 0, sizeof msg);
  size_t msg_len;
  if (family == AF_UNSPEC) {
    msg_len = sizeof msg.compat;
    msg.compat.nlh.nlmsg_type = TCPDIAG_GETSOCK;
    msg.compat.req.idiag_family = AF_INET; /* not read: inet_diag_dump_compat asks for AF_UNSPEC */
    msg.compat.req.idiag_states = ~0U;
    msg.compat.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  } else {
    msg_len = sizeof msg.v2;
    msg.v2.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.v2.req.sdiag_family = (uint8_t)family;
    msg.v2.req.sdiag_protocol = IPPROTO_TCP;
    msg.v2.req.idiag_states = ~0U;
    msg.v2.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  }
  /* The header is the same in both. */
  struct nlmsghdr *nlh = &msg.v2.nlh;
  nlh->nlmsg_len = (uint32_t)msg_len;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++dump_seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  uint64_t call_start = mono_ns();
  ssize_t sent = sendto(fd, &msg, msg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  uint64_t call_end = mono_ns();
  if (sent < 0) {
    err_add(errs, "netlink send: %s", strerror(errno));
    return -1;
  }
  struct nl_batch_expect expect = {.seq = nlh->nlmsg_seq, .portid = portid, .type = nlh->nlmsg_type};
  unsigned foreign = 0, unexpected = 0;
  size_t before = out->n;
  int result = -1;
  for (;;) {
    /* What this recv returns was filled during the previous call. */
    expect.batch = fill_push(call_start, call_end);
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = nl_buf, .iov_len = sizeof nl_buf};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t len;
    do {
      call_start = mono_ns();
      len = recvmsg(fd, &mh, 0);
      call_end = mono_ns();
    } while (len < 0 && errno == EINTR);
    if (len < 0) {
      err_add(errs, "netlink recv: %s", strerror(errno));
      break;
    }
    if (mh.msg_flags & MSG_TRUNC) {
      err_add(errs, "netlink: a message did not fit in %zu bytes", sizeof nl_buf);
      break;
    }
    /* Another process may send to our port id; only the kernel (port 0) answers a dump. */
    if (mh.msg_namelen < sizeof from || from.nl_pid != 0) {
      foreign++;
      continue;
    }
    struct nl_batch_report report;
    enum nl_batch_status status = nl_batch_parse(nl_buf, (size_t)len, &expect, out, &report);
    foreign += report.foreign;
    unexpected += report.unexpected;
    if (report.interrupted) *interrupted = 1;
    if (status == NL_BATCH_ERROR) {
      if (report.refused && report.appended == 0 && out->n == before) {
        result = -2;
        break;
      }
      err_add(errs, "%s", report.error);
      break;
    }
    if (status == NL_BATCH_DONE) {
      result = 0;
      break;
    }
  }
  if (foreign) err_add(errs, "netlink: ignored %u messages that did not answer this dump", foreign);
  if (unexpected) err_add(errs, "netlink: ignored %u messages of an unexpected type or family", unexpected);
  return result;
}

/* ---------- per-socket keepalive options via pidfd_getfd ---------- */

struct sockopts {
  int known;
  int keepalive, keepidle, keepintvl, keepcnt;
  unsigned user_timeout;
};

/* pid → pidfd for this snapshot (keyed pid + 1, since 0 marks an empty slot). */
static struct owner_map pidfds;

static int pidfd_for(int pid) {
  struct owner *e = map_find(&pidfds, (uint64_t)pid + 1);
  if (e) return e->fd;
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  map_put(&pidfds, (uint64_t)pid + 1, pid, fd);
  return fd;
}

static void pidfds_close(void) {
  for (size_t i = 0; i < pidfds.cap; i++)
    if (pidfds.slots[i].inode && pidfds.slots[i].fd >= 0) close(pidfds.slots[i].fd);
  map_free(&pidfds);
}

/* Whether a cached owner still runs, asked once per pid per snapshot. */
static int owner_alive(struct owner_map *checked, int pid) {
  struct owner *e = map_find(checked, (uint64_t)pid + 1);
  if (e) return e->fd;
  int alive = !(kill(pid, 0) != 0 && errno == ESRCH);
  map_put(checked, (uint64_t)pid + 1, pid, alive);
  return alive;
}

/* getsockopt returns the effective value: the socket's override, else the namespace sysctl. */
static void read_sockopts(int pid, int fd, uint64_t inode, struct sockopts *o) {
  o->known = 0;
  int pfd = pidfd_for(pid);
  if (pfd < 0) return;
  int s = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
  if (s < 0) return;
  struct stat st;
  /* The fd number may have been reused since the scan: only trust the same inode. */
  if (fstat(s, &st) == 0 && (uint64_t)st.st_ino == inode) {
    socklen_t l = sizeof(int);
    int ok = getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &o->keepalive, &l) == 0;
    l = sizeof(int);
    ok = ok && getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &o->keepidle, &l) == 0;
    l = sizeof(int);
    ok = ok && getsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &o->keepintvl, &l) == 0;
    l = sizeof(int);
    ok = ok && getsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &o->keepcnt, &l) == 0;
    l = sizeof(unsigned);
    ok = ok && getsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &o->user_timeout, &l) == 0;
    o->known = ok;
  }
  close(s);
}

/* ---------- network namespaces: the helper's own and those it was asked to read ---------- */

/*
 * Another namespace is read through a sock_diag socket and sysctl files opened inside it: the
 * socket keeps dumping the namespace it was created in (sock_net), and an open /proc/sys/net file
 * keeps reading the namespace of the thread that looked it up (net_ctl_header_lookup takes
 * current->nsproxy->net_ns). So the main thread enters a namespace once (setns affects only the
 * calling thread: the /proc scan thread never leaves home), opens them, and comes back; they
 * are cached by the namespace's inode. They also keep the namespace alive (a user socket holds
 * a reference to its net), so a namespace not asked about for NETNS_IDLE_NS is let go, and so is
 * one whose entry no longer leads to it.
 */
enum { SYSCTL_TIME, SYSCTL_INTVL, SYSCTL_PROBES, SYSCTL_RETRIES2, SYSCTL_COUNT };

static const char *const sysctl_paths[SYSCTL_COUNT] = {
    "/proc/sys/net/ipv4/tcp_keepalive_time",
    "/proc/sys/net/ipv4/tcp_keepalive_intvl",
    "/proc/sys/net/ipv4/tcp_keepalive_probes",
    "/proc/sys/net/ipv4/tcp_retries2",
};

struct netns {
  uint64_t inode;
  int diag_fd; /* -1 while none is open */
  uint32_t diag_portid;
  int sysctl_fd[SYSCTL_COUNT]; /* all open, or all -1 */
  uint64_t used_ns;            /* CLOCK_MONOTONIC of the last command about it */
  struct owner_map unattributed; /* inodes of its sockets that the last full scan could not place */
};

#define NETNS_IDLE_NS (60ULL * 1000000000ULL)
/* Each holds 5 fds; the least recently used goes when more are asked for. */
#define NETNS_CACHED_MAX 1024

static int home_fd = -1; /* /proc/self/ns/net, opened at start */
static struct netns home = {.diag_fd = -1, .sysctl_fd = {-1, -1, -1, -1}};
static struct netns *others;
static size_t nothers;

static void netns_init_home(void) {
  home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (home_fd >= 0 && fstat(home_fd, &st) == 0) home.inode = (uint64_t)st.st_ino;
}

static void sysctls_close(struct netns *ns) {
  for (int i = 0; i < SYSCTL_COUNT; i++) {
    if (ns->sysctl_fd[i] >= 0) close(ns->sysctl_fd[i]);
    ns->sysctl_fd[i] = -1;
  }
}

/* Opens the four sysctl files in the calling thread's namespace: 0, or -1 (none left open) with why in errs. */
static int sysctls_open(struct netns *ns, struct errors *errs) {
  for (int i = 0; i < SYSCTL_COUNT; i++) {
    ns->sysctl_fd[i] = open(sysctl_paths[i], O_RDONLY | O_CLOEXEC);
    if (ns->sysctl_fd[i] < 0) {
      err_add(errs, "cannot open %s: %s", sysctl_paths[i], strerror(errno));
      sysctls_close(ns);
      return -1;
    }
  }
  return 0;
}

/* Closes what ns holds; home's is reopened when next needed, another namespace's entry goes. */
static void netns_drop(struct netns *ns) {
  if (ns->diag_fd >= 0) close(ns->diag_fd);
  ns->diag_fd = -1;
  sysctls_close(ns);
  if (ns == &home) return;
  map_free(&ns->unattributed);
  *ns = others[--nothers];
}

static struct netns *netns_cached(uint64_t inode) {
  for (size_t i = 0; i < nothers; i++)
    if (others[i].inode == inode) return &others[i];
  return NULL;
}

/* Lets go of the namespaces not asked about for a while (at the start of a command: no pointer is held). */
static void netns_sweep(void) {
  uint64_t now = mono_ns();
  for (size_t i = nothers; i-- > 0;)
    if (now - others[i].used_ns > NETNS_IDLE_NS) netns_drop(&others[i]);
}

/*
 * The namespace ref names, entered and cached on first use; or NULL with why in errs. Every use
 * checks the entry again (an open and two stats): a reused pid or a rebound name is refused,
 * and lets go of what was cached for that inode.
 */
static struct netns *netns_for(const struct netns_ref *ref, struct errors *errs) {
  char why[256], who[NETNS_NAME_MAX + 16];
  if (home_fd < 0) {
    err_add(errs, "namespace: cannot open this process's own /proc/self/ns/net, so it could not come back");
    return NULL;
  }
  int fd = netns_open(ref, why, sizeof why);
  struct netns *cached = netns_cached(ref->inode);
  if (fd < 0) {
    err_add(errs, "%s", why);
    if (cached) netns_drop(cached);
    return NULL;
  }
  if (ref->inode == home.inode) {
    close(fd);
    return &home;
  }
  if (cached) {
    close(fd);
    cached->used_ns = mono_ns();
    return cached;
  }
  if (nothers == NETNS_CACHED_MAX) {
    size_t oldest = 0;
    for (size_t i = 1; i < nothers; i++)
      if (others[i].used_ns < others[oldest].used_ns) oldest = i;
    netns_drop(&others[oldest]);
  }
  struct netns ns = {.inode = ref->inode, .diag_fd = -1, .sysctl_fd = {-1, -1, -1, -1}, .used_ns = mono_ns()};
  netns_ref_describe(ref, who, sizeof who);
  if (netns_enter(fd, why, sizeof why) < 0) {
    err_add(errs, "namespace %s: %s", who, why);
    close(fd);
    return NULL;
  }
  ns.diag_fd = diag_socket_open(errs, &ns.diag_portid);
  int ready = ns.diag_fd >= 0 && sysctls_open(&ns, errs) == 0;
  netns_return(home_fd);
  close(fd);
  if (!ready) {
    err_add(errs, "namespace %s: cannot open its sock_diag socket and sysctls", who);
    if (ns.diag_fd >= 0) close(ns.diag_fd);
    return NULL;
  }
  if (!others) {
    others = calloc(NETNS_CACHED_MAX, sizeof *others);
    if (!others) exit(4);
  }
  others[nothers] = ns;
  return &others[nothers++];
}

/* ---------- one snapshot ---------- */

static struct owner_map owners; /* persists between snapshots; one map for every namespace, as inodes are */

/* Addresses repeat from socket to socket (every local end of a busy server): remember the last. */
static void out_addr(int family, const uint32_t *a) {
  static int last_family;
  static uint32_t last[4];
  static char text[INET6_ADDRSTRLEN];
  size_t len = family == AF_INET ? 4 : 16;
  if (family != last_family || memcmp(a, last, len) != 0) {
    inet_ntop(family, a, text, sizeof text);
    last_family = family;
    memcpy(last, a, len);
  }
  out_ch('\t');
  out_str(text);
}

static void out_comm(int pid) {
  char path[48], comm[64];
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, comm, sizeof comm - 1);
  close(fd);
  if (n <= 0) return;
  if (comm[n - 1] == '\n') n--;
  out_ch('P');
  out_tab_u64((uint64_t)pid);
  out_ch('\t');
  /* A process may name itself anything but NUL: escape what would break a line or a field. */
  out_escaped(comm, (size_t)n);
  out_ch('\n');
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Makes a fresh scan the owner cache, and remembers which sockets it could not place. */
static int scanned_once;

/*
 * After a scan that could not open every process, a socket it did not place may well have an
 * owner: the next snapshot scans again rather than trust the unplaced list.
 */
static int last_scan_complete;

static void adopt_scan(struct scan_result *scan, const struct sock_vec *socks, struct netns *ns) {
  scanned_once = 1;
  last_scan_complete = !scan->unscanned && !scan->list_errno;
  map_free(&owners);
  owners = scan->map;
  map_free(&ns->unattributed);
  map_init(&ns->unattributed, 1024);
  for (size_t i = 0; i < socks->n; i++)
    if (socks->v[i].inode && !map_find(&owners, socks->v[i].inode)) map_put(&ns->unattributed, socks->v[i].inode, -1, -1);
}

static uint64_t ns_of(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000ULL + (uint64_t)t->tv_nsec;
}

/* The kernel refused the compat request that dumps both families at once (dump_family). */
static int compat_refused;

/* How often a dump the kernel flagged as inconsistent (NLM_F_DUMP_INTR) is done again. */
#define DUMP_INTR_RETRIES 3

/*
 * Dumps the namespace of ns's socket (home's is opened here when none is). A small dump that
 * straddled a tick is done again, so that all its records count from one jiffy; a large one
 * spans ticks anyway and relies on the per-fill windows. A dump that the table changed under is
 * done again too, a few times, then shown with an error. 0; or -1 when a dump failed, the socket
 * then being unfit for another (the caller lets go of it).
 */
static int dump_all(struct netns *ns, struct sock_vec *socks, uint64_t tick_ns, struct timespec *rt,
                    struct timespec *mono, struct timespec *mono_after, struct errors *errs) {
  int straddled = 0, interruptions = 0;
  for (;;) {
    socks->n = 0;
    nfills = 0;
    errs->n = 0;
    int interrupted = 0;
    clock_gettime(CLOCK_REALTIME, rt);
    clock_gettime(CLOCK_MONOTONIC, mono);
    if (ns->diag_fd < 0) ns->diag_fd = diag_socket_open(errs, &ns->diag_portid);
    /* A dump that failed may have left the socket mid-dump (the next request would be EBUSY). */
    int failed = ns->diag_fd < 0;
    if (!failed && !compat_refused) {
      int r = dump_family(ns->diag_fd, ns->diag_portid, AF_UNSPEC, socks, errs, &interrupted);
      failed = r == -1;
      /* A kernel without the compat request: one request per family from now on. */
      if (r == -2) compat_refused = 1;
    }
    if (!failed && compat_refused)
      failed = dump_family(ns->diag_fd, ns->diag_portid, AF_INET, socks, errs, &interrupted) < 0 ||
               dump_family(ns->diag_fd, ns->diag_portid, AF_INET6, socks, errs, &interrupted) < 0;
    clock_gettime(CLOCK_MONOTONIC, mono_after);
    if (failed) return -1;
    if (interrupted && ++interruptions <= DUMP_INTR_RETRIES) continue;
    if (interrupted)
      err_add(errs, "netlink: the socket table changed during %d dumps in a row; this one may miss or repeat sockets",
              interruptions);
    uint64_t before = ns_of(mono), after = ns_of(mono_after);
    if (!tick_ns || before / tick_ns == after / tick_ns || after - before > tick_ns || ++straddled >= 3) return 0;
  }
}

/* ---------- user names ---------- */

/* Through NSS, so users from LDAP, sssd or systemd-userdb are named as well as local ones. */
static void out_user(uint32_t uid) {
  static char *buf;
  static size_t cap;
  if (!buf) {
    cap = 1024;
    buf = malloc(cap);
    if (!buf) exit(4);
  }
  struct passwd pw, *found = NULL;
  int rc;
  while ((rc = getpwuid_r(uid, &pw, buf, cap, &found)) == ERANGE && cap < (1u << 20)) {
    cap *= 2;
    buf = realloc(buf, cap);
    if (!buf) exit(4);
  }
  if (rc != 0 || !found || !found->pw_name || !found->pw_name[0]) return;
  out_ch('U');
  out_tab_u64(uid);
  out_ch('\t');
  out_escaped(found->pw_name, strlen(found->pw_name));
  out_ch('\n');
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* One U record per distinct owner uid; TIME_WAIT and request sockets (no inode) have no owner. */
static void out_users(const struct sock_vec *socks) {
  uint32_t *uids = malloc((socks->n + 1) * sizeof *uids);
  if (!uids) exit(4);
  size_t n = 0;
  for (size_t i = 0; i < socks->n; i++)
    if (socks->v[i].inode) uids[n++] = socks->v[i].uid;
  qsort(uids, n, sizeof *uids, cmp_u32);
  for (size_t i = 0; i < n; i++)
    if (i == 0 || uids[i] != uids[i - 1]) out_user(uids[i]);
  free(uids);
}

/* One snapshot of ns's socket table; the owners (the /proc scan) and sockopts are the same for every namespace. */
static void snapshot(uint64_t tick_ns, struct netns *ns) {
  struct timespec rt, mono, mono_after;

  /* With nothing cached a full scan is certain: run it beside the dump (2 cores). */
  int cold = !scanned_once;
  struct scan_result scan;
  pthread_t scanner;
  int scanning = cold && pthread_create(&scanner, NULL, scan_thread, &scan) == 0;

  struct sock_vec socks = {0};
  struct errors errs = {0};
  int dump_failed = dump_all(ns, &socks, tick_ns, &rt, &mono, &mono_after, &errs) < 0;

  unsigned rescans = 0;
  if (scanning) {
    pthread_join(scanner, NULL);
    adopt_scan(&scan, &socks, ns);
    rescans = 1;
  }
  /* Rescan only when a socket has an owner we have not placed yet, or a cached owner has exited. */
  int need_scan = 0;
  struct owner_map checked;
  map_init(&checked, 64);
  for (size_t i = 0; i < socks.n && !need_scan; i++) {
    uint64_t ino = socks.v[i].inode;
    if (!ino) continue;
    struct owner *o = map_find(&owners, ino);
    int placed_nowhere = map_find(&ns->unattributed, ino) && (rescans || last_scan_complete);
    if (o ? !owner_alive(&checked, o->pid) : !placed_nowhere) need_scan = 1;
  }
  map_free(&checked);
  if (need_scan) {
    scan_proc(&scan);
    adopt_scan(&scan, &socks, ns);
    rescans++;
  }
  if (rescans && scan.list_errno) err_add(&errs, "cannot list /proc: %s", strerror(scan.list_errno));
  if (rescans && scan.unscanned)
    err_add(&errs, "cannot scan %u processes: %s", scan.unscanned, strerror(scan.unscanned_errno));
  out_errors(&errs);
  uint64_t format_start = mono_ns();
  uint64_t sockopt_ns = 0;
  map_init(&pidfds, 64);

  out_str("H\t" FORMAT);
  out_tab_u64(ns_of(&rt));
  out_tab_u64(ns_of(&mono));
  out_tab_u64(ns_of(&mono_after));
  out_ch('\n');

  /* Process names first, so the reader knows every name when it meets the sockets. */
  int *pids = malloc((socks.n + 1) * sizeof *pids);
  if (!pids) exit(4);
  size_t npids = 0;
  for (size_t i = 0; i < socks.n; i++) {
    struct owner *o = socks.v[i].inode ? map_find(&owners, socks.v[i].inode) : NULL;
    if (o) pids[npids++] = o->pid;
  }
  qsort(pids, npids, sizeof *pids, cmp_int);
  for (size_t i = 0; i < npids; i++)
    if (i == 0 || pids[i] != pids[i - 1]) out_comm(pids[i]);
  free(pids);
  out_users(&socks);

  unsigned sockopt_reads = 0;
  for (size_t i = 0; i < socks.n; i++) {
    struct sock_rec *r = &socks.v[i];
    struct owner *o = r->inode ? map_find(&owners, r->inode) : NULL;
    struct sockopts so = {0};
    /*
     * Only a connected socket whose timer could be keepalive's, or which has data in flight,
     * needs its options read: an established socket with no timer armed has SO_KEEPALIVE off
     * (tcp_keepalive_timer always re-arms while it is on). This keeps 100k idle sockets cheap.
     */
    if (o && r->state != ST_LISTEN && r->state != ST_TIME_WAIT && r->timer != 0 && r->timer != 3) {
      uint64_t t = mono_ns();
      read_sockopts(o->pid, o->fd, r->inode, &so);
      sockopt_ns += mono_ns() - t;
      sockopt_reads++;
    }
    if (i == 0 || r->batch != socks.v[i - 1].batch) {
      out_ch('F');
      out_tab_u64(fills[r->batch].start_ns);
      out_tab_u64(fills[r->batch].end_ns);
      out_ch('\n');
    }
    out_ch('S');
    out_tab_u64(r->family == AF_INET ? 4 : 6);
    out_tab_u64(r->state);
    out_addr(r->family, r->laddr);
    out_tab_u64(r->lport);
    out_addr(r->family, r->raddr);
    out_tab_u64(r->rport);
    out_tab_u64(r->uid);
    out_tab_u64(r->inode);
    out_tab_u64(r->timer);
    out_tab_u64(r->expires_ms);
    out_tab_u64(r->retrans);
    out_tab_u64(r->rqueue);
    out_tab_u64(r->wqueue);
    out_tab_opt(r->has_info, r->probes);
    out_tab_opt(r->has_info, r->retransmits);
    out_tab_opt(r->has_info, r->backoff);
    out_tab_opt(r->has_info, r->rto_us);
    out_tab_opt(r->has_info, r->unacked);
    out_tab_opt(r->has_info, r->last_data_sent);
    out_tab_opt(r->has_info, r->last_data_recv);
    out_tab_opt(r->has_info, r->last_ack_recv);
    out_tab_opt(o != NULL, o ? (uint64_t)o->pid : 0);
    out_tab_opt(o != NULL, o ? (uint64_t)o->fd : 0);
    out_tab_opt(so.known, (uint64_t)so.keepalive);
    out_tab_opt(so.known, (uint64_t)so.keepidle);
    out_tab_opt(so.known, (uint64_t)so.keepintvl);
    out_tab_opt(so.known, (uint64_t)so.keepcnt);
    out_tab_opt(so.known, so.user_timeout);
    out_tab_opt(r->has_rto_time, r->rto_recoveries);
    out_tab_opt(r->has_rto_time, r->rto_time_ms);
    out_ch('\n');
  }
  pidfds_close();

  out_str("T\tsockets=");
  out_u64(socks.n);
  out_str("\trescans=");
  out_u64(rescans);
  out_str("\tprocesses=");
  out_u64(rescans ? scan.processes : 0);
  out_str("\tdenied=");
  out_u64(rescans ? scan.denied : 0);
  out_str("\tunscanned=");
  out_u64(rescans ? scan.unscanned : 0);
  out_str("\tfds=");
  out_u64(rescans ? scan.fds : 0);
  out_str("\tsockopt_reads=");
  out_u64(sockopt_reads);
  /* Where the time went, in microseconds: for test/bench and for whoever profiles next. */
  out_str("\tdump_us=");
  out_u64((ns_of(&mono_after) - ns_of(&mono)) / 1000);
  out_str("\tscan_us=");
  out_u64(rescans ? scan.took_ns / 1000 : 0);
  out_str("\tsockopt_us=");
  out_u64(sockopt_ns / 1000);
  out_str("\toutput_us=");
  out_u64((mono_ns() - format_start - sockopt_ns) / 1000);
  out_str("\n.\n");
  out_flush();
  free(socks.v);
  /* Another namespace is entered afresh next time (through its entry, checked again). */
  if (dump_failed) netns_drop(ns);
}

/* ---------- --events: the kernel's announcements of destroyed TCP sockets ---------- */

/* Exit status when the kernel refuses the subscription (EPERM without CAP_NET_ADMIN). */
#define EXIT_CANNOT_SUBSCRIBE 5
/* Exit status when reading the announcements fails for good. */
#define EXIT_EVENTS_FAILED 6

/*
 * Announcements come in bursts (a server closing thousands of connections at once) while the
 * reader may be busy: a socket buffer this large holds ~10k of them. Past it the kernel drops
 * what does not fit and recv reports ENOBUFS once.
 */
#define EVENTS_RCVBUF (4 << 20)

__attribute__((format(printf, 1, 2))) static void out_error_line(const char *fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  out_str("E\t");
  out_escaped(text, strlen(text));
  out_ch('\n');
}

static uint64_t realtime_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return ns_of(&t);
}

/* Whether the kernel's tcp_info reached this field: an older kernel's is shorter. */
#define INFO_HAS(r, field) \
  ((r)->has_info && (r)->info_len >= offsetof(struct tcp_info, field) + sizeof(((struct tcp_info *)0)->field))

static void out_end(const struct sock_rec *r, uint64_t read_ns) {
  out_ch('D');
  out_tab_u64(read_ns);
  out_tab_u64(r->family == AF_INET ? 4 : 6);
  out_tab_u64(r->state);
  out_addr(r->family, r->laddr);
  out_tab_u64(r->lport);
  out_addr(r->family, r->raddr);
  out_tab_u64(r->rport);
  out_tab_opt(INFO_HAS(r, tcpi_probes), r->probes);
  out_tab_opt(INFO_HAS(r, tcpi_retransmits), r->retransmits);
  out_tab_opt(INFO_HAS(r, tcpi_backoff), r->backoff);
  out_tab_opt(INFO_HAS(r, tcpi_unacked), r->unacked);
  out_tab_opt(INFO_HAS(r, tcpi_rto), r->rto_us);
  out_tab_opt(INFO_HAS(r, tcpi_last_data_sent), r->last_data_sent);
  out_tab_opt(INFO_HAS(r, tcpi_last_data_recv), r->last_data_recv);
  out_tab_opt(INFO_HAS(r, tcpi_last_ack_recv), r->last_ack_recv);
  out_tab_u64(r->rqueue);
  out_tab_u64(r->wqueue);
  out_ch('\n');
}

/* Joins both TCP destroy groups; the fd, or -1 after printing why (E line). */
static int events_subscribe(void) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    out_error_line("netlink socket: %s", strerror(errno));
    return -1;
  }
  /* SO_RCVBUFFORCE may pass net.core.rmem_max (it needs CAP_NET_ADMIN); SO_RCVBUF is capped by it. */
  int want = EVENTS_RCVBUF;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  /* Group n is bit n - 1 of nl_groups (netlink_bind). */
  struct sockaddr_nl local = {
      .nl_family = AF_NETLINK,
      .nl_groups = (1u << (SKNLGRP_INET_TCP_DESTROY - 1)) | (1u << (SKNLGRP_INET6_TCP_DESTROY - 1)),
  };
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    out_error_line("cannot subscribe to the kernel's TCP socket-destroy announcements: %s", strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads every announcement queued now, then flushes them as one piece. 0, or -1 when recv failed for good. */
static int events_drain(int fd) {
  static struct sock_vec recs;
  unsigned foreign = 0;
  for (;;) {
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = nl_buf, .iov_len = sizeof nl_buf};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t len = recvmsg(fd, &mh, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {
        int have = 0;
        socklen_t l = sizeof have;
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &have, &l);
        out_error_line("netlink: ENOBUFS: announcements came faster than they were read and overflowed the "
                       "%d-byte socket buffer; the kernel dropped some, so sockets that ended just now may not be "
                       "reported (they show only as gone at the next poll)",
                       have);
        continue;
      }
      out_error_line("netlink recv: %s", strerror(errno));
      out_flush();
      return -1;
    }
    uint64_t read_ns = realtime_ns();
    if (mh.msg_flags & MSG_TRUNC) {
      out_error_line("netlink: an announcement did not fit in %zu bytes and was dropped", sizeof nl_buf);
      continue;
    }
    /* Only the kernel (port 0) announces; any process may send to our port id. */
    if (mh.msg_namelen < sizeof from || from.nl_pid != 0) {
      foreign++;
      continue;
    }
    recs.n = 0;
    struct nl_events_report report;
    nl_events_parse(nl_buf, (size_t)len, &recs, &report);
    for (size_t i = 0; i < recs.n; i++) out_end(&recs.v[i], read_ns);
    foreign += report.foreign;
    if (report.error[0]) out_error_line("%s", report.error);
  }
  /* Counted, not printed one by one: another process could send us any number. */
  if (foreign) out_error_line("netlink: ignored %u messages that did not come from the kernel", foreign);
  out_flush();
  return 0;
}

/* Exit status when the namespace named for --events cannot be entered (the E line says why). */
#define EXIT_NAMESPACE_REFUSED 7

/* ref: the namespace to watch, or NULL for the helper's own. */
static int events(const struct netns_ref *ref) {
  if (ref) {
    /* The subscription belongs to the namespace its socket is created in: enter for good, first. */
    char why[256];
    int ns_fd = netns_open(ref, why, sizeof why);
    if (ns_fd < 0 || netns_enter(ns_fd, why, sizeof why) < 0) {
      out_error_line("%s", why);
      out_flush();
      if (ns_fd >= 0) close(ns_fd);
      return EXIT_NAMESPACE_REFUSED;
    }
    close(ns_fd);
  }
  int fd = events_subscribe();
  if (fd < 0) {
    out_flush();
    return EXIT_CANNOT_SUBSCRIBE;
  }
  out_str("H\t" EVENTS_FORMAT);
  out_tab_u64(realtime_ns());
  out_ch('\n');
  out_flush();
  struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      out_error_line("poll: %s", strerror(errno));
      out_flush();
      return EXIT_EVENTS_FAILED;
    }
    if (fds[0].revents && events_drain(fd) < 0) return EXIT_EVENTS_FAILED;
    if (fds[1].revents) {
      /* Nothing is asked on stdin: it is there so that the helper ends with its parent. */
      char scratch[256];
      ssize_t n = read(STDIN_FILENO, scratch, sizeof scratch);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
    }
  }
  close(fd);
  return 0;
}

/* ---------- sysctls: a namespace's keepalive settings ---------- */

/* One K record from ns's sysctl files (home's opened here when not yet), or E lines. */
static void sysctls(struct netns *ns) {
  struct errors errs = {0};
  uint64_t values[SYSCTL_COUNT];
  int failed = ns->sysctl_fd[0] < 0 && sysctls_open(ns, &errs) < 0;
  for (int i = 0; i < SYSCTL_COUNT && !failed; i++) {
    char text[32];
    ssize_t n = pread(ns->sysctl_fd[i], text, sizeof text - 1, 0);
    if (n < 0) {
      err_add(&errs, "cannot read %s: %s", sysctl_paths[i], strerror(errno));
      failed = 1;
      break;
    }
    text[n] = 0;
    if (n > 0 && text[n - 1] == '\n') text[n - 1] = 0;
    if (parse_decimal(text, UINT32_MAX, &values[i]) < 0) {
      err_add(&errs, "%s: not a non-negative integer", sysctl_paths[i]);
      failed = 1;
    }
  }
  out_errors(&errs);
  if (!failed) {
    out_ch('K');
    for (int i = 0; i < SYSCTL_COUNT; i++) out_tab_u64(values[i]);
    out_ch('\n');
  }
  out_str(".\n");
  out_flush();
  if (failed) netns_drop(ns);
}

/* ---------- commands ---------- */

#define USAGE_NAMESPACE "pid PID INODE | name NAME INODE"
/* The longest tick accepted: HZ is at least 100 (a 10 ms tick); 1 s leaves room. */
#define TICK_NS_MAX 1000000000ULL

/* An answer with nothing but why: one E line and the end of the answer. */
static void refuse(const struct errors *errs) {
  out_errors(errs);
  out_str(".\n");
  out_flush();
}

/* Splits line at single spaces into at most max words; the count, or -1 (too many, or an empty word). */
static int split_words(char *line, char **words, int max) {
  int n = 0;
  for (char *p = line;;) {
    char *space = strchr(p, ' ');
    if (n == max || (space ? space == p : *p == 0)) return -1;
    words[n++] = p;
    if (!space) return n;
    *space = 0;
    p = space + 1;
  }
}

/* Runs one command line (without its newline); 1 when it was quit. */
static int command(char *line) {
  char *w[6];
  struct errors errs = {0};
  int n = split_words(line, w, 6);
  netns_sweep();
  if (n == 1 && strcmp(w[0], "quit") == 0) return 1;
  int is_snapshot = n >= 1 && strcmp(w[0], "snapshot") == 0;
  int is_sysctls = n >= 1 && strcmp(w[0], "sysctls") == 0;
  if (!is_snapshot && !is_sysctls) {
    err_add(&errs, "unknown command");
    refuse(&errs);
    return 0;
  }
  uint64_t tick_ns = 0;
  int ns_at = is_snapshot ? 2 : 1; /* where the namespace words start */
  int usable = is_snapshot ? (n == 1 || n == 2 || n == 5) && (n == 1 || parse_decimal(w[1], TICK_NS_MAX, &tick_ns) == 0)
                           : n == 1 || n == 4;
  if (!usable) {
    err_add(&errs, is_snapshot ? "usage: snapshot [TICK_NS [" USAGE_NAMESPACE "]]" : "usage: sysctls [" USAGE_NAMESPACE "]");
    refuse(&errs);
    return 0;
  }
  struct netns *ns = &home;
  if (n == ns_at + 3) {
    struct netns_ref ref;
    char why[200];
    if (netns_ref_parse(w[ns_at], w[ns_at + 1], w[ns_at + 2], &ref, why, sizeof why) < 0) {
      err_add(&errs, "%s", why);
      refuse(&errs);
      return 0;
    }
    ns = netns_for(&ref, &errs);
    if (!ns) {
      refuse(&errs);
      return 0;
    }
  }
  if (is_snapshot)
    snapshot(tick_ns, ns);
  else
    sysctls(ns);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  /* The scan holds one fd per process: take all the fds we are allowed (we never select()). */
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  dump_seq = (uint32_t)mono_ns();
  if (argc > 1 && strcmp(argv[1], "--events") == 0) {
    if (argc == 2) return events(NULL);
    struct netns_ref ref;
    char why[200];
    if (argc != 5 || netns_ref_parse(argv[2], argv[3], argv[4], &ref, why, sizeof why) < 0) {
      out_error_line("%s", argc != 5 ? "usage: --events [" USAGE_NAMESPACE "]" : why);
      out_flush();
      return EXIT_NAMESPACE_REFUSED;
    }
    return events(&ref);
  }
  netns_init_home();
  /*
   * A pipe that holds a whole answer of a few thousand sockets: the helper then goes on to the
   * next command (the parent writes one ahead) while the parent still reads this answer. Up to
   * fs.pipe-max-size (1 MiB by default); where refused, or stdout is no pipe, nothing changes.
   */
  fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
  char line[256];
  if (argc > 1 && strcmp(argv[1], "--once") == 0) {
    /* The same words as the snapshot command: --once [TICK_NS [pid PID INODE | name NAME INODE]]. */
    size_t len = (size_t)snprintf(line, sizeof line, "snapshot");
    for (int i = 2; i < argc && len < sizeof line; i++) len += (size_t)snprintf(line + len, sizeof line - len, " %s", argv[i]);
    if (len >= sizeof line) return 2;
    command(line);
    return 0;
  }
  while (fgets(line, sizeof line, stdin)) {
    size_t len = strlen(line);
    if (len == 0 || line[len - 1] != '\n') {
      /* Longer than any command: skip the rest of it, and answer it once. */
      int c;
      while ((c = getchar()) != EOF && c != '\n') {
      }
      struct errors errs = {0};
      err_add(&errs, "command too long");
      refuse(&errs);
      if (c == EOF) break;
      continue;
    }
    line[len - 1] = 0;
    if (command(line)) break;
  }
  return 0;
}
