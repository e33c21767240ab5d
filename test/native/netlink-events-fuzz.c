/*
 * Fuzz target for nl_events_parse. Input: one recv()'d buffer of TCP destroy announcements.
 *
 * With libFuzzer:  clang -g -O1 -fsanitize=fuzzer,address,undefined netlink-events-fuzz.c \
 *                    ../../main/platform/linux/sockdiag/netlink-events.c \
 *                    ../../main/platform/linux/sockdiag/netlink-batch.c
 * Without it, fuzz-mutate-main.c supplies main() (any C compiler with ASan/UBSan).
 * test/unit/platform/linux/connection-ends.test.ts runs it, seeded from the recording
 * test/fixtures/linux/sockdiag-events-netlink.hex.
 */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../main/platform/linux/sockdiag/netlink-events.h"

/* A broken promise of the parser is a crash, so the fuzzer reports it like a memory error. */
#define CHECK(cond) \
  do {              \
    if (!(cond)) abort(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The buffer alone, in a block of exactly its size: a read past it is a heap overflow. */
  uint8_t *buf = malloc(size ? size : 1);
  CHECK(buf);
  memcpy(buf, data, size);
  static struct sock_vec out;
  out.n = 0;
  /* Records appended before this call must be left alone. */
  struct sock_rec *before = sock_vec_push(&out);
  before->inode = 42;
  struct nl_events_report report;
  int status = nl_events_parse(buf, size, &out, &report);
  CHECK(status == 0 || status == -1);
  CHECK(out.n == 1 + (size_t)report.appended);
  CHECK(out.v[0].inode == 42);
  CHECK(memchr(report.error, 0, sizeof report.error) != NULL);
  /* Anything skipped or a broken buffer says why. */
  CHECK(status == 0 || report.error[0] != 0);
  CHECK(report.malformed == 0 || report.error[0] != 0);
  /* Every record needs at least a header and an inet_diag_msg: 88 bytes each. */
  CHECK((size_t)report.appended * 88 <= size);
  for (size_t i = 1; i < out.n; i++) {
    CHECK(out.v[i].family == AF_INET || out.v[i].family == AF_INET6);
    CHECK(out.v[i].protocol == 0 || out.v[i].protocol == IPPROTO_TCP);
    CHECK(out.v[i].info_len <= sizeof(struct tcp_info));
    CHECK(out.v[i].has_info || out.v[i].info_len == 0);
  }
  free(buf);
  return 0;
}
