/*
 * The pure half of idlewatch-keepalive: argument validation, the text of the drop-in, the
 * change record (journal and last-apply), history lines and the escaping they share. Nothing
 * here reads a clock, a file or the environment, so that test/native/ can drive it under
 * AddressSanitizer and UndefinedBehaviorSanitizer with hostile input.
 */
#ifndef IDLEWATCH_KEEPALIVE_CORE_H
#define IDLEWATCH_KEEPALIVE_CORE_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's limits for what a caller may ask for (KEEPALIVE.md §1.1, shared/profiles.ts). */
#define KH_TIME_MAX 32767u
#define KH_INTVL_MAX 32767u
#define KH_PROBES_MAX 255u

/*
 * What /proc/sys may hold and a rollback or undo may write back: those came from the kernel,
 * not from the caller, so they are not held to the limits above (an administrator may well
 * run with tcp_keepalive_time = 86400). proc_dointvec prints an int.
 */
#define KH_SYSCTL_MAX 2147483647u

/* The drop-in may be one we never wrote: at most this much of it is kept to restore. */
#define KH_DROPIN_MAX 65536u

/* Sizes of the fixed buffers callers pass. */
#define KH_WHY_MAX 512
#define KH_DROPIN_TEXT_MAX 512

struct kh_values {
  uint32_t time, intvl, probes;
};

/*
 * Another network namespace than the helper's own (issue 9): the sysctls are per namespace
 * (KEEPALIVE.md §1.1). It is entered by a process in it (/proc/PID/ns/net) or by its `ip netns`
 * name (/run/netns/NAME), and only if what that path leads to is still the namespace with this
 * inode (main/platform/linux/namespaces/entry.ts has the same rules).
 */
#define KH_PID_MAX 4194304u           /* PID_MAX_LIMIT, include/linux/threads.h */
#define KH_NETNS_NAME_MAX 64u         /* ^[A-Za-z0-9_.-]{1,64}$, not . or .. */
#define KH_NETNS_INODE_MAX 4294967295u /* an nsfs inode is a proc_inum, an unsigned int */

enum kh_netns_kind { KH_NETNS_OWN, KH_NETNS_PID, KH_NETNS_NAME };

struct kh_netns {
  enum kh_netns_kind kind; /* KH_NETNS_OWN: the helper's own namespace, nothing else is set */
  uint32_t pid;            /* KH_NETNS_PID */
  char name[KH_NETNS_NAME_MAX + 1]; /* KH_NETNS_NAME, NUL-terminated */
  uint32_t inode;          /* the namespace the entry must lead to */
};

/* An `ip netns` name the helper enters: 1–64 of [A-Za-z0-9_.-], not "." or "..". 1 or 0. */
int kh_netns_name_ok(const char *s, size_t n);

enum kh_verb { KH_APPLY, KH_UNDO, KH_RECOVER };

struct kh_request {
  enum kh_verb verb;
  struct kh_values values; /* apply only */
  int persist;             /* apply only: 1 = persist, 0 = runtime */
  struct kh_netns netns;   /* apply and undo: KH_NETNS_OWN unless --netns */
};

/*
 * Validates argv exactly:
 *   apply TIME INTVL PROBES persist|runtime [--netns pid PID INODE | --netns name NAME INODE]
 *   undo [--netns pid PID INODE | --netns name NAME INODE]
 *   recover
 * Numbers are decimal digits only (no sign, space or leading zero), TIME and INTVL 1–32767,
 * PROBES 1–255, PID 1–4194304, INODE 1–4294967295; NAME as kh_netns_name_ok. A namespace is
 * never persisted: `persist` with --netns is refused (it has no /etc/sysctl.d of its own).
 * Returns 0, or -1 with a one-line reason in why (starting "usage: ").
 */
int kh_parse_args(int argc, char *const argv[], struct kh_request *req, char *why, size_t why_len);

enum kh_number { KH_NUMBER_OK, KH_NUMBER_MALFORMED, KH_NUMBER_RANGE };

/* One decimal number, strictly: digits only, no leading zero ("0" itself is a number). */
enum kh_number kh_parse_number(const char *s, size_t n, uint32_t min, uint32_t max, uint32_t *out);

