/*
 * Runs one function of idlewatch-keepalive's pure half
 * (main/platform/linux/keepalive-helper/keepalive-core.c) and prints what it made of the input,
 * for test/unit/platform/linux/keepalive-helper-core.test.ts. Input that is bytes comes on stdin.
 *
 *   args ARG...            "ok apply T I P persist|runtime[ NETNS]" / "ok undo[ NETNS]" / "ok recover" /
 *                          "usage<TAB>why", where NETNS is "netns pid PID INODE" or "netns name NAME INODE"
 *   sysctl                 "ok N" / "bad"
 *   escape                 the escaped bytes
 *   unescape               the bytes / exit 1
 *   dropin T I P           the drop-in's text
 *   change-format VERB UID STARTED BT BI BP AT AI AP DROPIN HAD_PREVIOUS [pid|name VALUE INODE]
 *                          (previous content on stdin)
 *   change-parse           "ok VERB UID STARTED BT BI BP AT AI AP DROPIN HAD_PREVIOUS HEX(previous)[ NETNS]" /
 *                          "bad<TAB>why"
 *   history-format AT UID VERB BT BI BP AT AI AP PERSISTED OUTCOME [NETNS_INODE]   (message on stdin)
 *   history-parse          "ok AT UID VERB BT BI BP AT AI AP PERSISTED OUTCOME HEX(message)[ netns INODE]" / "bad"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../main/platform/linux/keepalive-helper/keepalive-core.h"

static char *read_stdin(size_t *len) {
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  if (!buf) exit(4);
  *len = n;
  return buf;
}

static uint32_t u32(const char *s) { return (uint32_t)strtoul(s, NULL, 10); }

static void hex(const char *p, size_t n) {
  if (!n) fputs("-", stdout);
  for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)p[i]);
}

static void print_netns(const struct kh_netns *ns) {
  if (ns->kind == KH_NETNS_PID) printf(" netns pid %u %u", ns->pid, ns->inode);
  if (ns->kind == KH_NETNS_NAME) printf(" netns name %s %u", ns->name, ns->inode);
}

static struct kh_netns netns_of(const char *kind, const char *value, const char *inode) {
  struct kh_netns ns;
  memset(&ns, 0, sizeof ns);
  ns.kind = strcmp(kind, "pid") == 0 ? KH_NETNS_PID : KH_NETNS_NAME;
  if (ns.kind == KH_NETNS_PID)
    ns.pid = u32(value);
  else
    snprintf(ns.name, sizeof ns.name, "%s", value);
  ns.inode = u32(inode);
  return ns;
}

static enum kh_verb verb_of(const char *s) { return strcmp(s, "undo") == 0 ? KH_UNDO : KH_APPLY; }

static enum kh_outcome outcome_of(const char *s) {
  return strcmp(s, "applied") == 0 ? KH_APPLIED : strcmp(s, "rolled-back") == 0 ? KH_ROLLED_BACK : KH_FAILED;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *cmd = argv[1];
  size_t len;
  char why[KH_WHY_MAX];

  if (strcmp(cmd, "args") == 0) {
    struct kh_request req;
    /* argv[1] stands in for the program name: the helper sees "args" as argv[0]. */
    if (kh_parse_args(argc - 1, argv + 1, &req, why, sizeof why)) {
      printf("usage\t%s\n", why);
    } else if (req.verb == KH_APPLY) {
      printf("ok apply %u %u %u %s", req.values.time, req.values.intvl, req.values.probes,
             req.persist ? "persist" : "runtime");
      print_netns(&req.netns);
      puts("");
    } else {
      printf("ok %s", kh_verb_name(req.verb));
      print_netns(&req.netns);
      puts("");
    }
    return 0;
  }
  if (strcmp(cmd, "sysctl") == 0) {
    char *in = read_stdin(&len);
    uint32_t v;
    if (kh_parse_sysctl(in, len, &v) == 0)
      printf("ok %u\n", v);
    else
      puts("bad");
    free(in);
    return 0;
  }
  if (strcmp(cmd, "escape") == 0) {
    char *in = read_stdin(&len);
    size_t need = kh_escape(in, len, NULL, 0);
    char *out = malloc(need + 1);
    if (!out) return 4;
    kh_escape(in, len, out, need + 1);
    fwrite(out, 1, need, stdout);
    free(out);
    free(in);
    return 0;
  }
  if (strcmp(cmd, "unescape") == 0) {
    char *in = read_stdin(&len);
    char *out = malloc(len + 1);
    if (!out) return 4;
    long n = kh_unescape(in, len, out);
    if (n >= 0) fwrite(out, 1, (size_t)n, stdout);
    free(out);
    free(in);
    return n < 0;
  }
  if (strcmp(cmd, "dropin") == 0 && argc == 5) {
    struct kh_values v = {u32(argv[2]), u32(argv[3]), u32(argv[4])};
    char text[KH_DROPIN_TEXT_MAX];
    size_t n = kh_format_dropin(&v, text, sizeof text);
    fwrite(text, 1, n, stdout);
    return n ? 0 : 1;
  }
  if (strcmp(cmd, "change-format") == 0 && (argc == 13 || argc == 16)) {
    char *in = read_stdin(&len);
    struct kh_change c = {.verb = verb_of(argv[2]),
                          .uid = u32(argv[3]),
                          .started_ms = strtoull(argv[4], NULL, 10),
                          .before = {u32(argv[5]), u32(argv[6]), u32(argv[7])},
                          .after = {u32(argv[8]), u32(argv[9]), u32(argv[10])},
                          .dropin = atoi(argv[11]),
                          .had_previous = atoi(argv[12]),
                          .previous = in,
                          .previous_len = len};
    if (argc == 16) c.netns = netns_of(argv[13], argv[14], argv[15]);
    size_t n;
    char *text = kh_format_change(&c, &n);
    if (!text) return 4;
    fwrite(text, 1, n, stdout);
    free(text);
    free(in);
    return 0;
  }
  if (strcmp(cmd, "change-parse") == 0) {
    char *in = read_stdin(&len);
    struct kh_change c;
    if (kh_parse_change(in, len, &c, why, sizeof why)) {
      printf("bad\t%s\n", why);
    } else {
      printf("ok %s %u %llu %u %u %u %u %u %u %d %d ", kh_verb_name(c.verb), c.uid, (unsigned long long)c.started_ms,
             c.before.time, c.before.intvl, c.before.probes, c.after.time, c.after.intvl, c.after.probes, c.dropin,
             c.had_previous);
      hex(c.previous, c.previous_len);
      print_netns(&c.netns);
      puts("");
      kh_change_free(&c);
    }
    free(in);
    return 0;
  }
  if (strcmp(cmd, "history-format") == 0 && (argc == 13 || argc == 14)) {
    char *in = read_stdin(&len);
    char *message = malloc(len + 1);
    if (!message) return 4;
    memcpy(message, in, len);
    message[len] = 0;
    struct kh_history h = {.at_ms = strtoull(argv[2], NULL, 10),
                           .uid = u32(argv[3]),
                           .verb = verb_of(argv[4]),
                           .before = {u32(argv[5]), u32(argv[6]), u32(argv[7])},
                           .after = {u32(argv[8]), u32(argv[9]), u32(argv[10])},
                           .persisted = atoi(argv[11]),
                           .outcome = outcome_of(argv[12]),
                           .message = message,
                           .netns_inode = argc == 14 ? u32(argv[13]) : 0};
    char line[KH_HISTORY_LINE_MAX];
    size_t n = kh_format_history(&h, line, sizeof line);
    fwrite(line, 1, n, stdout);
    free(message);
    free(in);
    return n ? 0 : 1;
  }
  if (strcmp(cmd, "history-parse") == 0) {
    char *in = read_stdin(&len);
    char *message = malloc(len + 1);
    if (!message) return 4;
    struct kh_history h;
    if (kh_parse_history(in, len, &h, message)) {
      puts("bad");
    } else {
      printf("ok %llu %u %s %u %u %u %u %u %u %d %s ", (unsigned long long)h.at_ms, h.uid, kh_verb_name(h.verb),
             h.before.time, h.before.intvl, h.before.probes, h.after.time, h.after.intvl, h.after.probes, h.persisted,
             kh_outcome_name(h.outcome));
      hex(h.message, strlen(h.message));
      if (h.netns_inode) printf(" netns %u", h.netns_inode);
      puts("");
    }
    free(message);
    free(in);
    return 0;
  }
  fprintf(stderr, "unknown command or wrong argument count: %s\n", cmd);
  return 2;
}
