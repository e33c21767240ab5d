#define _GNU_SOURCE
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The kernel's ceiling for pid_max (PID_MAX_LIMIT, include/linux/threads.h). */
#define PID_MAX_LIMIT 4194304
/* Where `ip netns add NAME` bind-mounts a named namespace. */
#define NAMED_NAMESPACES_DIR "/run/netns/"

int parse_decimal(const char *s, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  size_t n = 0;
  for (; s[n]; n++) {
    if (s[n] < '0' || s[n] > '9' || n >= 20) return -1;
    unsigned d = (unsigned)(s[n] - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (n == 0 || v > max) return -1;
  *out = v;
  return 0;
}

static int valid_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > NETNS_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

int netns_ref_parse(const char *kind, const char *what, const char *inode, struct netns_ref *ref, char *why,
                    size_t why_len) {
  memset(ref, 0, sizeof *ref);
  uint64_t v;
  if (parse_decimal(inode, UINT32_MAX, &v) < 0 || v == 0) {
    snprintf(why, why_len, "namespace: the inode is not a number from 1 to 4294967295");
    return -1;
  }
  ref->inode = v;
  if (strcmp(kind, "pid") == 0) {
    if (parse_decimal(what, PID_MAX_LIMIT, &v) < 0 || v == 0) {
      snprintf(why, why_len, "namespace: the pid is not a number from 1 to %d", PID_MAX_LIMIT);
      return -1;
    }
    ref->kind = NETNS_BY_PID;
    ref->pid = (int)v;
    return 0;
  }
  if (strcmp(kind, "name") == 0) {
    if (!valid_name(what)) {
      snprintf(why, why_len, "namespace: a name is 1 to %d of A-Z a-z 0-9 _ . - and not . or ..", NETNS_NAME_MAX);
      return -1;
    }
    ref->kind = NETNS_BY_NAME;
    memcpy(ref->name, what, strlen(what) + 1);
    return 0;
  }
  snprintf(why, why_len, "namespace: expected pid PID INODE or name NAME INODE");
  return -1;
}

void netns_ref_describe(const struct netns_ref *ref, char *out, size_t len) {
  if (ref->kind == NETNS_BY_PID)
    snprintf(out, len, "pid %d", ref->pid);
  else
    snprintf(out, len, "name %s", ref->name);
}

int netns_open(const struct netns_ref *ref, char *why, size_t why_len) {
  char path[sizeof NAMED_NAMESPACES_DIR + NETNS_NAME_MAX + 16], who[NETNS_NAME_MAX + 16];
  netns_ref_describe(ref, who, sizeof who);
  int flags = O_RDONLY | O_CLOEXEC;
  if (ref->kind == NETNS_BY_PID) {
    snprintf(path, sizeof path, "/proc/%d/ns/net", ref->pid);
  } else {
    snprintf(path, sizeof path, NAMED_NAMESPACES_DIR "%s", ref->name);
    /* ip netns bind-mounts the namespace there: a symlink is not one of its names. */
    flags |= O_NOFOLLOW;
  }
  int fd = open(path, flags);
  if (fd < 0) {
    snprintf(why, why_len, "namespace %s: cannot open %s: %s", who, path, strerror(errno));
    return -1;
  }
  struct stat st;
  struct statfs fs;
  if (fstat(fd, &st) < 0 || fstatfs(fd, &fs) < 0) {
    snprintf(why, why_len, "namespace %s: cannot stat %s: %s", who, path, strerror(errno));
    close(fd);
    return -1;
  }
  if ((unsigned long)fs.f_type != (unsigned long)NSFS_MAGIC) {
    snprintf(why, why_len, "namespace %s: %s is not a namespace file", who, path);
    close(fd);
    return -1;
  }
  /* NS_GET_NSTYPE (Linux 4.11): /run/netns/NAME could be any kind of namespace bound there. */
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type >= 0 && type != CLONE_NEWNET) {
    snprintf(why, why_len, "namespace %s: %s is not a network namespace", who, path);
    close(fd);
    return -1;
  }
  if ((uint64_t)st.st_ino != ref->inode) {
    snprintf(why, why_len, "namespace %s: %s is namespace %llu, not %llu (the pid was reused or the name rebound)", who,
             path, (unsigned long long)st.st_ino, (unsigned long long)ref->inode);
    close(fd);
    return -1;
  }
  return fd;
}

int netns_enter(int ns_fd, char *why, size_t why_len) {
  if (setns(ns_fd, CLONE_NEWNET) < 0) {
    snprintf(why, why_len, "cannot enter the network namespace: %s", strerror(errno));
    return -1;
  }
  return 0;
}

void netns_return(int home_fd) {
  if (setns(home_fd, CLONE_NEWNET) == 0) return;
  fprintf(stderr, "idlewatch-sockdiag: cannot return to its own network namespace: %s\n", strerror(errno));
  exit(4);
}
