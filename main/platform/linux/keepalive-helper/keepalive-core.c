/*
 * The pure half of idlewatch-keepalive (see keepalive-core.h): strict parsers and formatters,
 * no I/O. Every parser refuses what it does not fully understand.
 */
#include "keepalive-core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t why_len, const char *fmt, ...) {
  if (why && why_len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
  }
  return -1;
}

const char *kh_verb_name(enum kh_verb v) {
  switch (v) {
    case KH_APPLY:
      return "apply";
    case KH_UNDO:
      return "undo";
    case KH_RECOVER:
      return "recover";
  }
  return "?";
}

const char *kh_outcome_name(enum kh_outcome o) {
  switch (o) {
    case KH_APPLIED:
      return "applied";
    case KH_ROLLED_BACK:
      return "rolled-back";
    case KH_FAILED:
      return "failed";
  }
  return "?";
}

/* ---------- numbers ---------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits only, no leading zero, at most 20 digits, no overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out) {
  if (n == 0 || n > 20 || (n > 1 && s[0] == '0')) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(s[i])) return -1;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

enum kh_number kh_parse_number(const char *s, size_t n, uint32_t min, uint32_t max, uint32_t *out) {
  if (n == 0) return KH_NUMBER_MALFORMED;
  for (size_t i = 0; i < n; i++)
    if (!is_digit(s[i])) return KH_NUMBER_MALFORMED;
  if (n > 1 && s[0] == '0') return KH_NUMBER_MALFORMED;
  if (n > 10) return KH_NUMBER_RANGE; /* more digits than any uint32 */
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10 + (uint64_t)(s[i] - '0');
  if (v < min || v > max) return KH_NUMBER_RANGE;
  *out = (uint32_t)v;
  return KH_NUMBER_OK;
}

int kh_parse_sysctl(const char *buf, size_t n, uint32_t *out) {
  if (n < 2 || buf[n - 1] != '\n') return -1;
  return kh_parse_number(buf, n - 1, 0, KH_SYSCTL_MAX, out) == KH_NUMBER_OK ? 0 : -1;
}

/* ---------- escaping ---------- */

size_t kh_escape(const char *s, size_t n, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t need = 0, w = 0;
  int room = cap > 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char piece[4];
    size_t len;
    if (c == '\\') {
      piece[0] = piece[1] = '\\';
      len = 2;
    } else if (c < 0x20 || c == 0x7f) {
      piece[0] = '\\';
      piece[1] = 'x';
      piece[2] = hex[c >> 4];
      piece[3] = hex[c & 15];
      len = 4;
    } else {
      piece[0] = (char)c;
      len = 1;
    }
    need += len;
    if (room && w + len < cap) {
      memcpy(out + w, piece, len);
      w += len;
    } else {
      room = 0; /* never a piece after one that did not fit */
    }
  }
  if (cap > 0) out[w] = 0;
  return need;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

long kh_unescape(const char *s, size_t n, char *out) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) return -1; /* kh_escape never leaves one */
    if (c != '\\') {
      out[w++] = (char)c;
      continue;
    }
    if (i + 1 < n && s[i + 1] == '\\') {
      out[w++] = '\\';
      i++;
      continue;
    }
    if (i + 3 < n && s[i + 1] == 'x') {
      int hi = hex_value(s[i + 2]), lo = hex_value(s[i + 3]);
      int byte = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
      /* Only what kh_escape writes that way: one text, one spelling. */
      if (byte < 0 || (byte >= 0x20 && byte != 0x7f)) return -1;
      out[w++] = (char)byte;
      i += 3;
      continue;
    }
    return -1;
  }
  return (long)w;
}

/* ---------- arguments ---------- */

/* A caller's argument, escaped and cut short, to name it in a message. */
static void quote_arg(const char *arg, char *out, size_t cap) {
  size_t n = strlen(arg);
  size_t shown = n > 40 ? 40 : n;
  size_t need = kh_escape(arg, shown, out, cap);
  if ((need >= cap || shown < n) && cap > 4) {
    size_t w = strlen(out);
    if (w > cap - 4) w = cap - 4;
    memcpy(out + w, "...", 4);
  }
}

