/*
 * Fuzz target for the pure half of idlewatch-keepalive
 * (main/platform/linux/keepalive-helper/keepalive-core.c), for libFuzzer or fuzz-mutate-main.c.
 * The first byte picks what the rest is fed to:
 *   0 a change record (journal / last-apply)   1 a history line   2 argv (NUL-separated)
 *   3 a /proc/sys value                        4 escape then unescape
 * Besides surviving AddressSanitizer and UndefinedBehaviorSanitizer, every parser must be
 * canonical: whatever it accepts, formatted again, is the very same bytes (so no second
 * spelling of a value, an escape or a number can slip through). A broken promise aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../main/platform/linux/keepalive-helper/keepalive-core.h"

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "broken promise: %s\n", what);
    abort();
  }
}

static void change_record(const uint8_t *data, size_t size) {
  char *text = malloc(size ? size : 1); /* exactly size bytes: a read past them is caught */
  if (!text) abort();
  memcpy(text, data, size);
  struct kh_change c;
  char why[KH_WHY_MAX];
  if (kh_parse_change(text, size, &c, why, sizeof why) == 0) {
    size_t len;
    char *again = kh_format_change(&c, &len);
    check(again != NULL, "an accepted record formats");
    check(len == size && memcmp(again, text, size) == 0, "an accepted record is canonical");
    free(again);
    kh_change_free(&c);
  } else {
    check(why[0] != 0, "a refusal says why");
  }
  free(text);
}

static void history_line(const uint8_t *data, size_t size) {
  char *line = malloc(size ? size : 1);
  char *message = malloc(size + 1);
  if (!line || !message) abort();
  memcpy(line, data, size);
  struct kh_history h;
  if (kh_parse_history(line, size, &h, message) == 0 && strlen(message) <= KH_HISTORY_MESSAGE_MAX) {
    char again[KH_HISTORY_LINE_MAX];
    size_t len = kh_format_history(&h, again, sizeof again);
    check(len > 0, "an accepted history line formats");
    size_t body = size && line[size - 1] == '\n' ? size - 1 : size;
    check(len == body + 1 && memcmp(again, line, body) == 0, "an accepted history line is canonical");
  }
  free(message);
  free(line);
}

static void arguments(const uint8_t *data, size_t size) {
  /* argv[0] is the program; the fuzzed bytes, split at NULs, are the rest (at most 10). */
  char *copy = malloc(size + 1);
  if (!copy) abort();
  memcpy(copy, data, size);
  copy[size] = 0;
  char *argv[12] = {"idlewatch-keepalive"};
  int argc = 1;
  for (size_t start = 0; argc < 11;) {
    argv[argc++] = copy + start;
    size_t len = strlen(copy + start);
    if (start + len >= size) break;
    start += len + 1;
  }
  argv[argc] = NULL;
  struct kh_request req;
  char why[KH_WHY_MAX];
  if (kh_parse_args(argc, argv, &req, why, sizeof why) == 0) {
    char num[16];
    /* Where --netns starts, if it was given: after apply's four arguments or right after undo. */
    int netns_at = req.verb == KH_APPLY ? 6 : 2;
    if (req.netns.kind != KH_NETNS_OWN) {
      check(argc == netns_at + 4 && strcmp(argv[netns_at], "--netns") == 0, "a namespace comes from --netns only");
      check(strcmp(argv[netns_at + 1], req.netns.kind == KH_NETNS_PID ? "pid" : "name") == 0, "the way in is a fixed word");
      if (req.netns.kind == KH_NETNS_PID) {
        check(req.netns.pid >= 1 && req.netns.pid <= KH_PID_MAX, "an accepted pid is in range");
        snprintf(num, sizeof num, "%u", req.netns.pid);
        check(strcmp(num, argv[netns_at + 2]) == 0, "an accepted pid is canonical");
      } else {
        check(kh_netns_name_ok(req.netns.name, strlen(req.netns.name)) && strcmp(req.netns.name, argv[netns_at + 2]) == 0,
              "an accepted name is the name given, and a valid one");
        check(strcmp(req.netns.name, ".") != 0 && strcmp(req.netns.name, "..") != 0 && !strchr(req.netns.name, '/'),
              "a name never leaves /run/netns");
      }
      check(req.netns.inode >= 1, "an accepted inode is not 0");
      snprintf(num, sizeof num, "%u", req.netns.inode);
      check(strcmp(num, argv[netns_at + 3]) == 0, "an accepted inode is canonical");
      check(!req.persist, "a namespace is never persisted");
      argc -= 4; /* the rest is checked as without it */
    }
    if (req.verb == KH_APPLY) {
      check(argc == 6 && strcmp(argv[1], "apply") == 0, "apply has four arguments");
      const uint32_t v[3] = {req.values.time, req.values.intvl, req.values.probes};
      const uint32_t max[3] = {KH_TIME_MAX, KH_INTVL_MAX, KH_PROBES_MAX};
      for (int i = 0; i < 3; i++) {
        check(v[i] >= 1 && v[i] <= max[i], "an accepted value is in range");
        snprintf(num, sizeof num, "%u", v[i]);
        check(strcmp(num, argv[i + 2]) == 0, "an accepted number is canonical");
      }
      check(strcmp(argv[5], req.persist ? "persist" : "runtime") == 0, "the mode is a fixed word");
    } else {
      check(argc == 2 && strcmp(argv[1], req.verb == KH_UNDO ? "undo" : "recover") == 0, "a bare verb");
    }
  } else {
    check(strncmp(why, "usage: ", 7) == 0, "a refusal starts with usage:");
  }
  free(copy);
}

static void sysctl_value(const uint8_t *data, size_t size) {
  char *text = malloc(size ? size : 1);
  if (!text) abort();
  memcpy(text, data, size);
  uint32_t v;
  if (kh_parse_sysctl(text, size, &v) == 0) {
    char again[16];
    int len = snprintf(again, sizeof again, "%u\n", v);
    check(v <= KH_SYSCTL_MAX, "a sysctl value fits an int");
    check((size_t)len == size && memcmp(again, text, size) == 0, "an accepted sysctl value is canonical");
  }
  free(text);
}

static void escaping(const uint8_t *data, size_t size) {
  size_t need = kh_escape((const char *)data, size, NULL, 0);
  char *escaped = malloc(need + 1);
  char *back = malloc(need + 1);
  if (!escaped || !back) abort();
  check(kh_escape((const char *)data, size, escaped, need + 1) == need && strlen(escaped) == need, "escape fits");
  for (size_t i = 0; i < need; i++)
    check((unsigned char)escaped[i] >= 0x20 && escaped[i] != 0x7f, "no control byte survives escaping");
  long n = kh_unescape(escaped, need, back);
  check(n >= 0 && (size_t)n == size && memcmp(back, data, size) == 0, "unescape reverses escape");
  /* A short buffer: cut cleanly, never past it. */
  char small[9];
  kh_escape((const char *)data, size, small, sizeof small);
  check(strlen(small) < sizeof small, "a short buffer is NUL-terminated");
  free(back);
  free(escaped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const uint8_t *rest = data + 1;
  size_t n = size - 1;
  switch (data[0] % 5) {
    case 0:
      change_record(rest, n);
      break;
    case 1:
      history_line(rest, n);
      break;
    case 2:
      arguments(rest, n);
      break;
    case 3:
      sysctl_value(rest, n);
      break;
    default:
      escaping(rest, n);
      break;
  }
  return 0;
}
