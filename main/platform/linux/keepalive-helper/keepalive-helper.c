/*
 * idlewatch-keepalive — the one program Idlewatch runs as root: it sets the three TCP
 * keepalive sysctls of its network namespace (or of another one, entered with setns) and, when
 * asked, persists them in one drop-in under /etc/sysctl.d. Installed at
 * /usr/libexec/idlewatch/idlewatch-keepalive and run through `pkexec` with that exact path
 * (build/polkit/org.idlewatch.keepalive.policy) or by root.
 *
 *   idlewatch-keepalive apply TIME INTVL PROBES persist|runtime [NETNS]
 *   idlewatch-keepalive undo [NETNS]   restore what was in force before the last apply
 *   idlewatch-keepalive recover        roll back an interrupted change, if there is one
 *
 *   NETNS = --netns pid PID INODE | --netns name NAME INODE
 *
 * NETNS names another network namespace (the sysctls are per namespace, KEEPALIVE.md §1.1) by a
 * process in it (/proc/PID/ns/net) or its `ip netns` name (/run/netns/NAME), with the inode it
 * must have: the helper opens that path, refuses unless it is an nsfs file with that very inode
 * (a pid reused, a name rebound), and setns()es into it before it reads or writes
 * /proc/sys/net/ipv4/tcp_keepalive_* — files under /proc/sys/net opened after setns belong to
 * the namespace entered (net_ctl_header_lookup takes current's). Such a change is runtime only
 * (`persist` is refused: a container's namespace has no /etc/sysctl.d of its own) and is
 * recorded with the namespace (the journal, last-apply, the history, the system log), so that
 * undo and recovery return to it: `undo` re-enters the namespace the last apply changed, by the
 * way it was entered then or by the NETNS given (which must name that same namespace).
 *
 * Every verb first rolls back a change that a crash or power loss interrupted (its journal).
 * The caller gives numbers and fixed words only, and an `ip netns` name of [A-Za-z0-9_.-]: no
 * path, no other string, no environment variable but PKEXEC_UID (digits, for the history and
 * the system log) reaches anything here.
 *
 * A change: read the values in force (and the drop-in), write them to the journal and fsync it,
 * write the new values, write the drop-in atomically, read everything back; the commit is the
 * rename of the journal to last-apply. Any failure or mismatch before the commit restores what
 * was in force (values and drop-in) and verifies that too. Never half-applied.
 *
 * stdout, one record a line, fields tab-separated, messages escaped like sockdiag's comm
 * (a backslash doubled, control bytes as \xHH):
 *   N <inode>             the other network namespace this verb changes (before B; none for the
 *                         helper's own)
 *   R <message>           a change was rolled back, and why: an interrupted one (first, before
 *                         anything else), or this one (after B, A, D)
 *   B <time> <intvl> <probes>   in force before this verb changed anything
 *   A <time> <intvl> <probes>   read back from /proc/sys afterwards ("-" when unreadable)
 *   D <path>|-            the drop-in this verb left written, or - (none written or restored)
 *   E <message>           an error; when the last line is OK, a warning (the change stands)
 *   OK | FAIL             the last line, always
 * B, A and D come once each from apply and undo when they got as far as changing something;
 * a refusal or an error before that prints E and FAIL only; recover prints R (if it rolled
 * something back) and OK.
 * Exit: 0 done; 1 failed, nothing changed (rolled back if needed); 2 refused (usage, range);
 * 3 failed and the rollback failed too (the E line says what is left; the journal is kept and
 * the next run retries).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "keepalive-core.h"

#define SYSCTL_DIR "/proc/sys/net/ipv4/"
static const char *const SYSCTL_PATH[3] = {SYSCTL_DIR "tcp_keepalive_time", SYSCTL_DIR "tcp_keepalive_intvl",
                                           SYSCTL_DIR "tcp_keepalive_probes"};

/* Sorts after Debian's 99-sysctl.conf (a link to /etc/sysctl.conf), so that it wins where it can. */
#define DROPIN_DIR "/etc/sysctl.d"
#define DROPIN_NAME "99-zz-idlewatch-keepalive.conf"
#define DROPIN_TMP ".99-zz-idlewatch-keepalive.conf.tmp" /* not *.conf: no sysctl loader reads it */
#define DROPIN_PATH DROPIN_DIR "/" DROPIN_NAME

#define STATE_DIR "/var/lib/idlewatch"
#define JOURNAL "apply.journal"
#define JOURNAL_TMP "apply.journal.tmp"
#define LAST_APPLY "last-apply"
#define HISTORY "history"
#define RECORD_MAX (1u << 20)

/* statfs(2)'s f_type of the namespace filesystem (include/uapi/linux/magic.h). */
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#define NAMED_NETNS_DIR "/run/netns"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_BROKEN = 3 };

/* ---------- output ---------- */