/* A /proc/sys value as the kernel prints it: "DIGITS\n", 0..KH_SYSCTL_MAX. 0 or -1. */
int kh_parse_sysctl(const char *buf, size_t n, uint32_t *out);

/*
 * Escapes bytes so that they fit in one tab-separated field (as sockdiag escapes comm): a
 * backslash doubled, bytes below 0x20 and 0x7f as \xHH. Writes at most cap - 1 bytes and a
 * NUL (stopping before an escape that would not fit); returns the length of the full escape,
 * which may be more.
 */
size_t kh_escape(const char *s, size_t n, char *out, size_t cap);

/* Reverses kh_escape into out (at least n bytes; no NUL added). Returns the length, or -1 if malformed. */
long kh_unescape(const char *s, size_t n, char *out);

/* The drop-in's full text for these values. Returns its length (< cap) or 0 if cap is too small. */
size_t kh_format_dropin(const struct kh_values *v, char *out, size_t cap);

/*
 * A change the helper makes: written as the journal before anything changes, renamed to
 * last-apply once the change is verified (so the commit is one rename). Text, one field a line:
 *
 *   idlewatch-keepalive-change/1
 *   verb    apply|undo
 *   uid     <uid of the user who asked>
 *   started <epoch ms>
 *   before  <time> <intvl> <probes>     the values in force before the change
 *   after   <time> <intvl> <probes>     the values the change sets
 *   netns   <inode> pid|name <pid|name> only for another namespace than the helper's own: the
 *                                       one changed, and how it was entered (never with dropin 1)
 *   dropin  0|1                         whether the change writes (or removes) the drop-in
 *   previous -|<escaped bytes>          the drop-in before the change; - = there was none
 *   end
 *
 * Fields are separated by one tab; every line ends in "\n"; nothing follows "end".
 */
struct kh_change {
  enum kh_verb verb; /* KH_APPLY or KH_UNDO */
  uint32_t uid;
  uint64_t started_ms;
  struct kh_values before, after;
  struct kh_netns netns; /* KH_NETNS_OWN when the record has no netns line */
  int dropin;
  int had_previous;
  char *previous; /* malloc'd (or NULL when there was none), previous_len bytes */
  size_t previous_len;
};

#define KH_CHANGE_MAGIC "idlewatch-keepalive-change/1"

/* malloc'd text of the record; *len set. NULL when out of memory. */
char *kh_format_change(const struct kh_change *c, size_t *len);

/* Parses a record strictly. 0, or -1 with the reason in why. On success free with kh_change_free. */
int kh_parse_change(const char *text, size_t n, struct kh_change *out, char *why, size_t why_len);

void kh_change_free(struct kh_change *c);

enum kh_outcome { KH_APPLIED, KH_ROLLED_BACK, KH_FAILED };

/*
 * One history line (the protocol's):
 * H <epoch_ms> <uid> <apply|undo> <b_time> <b_intvl> <b_probes> <a_time> <a_intvl> <a_probes>
 *   <persisted 0|1> <applied|rolled-back|failed> <message, escaped> [<netns inode>]
 * "after" is what the change set (applied) or tried to set (rolled-back, failed). The last field
 * is there only for a change of another network namespace than the helper's own: lines without it
 * (all lines before namespaces) are about the helper's own, and read by older readers unchanged.
 */
struct kh_history {
  uint64_t at_ms;
  uint32_t uid;
  enum kh_verb verb;
  struct kh_values before, after;
  int persisted;
  enum kh_outcome outcome;
  const char *message;
  uint32_t netns_inode; /* 0: the helper's own namespace */
};

/* The message is cut to this many bytes before escaping. */
#define KH_HISTORY_MESSAGE_MAX 1000
#define KH_HISTORY_LINE_MAX (200 + 4 * KH_HISTORY_MESSAGE_MAX)

/* Formats the line with its "\n" into out (KH_HISTORY_LINE_MAX bytes). Returns its length. */
size_t kh_format_history(const struct kh_history *h, char *out, size_t cap);

/*
 * Parses one line (with or without its "\n") strictly; the message is unescaped into message
 * (at least n + 1 bytes), NUL-terminated, and h->message points at it. 0 or -1.
 */
int kh_parse_history(const char *line, size_t n, struct kh_history *h, char *message);

const char *kh_verb_name(enum kh_verb v);
const char *kh_outcome_name(enum kh_outcome o);

#endif