static int parse_field(const char *arg, const char *name, uint32_t max, const char *unit, uint32_t *out, char *why,
                       size_t why_len) {
  char shown[200];
  quote_arg(arg, shown, sizeof shown);
  switch (kh_parse_number(arg, strlen(arg), 1, max, out)) {
    case KH_NUMBER_OK:
      return 0;
    case KH_NUMBER_RANGE:
      return fail(why, why_len, "usage: %s must be from 1 to %u%s: got \"%s\"", name, max, unit, shown);
    case KH_NUMBER_MALFORMED:
      break;
  }
  return fail(why, why_len,
              "usage: %s must be a whole number from 1 to %u%s, in digits only (no sign, space or leading zero): got \"%s\"",
              name, max, unit, shown);
}

int kh_netns_name_ok(const char *s, size_t n) {
  if (n == 0 || n > KH_NETNS_NAME_MAX) return 0;
  if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.' || c == '-')) return 0;
  }
  return 1;
}

#define NETNS_SYNOPSIS "--netns pid PID INODE or --netns name NAME INODE"
#define SYNOPSIS "apply TIME INTVL PROBES persist|runtime [" NETNS_SYNOPSIS "], undo [--netns ...], or recover"

/* `--netns pid PID INODE` or `--netns name NAME INODE`, at argv[0..3]. */
static int parse_netns(char *const argv[], struct kh_netns *ns, char *why, size_t why_len) {
  char shown[200];
  if (strcmp(argv[0], "--netns") != 0) {
    quote_arg(argv[0], shown, sizeof shown);
    return fail(why, why_len, "usage: the only option is " NETNS_SYNOPSIS ": got \"%s\"", shown);
  }
  memset(ns, 0, sizeof *ns);
  if (strcmp(argv[1], "pid") == 0) {
    ns->kind = KH_NETNS_PID;
    if (parse_field(argv[2], "PID", KH_PID_MAX, "", &ns->pid, why, why_len)) return -1;
  } else if (strcmp(argv[1], "name") == 0) {
    size_t n = strlen(argv[2]);
    if (!kh_netns_name_ok(argv[2], n)) {
      quote_arg(argv[2], shown, sizeof shown);
      return fail(why, why_len,
                  "usage: NAME must be an ip netns name of 1 to %u letters, digits, '_', '.' or '-' (not . or ..): got \"%s\"",
                  KH_NETNS_NAME_MAX, shown);
    }
    ns->kind = KH_NETNS_NAME;
    memcpy(ns->name, argv[2], n + 1);
  } else {
    quote_arg(argv[1], shown, sizeof shown);
    return fail(why, why_len, "usage: --netns takes pid PID INODE or name NAME INODE: got \"%s\"", shown);
  }
  return parse_field(argv[3], "INODE", KH_NETNS_INODE_MAX, "", &ns->inode, why, why_len);
}

int kh_parse_args(int argc, char *const argv[], struct kh_request *req, char *why, size_t why_len) {
  char shown[200];
  if (argc < 2 || !argv || !argv[1]) return fail(why, why_len, "usage: no verb (expected " SYNOPSIS ")");
  const char *verb = argv[1];
  memset(req, 0, sizeof *req);
  req->netns.kind = KH_NETNS_OWN;
  if (strcmp(verb, "apply") == 0) {
    if (argc != 6 && argc != 10)
      return fail(why, why_len,
                  "usage: apply takes 4 arguments, TIME INTVL PROBES persist|runtime, then optionally " NETNS_SYNOPSIS
                  ": got %d",
                  argc - 2);
    req->verb = KH_APPLY;
    if (parse_field(argv[2], "TIME", KH_TIME_MAX, " seconds", &req->values.time, why, why_len) ||
        parse_field(argv[3], "INTVL", KH_INTVL_MAX, " seconds", &req->values.intvl, why, why_len) ||
        parse_field(argv[4], "PROBES", KH_PROBES_MAX, "", &req->values.probes, why, why_len))
      return -1;
    if (strcmp(argv[5], "persist") == 0) {
      req->persist = 1;
    } else if (strcmp(argv[5], "runtime") == 0) {
      req->persist = 0;
    } else {
      quote_arg(argv[5], shown, sizeof shown);
      return fail(why, why_len, "usage: the fourth argument of apply must be persist or runtime: got \"%s\"", shown);
    }
    if (argc == 10 && parse_netns(argv + 6, &req->netns, why, why_len)) return -1;
    if (req->persist && req->netns.kind != KH_NETNS_OWN)
      return fail(why, why_len,
                  "usage: another network namespace is never persisted: it has no /etc/sysctl.d of its own, so apply "
                  "it with runtime, and persist it where the namespace is made (docker run --sysctl, Compose sysctls:, a "
                  "Kubernetes pod's securityContext.sysctls)");
    return 0;
  }
  if (strcmp(verb, "undo") == 0) {
    if (argc != 2 && argc != 6)
      return fail(why, why_len, "usage: undo takes no arguments, but optionally " NETNS_SYNOPSIS ": got %d", argc - 2);
    req->verb = KH_UNDO;
    if (argc == 6 && parse_netns(argv + 2, &req->netns, why, why_len)) return -1;
    return 0;
  }
  if (strcmp(verb, "recover") == 0) {
    if (argc != 2) return fail(why, why_len, "usage: %s takes no arguments: got %d", verb, argc - 2);
    req->verb = KH_RECOVER;
    return 0;
  }
  quote_arg(verb, shown, sizeof shown);
  return fail(why, why_len, "usage: unknown verb \"%s\" (expected " SYNOPSIS ")", shown);
}