static void out_write(const char *s, size_t n) {
  while (n) {
    ssize_t w = write(STDOUT_FILENO, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* nobody reads: the change goes on regardless */
    s += w;
    n -= (size_t)w;
  }
}

/* One record: the type, a tab, the message escaped. */
__attribute__((format(printf, 2, 3))) static void say(char type, const char *fmt, ...) {
  char msg[2048], line[2 + 4 * sizeof msg + 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  line[0] = type;
  line[1] = '\t';
  kh_escape(msg, strlen(msg), line + 2, sizeof line - 3);
  size_t n = strlen(line);
  line[n++] = '\n';
  out_write(line, n);
}

static void say_word(const char *word) {
  out_write(word, strlen(word));
  out_write("\n", 1);
}

static void say_values(char type, const struct kh_values *v) {
  char line[64];
  int n = v ? snprintf(line, sizeof line, "%c\t%u\t%u\t%u\n", type, v->time, v->intvl, v->probes)
            : snprintf(line, sizeof line, "%c\t-\t-\t-\n", type);
  out_write(line, (size_t)n);
}

static void say_dropin(int written) {
  if (written)
    out_write("D\t" DROPIN_PATH "\n", sizeof "D\t" DROPIN_PATH "\n" - 1);
  else
    out_write("D\t-\n", 4);
}

__attribute__((format(printf, 3, 4))) static int whyf(char *why, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
  return -1;
}

#define WHY(...) whyf(why, KH_WHY_MAX, __VA_ARGS__)

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static int values_equal(const struct kh_values *a, const struct kh_values *b) {
  return a->time == b->time && a->intvl == b->intvl && a->probes == b->probes;
}

static const char *fmt_values(const struct kh_values *v, char *buf, size_t len) {
  snprintf(buf, len, "%u/%u/%u", v->time, v->intvl, v->probes);
  return buf;
}

/* ---------- network namespaces ---------- */

/* The namespace the helper started in, opened before it first leaves it; -1 until then. */
static int home_netns = -1;
static int away_from_home;

enum { NETNS_ENTERED = 0, NETNS_ERROR = -1, NETNS_GONE = -2 };

/* "network namespace 4026532817 (pid 4242)", "… (ip netns blue)", or "this network namespace". */
static const char *netns_words(const struct kh_netns *ns, char *buf, size_t len) {
  if (ns->kind == KH_NETNS_PID)
    snprintf(buf, len, "network namespace %u (pid %u)", ns->inode, ns->pid);
  else if (ns->kind == KH_NETNS_NAME)
    snprintf(buf, len, "network namespace %u (ip netns %s)", ns->inode, ns->name);
  else
    snprintf(buf, len, "the helper's own network namespace");
  return buf;
}

/* " netns=4026532817 (pid 4242)" for the system log; "" for the helper's own. */
static const char *netns_tag(const struct kh_netns *ns, char *buf, size_t len) {
  if (ns->kind == KH_NETNS_PID)
    snprintf(buf, len, " netns=%u (pid %u)", ns->inode, ns->pid);
  else if (ns->kind == KH_NETNS_NAME)
    snprintf(buf, len, " netns=%u (ip netns %s)", ns->inode, ns->name);
  else
    buf[0] = 0;
  return buf;
}

static int leave_netns(char *why) {
  if (!away_from_home) return 0;
  if (setns(home_netns, CLONE_NEWNET) != 0)
    return WHY("cannot return to the helper's own network namespace: %s", strerror(errno));
  away_from_home = 0;
  return 0;
}

/*
 * Enters ns: opens its path, and refuses unless that is an nsfs file with the expected inode (the
 * pid was not reused, the name not rebound); then setns. NETNS_GONE when the path no longer
 * leads to that namespace (the process exited, the name was deleted or rebound).
 */
static int enter_netns(const struct kh_netns *ns, char *why) {
  if (ns->kind == KH_NETNS_OWN) return leave_netns(why) ? NETNS_ERROR : NETNS_ENTERED;
  char path[32 + KH_NETNS_NAME_MAX];
  int flags = O_RDONLY | O_CLOEXEC;
  if (ns->kind == KH_NETNS_PID) {
    snprintf(path, sizeof path, "/proc/%u/ns/net", ns->pid); /* a magic link: followed by design */
  } else {
    snprintf(path, sizeof path, NAMED_NETNS_DIR "/%s", ns->name); /* a bind mount, never a symlink */
    flags |= O_NOFOLLOW;
  }
  if (home_netns < 0) {
    home_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_netns < 0) {
      WHY("cannot open the helper's own network namespace (/proc/thread-self/ns/net): %s", strerror(errno));
      return NETNS_ERROR;
    }
  }
  int fd = open(path, flags);
  if (fd < 0) {
    int e = errno;
    WHY("cannot open %s: %s", path,
        e == ENOENT || e == ESRCH ? (ns->kind == KH_NETNS_PID ? "no such process (it has exited)" : "no such ip netns name")
                                  : strerror(e));
    return e == ENOENT || e == ESRCH ? NETNS_GONE : NETNS_ERROR;
  }
  struct statfs fs;
  struct stat st;
  if (fstatfs(fd, &fs) != 0 || fs.f_type != NSFS_MAGIC) {
    close(fd);
    WHY("refusing %s: it is not a namespace file (nsfs)", path);
    return ns->kind == KH_NETNS_NAME ? NETNS_GONE : NETNS_ERROR;
  }
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    WHY("cannot inspect %s: %s", path, strerror(e));
    return NETNS_ERROR;
  }
  if (st.st_ino != (ino_t)ns->inode) {
    close(fd);
    WHY("refusing %s: it leads to namespace %llu, not to network namespace %u (the process has gone and its pid was "
        "reused, or the name now names another namespace)",
        path, (unsigned long long)st.st_ino, ns->inode);
    return NETNS_GONE;
  }
  if (setns(fd, CLONE_NEWNET) != 0) {
    int e = errno;
    close(fd);
    WHY("cannot enter network namespace %u through %s: %s", ns->inode, path, strerror(e));
    return NETNS_ERROR;
  }
  close(fd);
  away_from_home = 1;
  /* Where the /proc/sys/net files opened from now on lead: proven, not assumed. */
  if (stat("/proc/thread-self/ns/net", &st) != 0 || st.st_ino != (ino_t)ns->inode) {
    char ignored[KH_WHY_MAX];
    leave_netns(ignored);
    WHY("entered %s, but this thread is not in network namespace %u", path, ns->inode);
    return NETNS_ERROR;
  }
  return NETNS_ENTERED;
}

