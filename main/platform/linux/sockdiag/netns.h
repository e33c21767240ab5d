/*
 * Entering another network namespace (issue 9): the namespace is named by a process in it
 * (/proc/PID/ns/net) or by its `ip netns` name (/run/netns/NAME), always together with the inode
 * it had when it was discovered. The file is opened and checked (nsfs, a network namespace, that
 * inode) before anything is done in it, so a reused pid or a rebound name is refused rather than
 * read as the namespace the parent meant.
 */
#ifndef IDLEWATCH_NETNS_H
#define IDLEWATCH_NETNS_H

#include <stddef.h>
#include <stdint.h>

enum netns_kind { NETNS_BY_PID, NETNS_BY_NAME };

/* The longest `ip netns` name accepted: what main/platform/linux/namespaces/entry.ts accepts. */
#define NETNS_NAME_MAX 64

struct netns_ref {
  enum netns_kind kind;
  int pid;
  char name[NETNS_NAME_MAX + 1];
  uint64_t inode;
};

/*
 * Reads the three words "pid PID INODE" or "name NAME INODE": PID 1..4194304 (PID_MAX_LIMIT),
 * NAME [A-Za-z0-9_.-]{1,64} but not "." or "..", INODE 1..2^32-1 (proc_inum is an unsigned int),
 * numbers in plain decimal. 0; or -1 with the reason in why.
 */
int netns_ref_parse(const char *kind, const char *what, const char *inode, struct netns_ref *ref, char *why,
                    size_t why_len);

/* "pid 123" or "name NAME", for messages. */
void netns_ref_describe(const struct netns_ref *ref, char *out, size_t len);

/*
 * Opens the namespace file of ref (O_RDONLY | O_CLOEXEC) and checks that it is an nsfs file of
 * a network namespace whose inode is ref->inode. The fd; or -1 with the reason in why.
 */
int netns_open(const struct netns_ref *ref, char *why, size_t why_len);

/*
 * Moves the calling thread into the network namespace of ns_fd (setns affects only the calling
 * thread). 0; or -1 with the reason in why.
 */
int netns_enter(int ns_fd, char *why, size_t why_len);

/*
 * Moves the calling thread back to home_fd's namespace. A thread that cannot go back would do
 * everything after in the wrong namespace: the process exits (status 4) instead.
 */
void netns_return(int home_fd);

/* Plain decimal digits only (no sign, no space), at most max. 0; or -1. */
int parse_decimal(const char *s, uint64_t max, uint64_t *out);

#endif