/* ---------- the drop-in ---------- */

size_t kh_format_dropin(const struct kh_values *v, char *out, size_t cap) {
  int n = snprintf(out, cap,
                   "# Written by idlewatch-keepalive: the TCP keepalive profile applied with Idlewatch.\n"
                   "# `idlewatch undo` restores what was in force before; `idlewatch profiles` shows\n"
                   "# whether another sysctl file overrides these at boot.\n"
                   "net.ipv4.tcp_keepalive_time = %u\n"
                   "net.ipv4.tcp_keepalive_intvl = %u\n"
                   "net.ipv4.tcp_keepalive_probes = %u\n",
                   v->time, v->intvl, v->probes);
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---------- the change record ---------- */

char *kh_format_change(const struct kh_change *c, size_t *len) {
  size_t escaped = c->had_previous ? kh_escape(c->previous, c->previous_len, NULL, 0) : 0;
  size_t cap = 500 + escaped + 1;
  char netns[32 + KH_NETNS_NAME_MAX] = "";
  if (c->netns.kind == KH_NETNS_PID)
    snprintf(netns, sizeof netns, "netns\t%u\tpid\t%u\n", c->netns.inode, c->netns.pid);
  else if (c->netns.kind == KH_NETNS_NAME)
    snprintf(netns, sizeof netns, "netns\t%u\tname\t%s\n", c->netns.inode, c->netns.name);
  char *text = malloc(cap);
  if (!text) return NULL;
  int head = snprintf(text, cap,
                      KH_CHANGE_MAGIC "\n"
                                      "verb\t%s\n"
                                      "uid\t%u\n"
                                      "started\t%llu\n"
                                      "before\t%u\t%u\t%u\n"
                                      "after\t%u\t%u\t%u\n"
                                      "%s"
                                      "dropin\t%d\n"
                                      "previous\t%s",
                      kh_verb_name(c->verb), c->uid, (unsigned long long)c->started_ms, c->before.time, c->before.intvl,
                      c->before.probes, c->after.time, c->after.intvl, c->after.probes, netns, c->dropin ? 1 : 0,
                      c->had_previous ? "file\t" : "none");
  if (head < 0 || (size_t)head + escaped + 6 > cap) {
    free(text);
    return NULL;
  }
  size_t w = (size_t)head;
  if (c->had_previous) {
    kh_escape(c->previous, c->previous_len, text + w, cap - w);
    w += escaped;
  }
  memcpy(text + w, "\nend\n", 6);
  *len = w + 5;
  return text;
}

/* The next line of text without its "\n"; -1 when there is none or it is not terminated. */
static int next_line(const char *text, size_t n, size_t *pos, const char **line, size_t *len) {
  if (*pos >= n) return -1;
  const char *start = text + *pos;
  const char *nl = memchr(start, '\n', n - *pos);
  if (!nl) return -1;
  *line = start;
  *len = (size_t)(nl - start);
  *pos += *len + 1;
  return 0;
}

/* Splits on tabs into at most max fields; returns how many there are (max + 1 if more). */
static size_t split_tabs(const char *s, size_t n, const char **field, size_t *flen, size_t max) {
  size_t count = 0, start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '\t') {
      if (count == max) return max + 1;
      field[count] = s + start;
      flen[count] = i - start;
      count++;
      start = i + 1;
    }
  }
  return count;
}

static int field_is(const char *f, size_t n, const char *word) { return strlen(word) == n && memcmp(f, word, n) == 0; }