static void say_netns(const struct kh_netns *ns) {
  if (ns->kind == KH_NETNS_OWN) return;
  char line[32];
  int n = snprintf(line, sizeof line, "N\t%u\n", ns->inode);
  out_write(line, (size_t)n);
}

/* ---------- the sysctls ---------- */

static int read_sysctl(const char *path, uint32_t *value, char *why) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return WHY("cannot open %s: %s", path, strerror(errno));
  char buf[32];
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, sizeof buf - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      return WHY("cannot read %s: %s", path, strerror(e));
    }
    if (r == 0 || (n += (size_t)r) == sizeof buf) break;
  }
  close(fd);
  if (kh_parse_sysctl(buf, n, value)) return WHY("%s does not hold one non-negative number", path);
  return 0;
}

static int read_values(struct kh_values *v, char *why) {
  if (read_sysctl(SYSCTL_PATH[0], &v->time, why) || read_sysctl(SYSCTL_PATH[1], &v->intvl, why) ||
      read_sysctl(SYSCTL_PATH[2], &v->probes, why))
    return -1;
  return 0;
}

static int write_sysctl(const char *path, uint32_t value, char *why) {
  char text[16];
  int len = snprintf(text, sizeof text, "%u\n", value);
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return WHY("cannot open %s for writing: %s", path, strerror(errno));
  ssize_t w;
  do w = write(fd, text, (size_t)len);
  while (w < 0 && errno == EINTR);
  int e = errno;
  if (close(fd) != 0 && w == len) {
    w = -1;
    e = errno;
  }
  if (w != len) return WHY("cannot write %u to %s: %s", value, path, w < 0 ? strerror(e) : "short write");
  return 0;
}

/* In order; stops at the first failure (a forward change). */
static int write_values(const struct kh_values *v, char *why) {
  if (write_sysctl(SYSCTL_PATH[0], v->time, why) || write_sysctl(SYSCTL_PATH[1], v->intvl, why) ||
      write_sysctl(SYSCTL_PATH[2], v->probes, why))
    return -1;
  return 0;
}

/* ---------- directories only root may write ---------- */

/*
 * Opens one of the two directories the helper writes in. It and each directory above it must
 * be root's and writable by no one else; the directory itself must not be a symlink.
 */