/* "key<TAB>a<TAB>b..." with exactly nvals values after the key. */
static int keyed(const char *line, size_t len, const char *key, const char **val, size_t *vlen, size_t nvals) {
  const char *f[9];
  size_t fl[9];
  if (nvals + 1 > 9) return -1;
  if (split_tabs(line, len, f, fl, nvals + 1) != nvals + 1 || !field_is(f[0], fl[0], key)) return -1;
  for (size_t i = 0; i < nvals; i++) {
    val[i] = f[i + 1];
    vlen[i] = fl[i + 1];
  }
  return 0;
}

static int parse_values(const char **v, const size_t *vl, struct kh_values *out) {
  return kh_parse_number(v[0], vl[0], 0, KH_SYSCTL_MAX, &out->time) != KH_NUMBER_OK ||
                 kh_parse_number(v[1], vl[1], 0, KH_SYSCTL_MAX, &out->intvl) != KH_NUMBER_OK ||
                 kh_parse_number(v[2], vl[2], 0, KH_SYSCTL_MAX, &out->probes) != KH_NUMBER_OK
             ? -1
             : 0;
}

/* `<inode> pid <pid>` or `<inode> name <name>`, as kh_format_change writes them. */
static int parse_netns_record(const char **v, const size_t *vl, struct kh_netns *ns) {
  memset(ns, 0, sizeof *ns);
  if (kh_parse_number(v[0], vl[0], 1, KH_NETNS_INODE_MAX, &ns->inode) != KH_NUMBER_OK) return -1;
  if (field_is(v[1], vl[1], "pid")) {
    ns->kind = KH_NETNS_PID;
    return kh_parse_number(v[2], vl[2], 1, KH_PID_MAX, &ns->pid) == KH_NUMBER_OK ? 0 : -1;
  }
  if (field_is(v[1], vl[1], "name") && kh_netns_name_ok(v[2], vl[2])) {
    ns->kind = KH_NETNS_NAME;
    memcpy(ns->name, v[2], vl[2]);
    ns->name[vl[2]] = 0;
    return 0;
  }
  return -1;
}

void kh_change_free(struct kh_change *c) {
  free(c->previous);
  c->previous = NULL;
  c->previous_len = 0;
}

int kh_parse_change(const char *text, size_t n, struct kh_change *out, char *why, size_t why_len) {
  memset(out, 0, sizeof *out);
  size_t pos = 0, len;
  const char *line, *v[3];
  size_t vl[3];
  uint64_t u;

  if (next_line(text, n, &pos, &line, &len) || !field_is(line, len, KH_CHANGE_MAGIC))
    return fail(why, why_len, "not an idlewatch-keepalive change record (first line)");

  if (next_line(text, n, &pos, &line, &len) || keyed(line, len, "verb", v, vl, 1))
    return fail(why, why_len, "malformed verb line");
  if (field_is(v[0], vl[0], "apply"))
    out->verb = KH_APPLY;
  else if (field_is(v[0], vl[0], "undo"))
    out->verb = KH_UNDO;
  else
    return fail(why, why_len, "unknown verb");

  if (next_line(text, n, &pos, &line, &len) || keyed(line, len, "uid", v, vl, 1) || parse_u64(v[0], vl[0], &u) ||
      u >= UINT32_MAX)
    return fail(why, why_len, "malformed uid line");
  out->uid = (uint32_t)u;

  if (next_line(text, n, &pos, &line, &len) || keyed(line, len, "started", v, vl, 1) ||
      parse_u64(v[0], vl[0], &out->started_ms))
    return fail(why, why_len, "malformed started line");

  if (next_line(text, n, &pos, &line, &len) || keyed(line, len, "before", v, vl, 3) || parse_values(v, vl, &out->before))
    return fail(why, why_len, "malformed before line");

  if (next_line(text, n, &pos, &line, &len) || keyed(line, len, "after", v, vl, 3) || parse_values(v, vl, &out->after))
    return fail(why, why_len, "malformed after line");

  out->netns.kind = KH_NETNS_OWN;
  if (next_line(text, n, &pos, &line, &len)) return fail(why, why_len, "malformed dropin line");
  if (len > 6 && memcmp(line, "netns\t", 6) == 0) {
    if (keyed(line, len, "netns", v, vl, 3) || parse_netns_record(v, vl, &out->netns))
      return fail(why, why_len, "malformed netns line");
    if (next_line(text, n, &pos, &line, &len)) return fail(why, why_len, "malformed dropin line");
  }
  if (keyed(line, len, "dropin", v, vl, 1) || !(field_is(v[0], vl[0], "0") || field_is(v[0], vl[0], "1")))
    return fail(why, why_len, "malformed dropin line");
  out->dropin = v[0][0] == '1';
  if (out->dropin && out->netns.kind != KH_NETNS_OWN)
    return fail(why, why_len, "a change of another network namespace never touches the drop-in");

  if (next_line(text, n, &pos, &line, &len)) return fail(why, why_len, "missing previous line");
  if (keyed(line, len, "previous", v, vl, 1) == 0 && field_is(v[0], vl[0], "none")) {
    out->had_previous = 0;
  } else if (keyed(line, len, "previous", v, vl, 2) == 0 && field_is(v[0], vl[0], "file")) {
    char *content = malloc(vl[1] + 1);
    if (!content) return fail(why, why_len, "out of memory");
    long m = kh_unescape(v[1], vl[1], content);
    if (m < 0 || (size_t)m > KH_DROPIN_MAX) {
      free(content);
      return fail(why, why_len, m < 0 ? "malformed escape in previous line" : "previous drop-in too large");
    }
    out->had_previous = 1;
    out->previous = content;
    out->previous_len = (size_t)m;
  } else {
    return fail(why, why_len, "malformed previous line");
  }

  if (next_line(text, n, &pos, &line, &len) || !field_is(line, len, "end") || pos != n) {
    kh_change_free(out);
    return fail(why, why_len, "not terminated by a single end line");
  }
  return 0;
}