static int open_root_dir(const char *path, int create, int *fd_out, char *why) {
  char prefix[64];
  size_t len = strlen(path);
  for (size_t i = 1; i < len; i++) {
    if (path[i] != '/') continue;
    memcpy(prefix, path, i);
    prefix[i] = 0;
    struct stat st;
    if (stat(prefix, &st) != 0) return WHY("cannot inspect %s: %s", prefix, strerror(errno));
    if (st.st_uid != 0 || (st.st_mode & 022))
      return WHY("refusing to write under %s: it is not a directory only root can write (owner %u, mode %o)", prefix,
                 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return WHY("cannot create %s: %s", path, strerror(errno));
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) return WHY("refusing to use %s: it is a symlink or not a directory", path);
    return WHY("cannot open %s: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
    close(fd);
    return WHY("refusing to use %s: it must be a directory owned by root that no one else can write (owner %u, mode %o)",
               path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
  }
  *fd_out = fd;
  return 0;
}

/* ---------- files in those directories ---------- */

/* Reads a regular file of at most max bytes. 1 read, 0 absent, -1 error. *buf is malloc'd. */
static int read_file(int dir, const char *dir_path, const char *name, size_t max, char **buf, size_t *len,
                     char *why) {
  *buf = NULL;
  *len = 0;
  int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) return 0;
  if (fd < 0 && errno == ELOOP) return WHY("refusing to read %s/%s: it is a symlink", dir_path, name);
  if (fd < 0) return WHY("cannot open %s/%s: %s", dir_path, name, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return WHY("refusing to read %s/%s: it is not a regular file", dir_path, name);
  }
  if ((uint64_t)st.st_size > max) {
    close(fd);
    return WHY("refusing to handle %s/%s: it is larger than %zu bytes", dir_path, name, max);
  }
  char *data = malloc(max + 1);
  if (!data) {
    close(fd);
    return WHY("out of memory");
  }
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, data + n, max + 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      free(data);
      close(fd);
      return WHY("cannot read %s/%s: %s", dir_path, name, strerror(e));
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n > max) {
      free(data);
      close(fd);
      return WHY("refusing to handle %s/%s: it is larger than %zu bytes", dir_path, name, max);
    }
  }
  close(fd);
  *buf = data;
  *len = n;
  return 1;
}

/* Temp file in the same directory, fsync, rename over the name, fsync the directory. */
static int write_atomic(int dir, const char *dir_path, const char *name, const char *tmp, const char *data, size_t len,
                        mode_t mode, char *why) {
  unlinkat(dir, tmp, 0); /* a leftover of a crash */
  int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return WHY("cannot create %s/%s: %s", dir_path, tmp, strerror(errno));
  const char *p = data;
  size_t left = len;
  int err = fchmod(fd, mode) != 0 ? errno : 0;
  while (!err && left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      err = w < 0 ? errno : EIO;
      break;
    }
    p += w;
    left -= (size_t)w;
  }
  if (!err && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && !err) err = errno;
  if (!err && renameat(dir, tmp, dir, name) != 0) err = errno;
  if (err) {
    unlinkat(dir, tmp, 0);
    return WHY("cannot write %s/%s: %s", dir_path, name, strerror(err));
  }
  if (fsync(dir) != 0) return WHY("cannot sync %s after writing %s: %s", dir_path, name, strerror(errno));
  return 0;
}

static int remove_file(int dir, const char *dir_path, const char *name, char *why) {
  if (unlinkat(dir, name, 0) != 0 && errno != ENOENT)
    return WHY("cannot remove %s/%s: %s", dir_path, name, strerror(errno));
  if (fsync(dir) != 0) return WHY("cannot sync %s after removing %s: %s", dir_path, name, strerror(errno));
  return 0;
}

/* ---------- the drop-in ---------- */

static int dropin_dir = -1;

static int open_dropin_dir(char *why) {
  if (dropin_dir >= 0) return 0;
  return open_root_dir(DROPIN_DIR, 0, &dropin_dir, why);
}

/* The drop-in as it is: *had = 0 when there is none. */
static int read_dropin(int *had, char **content, size_t *len, char *why) {
  if (open_dropin_dir(why)) return -1;
  int r = read_file(dropin_dir, DROPIN_DIR, DROPIN_NAME, KH_DROPIN_MAX, content, len, why);
  if (r < 0) return -1;
  *had = r;
  return 0;
}

/* Makes the drop-in hold exactly content (has = 1), or not exist (has = 0). */
static int set_dropin(int has, const char *content, size_t len, char *why) {
  if (open_dropin_dir(why)) return -1;
  if (has) return write_atomic(dropin_dir, DROPIN_DIR, DROPIN_NAME, DROPIN_TMP, content, len, 0644, why);
  return remove_file(dropin_dir, DROPIN_DIR, DROPIN_NAME, why);
}

static int check_dropin(int has, const char *content, size_t len, char *why) {
  int had = 0;
  char *now = NULL;
  size_t now_len = 0;
  if (read_dropin(&had, &now, &now_len, why)) return -1;
  int same = had == has && (!has || (now_len == len && memcmp(now, content, len) == 0));
  free(now);
  if (!same) return WHY("%s does not read back as written", DROPIN_PATH);
  return 0;
}

/* ---------- state: journal, last-apply, history ---------- */

static int state_dir = -1;
static uint32_t caller_uid;

static int read_record(const char *name, struct kh_change *rec, char *why) {
  char *text;
  size_t len;
  int r = read_file(state_dir, STATE_DIR, name, RECORD_MAX, &text, &len, why);
  if (r <= 0) return r;
  char detail[KH_WHY_MAX];
  int bad = kh_parse_change(text, len, rec, detail, sizeof detail);
  free(text);
  if (bad) return WHY("%s/%s is not a valid record: %s", STATE_DIR, name, detail);
  return 1;
}

static int write_journal(const struct kh_change *rec, char *why) {
  size_t len;
  char *text = kh_format_change(rec, &len);
  if (!text) return WHY("out of memory");
  int r = write_atomic(state_dir, STATE_DIR, JOURNAL, JOURNAL_TMP, text, len, 0600, why);
  free(text);
  return r;
}