/* ---------- history ---------- */

size_t kh_format_history(const struct kh_history *h, char *out, size_t cap) {
  int head = snprintf(out, cap, "H\t%llu\t%u\t%s\t%u\t%u\t%u\t%u\t%u\t%u\t%d\t%s\t", (unsigned long long)h->at_ms, h->uid,
                      kh_verb_name(h->verb), h->before.time, h->before.intvl, h->before.probes, h->after.time,
                      h->after.intvl, h->after.probes, h->persisted ? 1 : 0, kh_outcome_name(h->outcome));
  char tail[16] = "";
  if (h->netns_inode) snprintf(tail, sizeof tail, "\t%u", h->netns_inode);
  size_t tail_len = strlen(tail);
  if (head < 0 || (size_t)head + tail_len + 2 > cap) return 0;
  const char *msg = h->message ? h->message : "";
  size_t n = strlen(msg);
  if (n > KH_HISTORY_MESSAGE_MAX) n = KH_HISTORY_MESSAGE_MAX;
  size_t w = (size_t)head;
  size_t room = cap - w - tail_len - 1;
  size_t need = kh_escape(msg, n, out + w, room);
  if (need >= room) return 0;
  w += need;
  memcpy(out + w, tail, tail_len);
  w += tail_len;
  out[w++] = '\n';
  out[w] = 0;
  return w;
}

int kh_parse_history(const char *line, size_t n, struct kh_history *h, char *message) {
  if (n && line[n - 1] == '\n') n--;
  const char *f[14];
  size_t fl[14];
  uint64_t u;
  memset(h, 0, sizeof *h);
  size_t fields = split_tabs(line, n, f, fl, 14);
  if ((fields != 13 && fields != 14) || !field_is(f[0], fl[0], "H")) return -1;
  if (fields == 14 && kh_parse_number(f[13], fl[13], 1, KH_NETNS_INODE_MAX, &h->netns_inode) != KH_NUMBER_OK) return -1;
  if (parse_u64(f[1], fl[1], &h->at_ms) || parse_u64(f[2], fl[2], &u) || u >= UINT32_MAX) return -1;
  h->uid = (uint32_t)u;
  if (field_is(f[3], fl[3], "apply"))
    h->verb = KH_APPLY;
  else if (field_is(f[3], fl[3], "undo"))
    h->verb = KH_UNDO;
  else
    return -1;
  if (parse_values(f + 4, fl + 4, &h->before) || parse_values(f + 7, fl + 7, &h->after)) return -1;
  if (!(field_is(f[10], fl[10], "0") || field_is(f[10], fl[10], "1"))) return -1;
  h->persisted = f[10][0] == '1';
  if (field_is(f[11], fl[11], "applied"))
    h->outcome = KH_APPLIED;
  else if (field_is(f[11], fl[11], "rolled-back"))
    h->outcome = KH_ROLLED_BACK;
  else if (field_is(f[11], fl[11], "failed"))
    h->outcome = KH_FAILED;
  else
    return -1;
  long m = kh_unescape(f[12], fl[12], message);
  /* A NUL could not have come from kh_format_history (the message is a C string). */
  if (m < 0 || memchr(message, 0, (size_t)m)) return -1;
  message[m] = 0;
  h->message = message;
  return 0;
}