/* Best effort: a history that cannot be written is a warning, the system log has the change. */
static void append_history(const struct kh_history *h) {
  char line[KH_HISTORY_LINE_MAX];
  size_t n = kh_format_history(h, line, sizeof line);
  int fd = n ? openat(state_dir, HISTORY, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644) : -1;
  if (fd < 0) {
    say('E', "could not record this in %s/%s: %s", STATE_DIR, HISTORY, n ? strerror(errno) : "line too long");
    return;
  }
  struct stat st;
  int err = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
    err = EPERM;
  else if (write(fd, line, n) != (ssize_t)n)
    err = errno ? errno : EIO;
  else if (fsync(fd) != 0)
    err = errno;
  close(fd);
  if (err) say('E', "could not record this in %s/%s: %s", STATE_DIR, HISTORY, strerror(err));
}

static void record(enum kh_verb verb, uint32_t uid, const struct kh_values *before, const struct kh_values *after,
                   int persisted, enum kh_outcome outcome, const char *message, const struct kh_netns *ns) {
  struct kh_history h = {.at_ms = now_ms(),
                         .uid = uid,
                         .verb = verb,
                         .before = *before,
                         .after = *after,
                         .persisted = persisted,
                         .outcome = outcome,
                         .message = message,
                         .netns_inode = ns->kind == KH_NETNS_OWN ? 0 : ns->inode};
  append_history(&h);
}

/* One line in the system log per change, with who asked and before → after. */
__attribute__((format(printf, 2, 3))) static void log_change(int priority, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  syslog(priority, "%s", msg);
}

/* What a change does to the drop-in, in words for the system log. */
static const char *dropin_effect(const struct kh_change *rec, int target_has) {
  if (!rec->dropin) return "runtime only, drop-in untouched";
  if (!target_has) return "drop-in " DROPIN_PATH " removed";
  return rec->verb == KH_APPLY ? "drop-in " DROPIN_PATH " written" : "drop-in " DROPIN_PATH " restored";
}

/* ---------- rollback ---------- */

/*
 * Puts back what the record says was in force before, and checks that it is. Only what differs
 * is written: a value the change never reached (the one whose write failed) is left alone.
 */
static int restore(const struct kh_change *rec, char *why) {
  char err[KH_WHY_MAX], a[48], b[48];
  int failed = 0;
  const uint32_t before[3] = {rec->before.time, rec->before.intvl, rec->before.probes};
  /* Everything is tried, whatever fails first; the first failure is the one reported. */
  for (int i = 0; i < 3; i++) {
    uint32_t now;
    if (read_sysctl(SYSCTL_PATH[i], &now, err) == 0 && now == before[i]) continue;
    if (write_sysctl(SYSCTL_PATH[i], before[i], err) && !failed++) snprintf(why, KH_WHY_MAX, "%s", err);
  }
  if (rec->dropin && check_dropin(rec->had_previous, rec->previous, rec->previous_len, err) &&
      set_dropin(rec->had_previous, rec->previous, rec->previous_len, err) && !failed++)
    snprintf(why, KH_WHY_MAX, "%s", err);
  struct kh_values now;
  if (read_values(&now, err)) {
    if (!failed++) snprintf(why, KH_WHY_MAX, "%s", err);
  } else if (!values_equal(&now, &rec->before) && !failed++) {
    snprintf(why, KH_WHY_MAX, "the values read back as %s, not %s", fmt_values(&now, a, sizeof a),
             fmt_values(&rec->before, b, sizeof b));
  }
  if (rec->dropin && check_dropin(rec->had_previous, rec->previous, rec->previous_len, err) && !failed++)
    snprintf(why, KH_WHY_MAX, "%s", err);
  return failed ? -1 : 0;
}

/* What a failed rollback left behind, for the E line and the logs. */
static void describe_left(const struct kh_change *rec, char *out, size_t len) {
  char why[KH_WHY_MAX], v[48];
  struct kh_values now;
  const char *values = read_values(&now, why) == 0 ? fmt_values(&now, v, sizeof v) : "unreadable";
  const char *dropin = "untouched";
  if (rec->dropin) {
    int had = 0;
    char *content = NULL;
    size_t clen = 0;
    if (read_dropin(&had, &content, &clen, why))
      dropin = "unreadable";
    else if (had == rec->had_previous && (!had || (clen == rec->previous_len && !memcmp(content, rec->previous, clen))))
      dropin = "as before";
    else
      dropin = had ? "not as before" : "absent";
    free(content);
  }
  snprintf(out, len, "in force now %s (before: %u/%u/%u), drop-in %s %s; the journal %s/%s is kept and the next run of "
           "idlewatch-keepalive retries the rollback",
           values, rec->before.time, rec->before.intvl, rec->before.probes, DROPIN_PATH, dropin, STATE_DIR, JOURNAL);
}

/* ---------- recovery of an interrupted change ---------- */

static int recover_journal(void) {
  char why[KH_WHY_MAX], msg[KH_WHY_MAX * 4], b[48], a[48], where[128], tag[128];
  struct kh_change rec;
  int r = read_record(JOURNAL, &rec, why);
  if (r == 0) return 0;
  if (r < 0) {
    say('E', "an interrupted change left a journal that cannot be used, so nothing was done: %s. It is kept: compare it "
             "with /proc/sys and %s by hand, then remove it",
        why, DROPIN_PATH);
    syslog(LOG_ERR, "uid=%u: an interrupted change's journal cannot be used: %s", caller_uid, why);
    return EXIT_BROKEN;
  }
  fmt_values(&rec.before, b, sizeof b);
  fmt_values(&rec.after, a, sizeof a);
  netns_words(&rec.netns, where, sizeof where);
  netns_tag(&rec.netns, tag, sizeof tag);
  int entered = enter_netns(&rec.netns, why);
  if (entered == NETNS_GONE) {
    /*
     * Its way in leads elsewhere now: the namespace went with its last process (and its values
     * with it), or lives on unreachable by the pid recorded. Kept, the journal would stop every
     * later change; so it is dropped, and the history and the log say what may be left.
     */
    snprintf(msg, sizeof msg,
             "the interrupted %s of uid %u (%s -> %s) in %s could not be rolled back: %s. A namespace ends with its "
             "last process; if this one still exists, its values may be left at %s (before: %s)",
             kh_verb_name(rec.verb), rec.uid, b, a, where, why, a, b);
    if (remove_file(state_dir, STATE_DIR, JOURNAL, why)) say('E', "%s", why);
    record(rec.verb, rec.uid, &rec.before, &rec.after, rec.dropin, KH_FAILED, msg, &rec.netns);
    log_change(LOG_WARNING, "uid=%u%s recover: %s", caller_uid, tag, msg);
    say('E', "%s", msg);
    kh_change_free(&rec);
    return 0;
  }
  if (entered != NETNS_ENTERED) {
    say('E', "the interrupted %s of uid %u (%s -> %s) in %s could not be rolled back, so nothing was done: %s. The "
             "journal %s/%s is kept and the next run retries",
        kh_verb_name(rec.verb), rec.uid, b, a, where, why, STATE_DIR, JOURNAL);
    syslog(LOG_ERR, "uid=%u%s recover: cannot enter the namespace of an interrupted change: %s", caller_uid, tag, why);
    kh_change_free(&rec);
    return EXIT_BROKEN;
  }
  if (restore(&rec, why)) {
    char left[KH_WHY_MAX * 2];
    describe_left(&rec, left, sizeof left);
    snprintf(msg, sizeof msg, "the interrupted %s of uid %u (%s -> %s)%s%s could not be rolled back: %s; %s",
             kh_verb_name(rec.verb), rec.uid, b, a, rec.netns.kind == KH_NETNS_OWN ? "" : " in ",
             rec.netns.kind == KH_NETNS_OWN ? "" : where, why, left);
    record(rec.verb, rec.uid, &rec.before, &rec.after, rec.dropin, KH_FAILED, msg, &rec.netns);
    log_change(LOG_ERR, "uid=%u%s recover: %s", caller_uid, tag, msg);
    say('E', "%s", msg);
    kh_change_free(&rec);
    return EXIT_BROKEN;
  }
  if (leave_netns(why)) {
    say('E', "%s", why);
    kh_change_free(&rec);
    return EXIT_BROKEN;
  }
  if (remove_file(state_dir, STATE_DIR, JOURNAL, why)) say('E', "%s", why);
  snprintf(msg, sizeof msg,
           "the %s of uid %u (%s -> %s)%s%s started at %llu ms was interrupted before it completed and was rolled back by "
           "uid %u: %s in force again%s",
           kh_verb_name(rec.verb), rec.uid, b, a, rec.netns.kind == KH_NETNS_OWN ? "" : " in ",
           rec.netns.kind == KH_NETNS_OWN ? "" : where, (unsigned long long)rec.started_ms, caller_uid, b,
           rec.dropin ? (rec.had_previous ? ", drop-in restored" : ", drop-in removed") : "");
  record(rec.verb, rec.uid, &rec.before, &rec.after, rec.dropin, KH_ROLLED_BACK, msg, &rec.netns);
  log_change(LOG_NOTICE, "uid=%u%s recover %s -> %s, %s: rolled back the interrupted %s of uid %u", caller_uid, tag, a, b,
             rec.dropin ? (rec.had_previous ? "drop-in " DROPIN_PATH " restored" : "drop-in " DROPIN_PATH " removed")
                        : "drop-in untouched",
             kh_verb_name(rec.verb), rec.uid);
  say('R', "%s", msg);
  kh_change_free(&rec);
  return 0;
}

/* ---------- one change: apply or undo ---------- */

/* The caller has entered ns (a namespace other than the helper's own), if any. */
static int change(enum kh_verb verb, const struct kh_values *target, int touch, int target_has, const char *content,
                  size_t content_len, const struct kh_netns *ns) {
  char why[KH_WHY_MAX], reason[KH_WHY_MAX + 64] = "", b[48], a[48], tag[128];
  struct kh_change rec = {
      .verb = verb, .uid = caller_uid, .started_ms = now_ms(), .after = *target, .netns = *ns, .dropin = touch};
  netns_tag(ns, tag, sizeof tag);

  if (read_values(&rec.before, why)) {
    say('E', "nothing changed: cannot read the values in force: %s", why);
    return EXIT_FAILED;
  }
  if (touch && read_dropin(&rec.had_previous, &rec.previous, &rec.previous_len, why)) {
    say('E', "nothing changed: %s", why);
    return EXIT_FAILED;
  }
  if (write_journal(&rec, why)) {
    say('E', "nothing changed: cannot write the journal: %s", why);
    kh_change_free(&rec);
    return EXIT_FAILED;
  }

  /* From here on every failure is rolled back. */
  struct kh_values now = {0, 0, 0};
  if (write_values(target, why))
    snprintf(reason, sizeof reason, "%s", why);
  else if (touch && set_dropin(target_has, content, content_len, why))
    snprintf(reason, sizeof reason, "%s", why);
  else if (read_values(&now, why))
    snprintf(reason, sizeof reason, "cannot read the values back: %s", why);
  else if (!values_equal(&now, target))
    snprintf(reason, sizeof reason, "the values read back as %s, not %s", fmt_values(&now, a, sizeof a),
             fmt_values(target, b, sizeof b));
  else if (touch && check_dropin(target_has, content, content_len, why))
    snprintf(reason, sizeof reason, "%s", why);
  else if (renameat(state_dir, JOURNAL, state_dir, LAST_APPLY) != 0)
    snprintf(reason, sizeof reason, "cannot commit %s/%s: %s", STATE_DIR, LAST_APPLY, strerror(errno));

  fmt_values(&rec.before, b, sizeof b);
  fmt_values(target, a, sizeof a);
  if (!reason[0]) {
    int sync_error = fsync(state_dir) == 0 ? 0 : errno;
    say_values('B', &rec.before);
    say_values('A', &now);
    say_dropin(touch && target_has);
    record(verb, caller_uid, &rec.before, target, touch, KH_APPLIED, "", ns);
    log_change(LOG_NOTICE, "uid=%u%s %s %s -> %s, %s: applied", caller_uid, tag, kh_verb_name(verb), b, a,
               dropin_effect(&rec, target_has));
    if (sync_error) say('E', "applied, but %s could not be synced: %s", STATE_DIR, strerror(sync_error));
    kh_change_free(&rec);
    return EXIT_DONE;
  }

  char msg[sizeof reason + KH_WHY_MAX * 3 + 64];
  if (restore(&rec, why) == 0) {
    if (remove_file(state_dir, STATE_DIR, JOURNAL, why)) say('E', "%s", why);
    snprintf(msg, sizeof msg, "rolled back to %s: %s", b, reason);
    say_values('B', &rec.before);
    say_values('A', &rec.before);
    say_dropin(0);
    say('R', "%s", msg);
    record(verb, caller_uid, &rec.before, target, touch, KH_ROLLED_BACK, msg, ns);
    log_change(LOG_NOTICE, "uid=%u%s %s %s -> %s, %s: rolled back (%s)", caller_uid, tag, kh_verb_name(verb), b, a,
               dropin_effect(&rec, target_has), reason);
    kh_change_free(&rec);
    return EXIT_FAILED;
  }
  char left[KH_WHY_MAX * 2];
  describe_left(&rec, left, sizeof left);
  snprintf(msg, sizeof msg, "%s; the rollback failed too: %s; %s", reason, why, left);
  struct kh_values after;
  int readable = read_values(&after, why) == 0;
  say_values('B', &rec.before);
  say_values('A', readable ? &after : NULL);
  say_dropin(touch && target_has && check_dropin(target_has, content, content_len, why) == 0);
  say('E', "%s", msg);
  record(verb, caller_uid, &rec.before, target, touch, KH_FAILED, msg, ns);
  log_change(LOG_ERR, "uid=%u%s %s %s -> %s, %s: FAILED (%s)", caller_uid, tag, kh_verb_name(verb), b, a,
             dropin_effect(&rec, target_has), msg);
  kh_change_free(&rec);
  return EXIT_BROKEN;
}

/* Enters ns for a change (apply or undo) and says so (N); EXIT_DONE, or why not with E. */
static int enter_for_change(const struct kh_netns *ns, const char *what) {
  char why[KH_WHY_MAX], where[128];
  if (enter_netns(ns, why) != NETNS_ENTERED) {
    say('E', "nothing changed: cannot %s in %s: %s", what, netns_words(ns, where, sizeof where), why);
    return EXIT_FAILED;
  }
  say_netns(ns);
  return EXIT_DONE;
}

static int apply(const struct kh_request *req) {
  char text[KH_DROPIN_TEXT_MAX];
  size_t len = kh_format_dropin(&req->values, text, sizeof text);
  if (!len) {
    say('E', "nothing changed: the drop-in text does not fit");
    return EXIT_FAILED;
  }
  int code = enter_for_change(&req->netns, "apply");
  if (code) return code;
  return change(KH_APPLY, &req->values, req->persist, 1, text, len, &req->netns);
}

static int undo(const struct kh_request *req) {
  char why[KH_WHY_MAX], where[128];
  struct kh_change last;
  int r = read_record(LAST_APPLY, &last, why);
  if (r == 0) {
    say('E', "nothing to undo: no apply has been recorded in %s", STATE_DIR);
    return EXIT_FAILED;
  }
  if (r < 0) {
    say('E', "nothing changed: cannot read what the last apply replaced: %s", why);
    return EXIT_FAILED;
  }
  if (last.verb != KH_APPLY) {
    kh_change_free(&last);
    say('E', "nothing to undo: the last apply has already been undone");
    return EXIT_FAILED;
  }
  /* The namespace the last apply changed, by the way in given now (it must be that one) or the one used then. */
  struct kh_netns ns = last.netns;
  if (req->netns.kind != KH_NETNS_OWN) {
    if (last.netns.kind == KH_NETNS_OWN || last.netns.inode != req->netns.inode) {
      say('E', "nothing changed: the last apply changed %s, not network namespace %u",
          netns_words(&last.netns, where, sizeof where), req->netns.inode);
      kh_change_free(&last);
      return EXIT_FAILED;
    }
    ns = req->netns;
  }
  int code = enter_for_change(&ns, "undo the last apply");
  if (code == 0)
    code = change(KH_UNDO, &last.before, last.dropin, last.had_previous, last.previous, last.previous_len, &ns);
  kh_change_free(&last);
  return code;
}

/* ---------- start-up: a clean process before anything is parsed ---------- */

/* PKEXEC_UID if it is a uid in digits, else the real uid. */
static uint32_t invoking_uid(void) {
  const char *s = getenv("PKEXEC_UID");
  uint32_t uid;
  if (s && kh_parse_number(s, strlen(s), 0, UINT32_MAX - 1, &uid) == KH_NUMBER_OK) return uid;
  return (uint32_t)getuid();
}

static void sanitize_process(void) {
  /* fds 0-2 open, so that no file we open becomes someone's stdout. */
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd) _exit(EXIT_FAILED);
  /* Inherited dispositions, timers and limits must not stop a change half-way. */
  static const int quiet[] = {SIGHUP, SIGINT,  SIGQUIT, SIGTERM, SIGTSTP,   SIGTTIN, SIGTTOU, SIGPIPE,
                              SIGXFSZ, SIGXCPU, SIGALRM, SIGVTALRM, SIGPROF, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) signal(quiet[i], SIG_IGN);
  alarm(0);
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_FSIZE, &unlimited);
  setrlimit(RLIMIT_CPU, &unlimited);
  umask(022);
}

int main(int argc, char **argv) {
  sanitize_process();
  caller_uid = invoking_uid();
  clearenv();

  char why[KH_WHY_MAX];
  struct kh_request req;
  if (kh_parse_args(argc, argv, &req, why, sizeof why)) {
    say('E', "%s", why);
    say_word("FAIL");
    return EXIT_USAGE;
  }

  openlog("idlewatch-keepalive", LOG_PID, LOG_AUTHPRIV);
  if (geteuid() != 0) {
    say('E', "nothing changed: idlewatch-keepalive must run as root (through pkexec, or as root)");
    say_word("FAIL");
    return EXIT_FAILED;
  }
  if (getuid() != geteuid() || getgid() != getegid()) {
    say('E', "nothing changed: idlewatch-keepalive must not be installed set-user-ID or set-group-ID; "
             "run it through pkexec");
    say_word("FAIL");
    return EXIT_FAILED;
  }
  if (open_root_dir(STATE_DIR, 1, &state_dir, why)) {
    say('E', "nothing changed: %s", why);
    say_word("FAIL");
    return EXIT_FAILED;
  }
  /* One change at a time, whoever else runs the helper. */
  while (flock(state_dir, LOCK_EX) != 0)
    if (errno != EINTR) {
      say('E', "nothing changed: cannot lock %s: %s", STATE_DIR, strerror(errno));
      say_word("FAIL");
      return EXIT_FAILED;
    }

  int code = recover_journal();
  if (code == 0) {
    if (req.verb == KH_APPLY)
      code = apply(&req);
    else if (req.verb == KH_UNDO)
      code = undo(&req);
  }
  say_word(code == 0 ? "OK" : "FAIL");
  return code;
}
