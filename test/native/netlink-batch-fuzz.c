/*
 * Fuzz target for nl_batch_parse. Input: [u32 seq][u32 portid][one recv()'d buffer], so the
 * fuzzer varies the expected sequence and port as well as every byte the kernel would send.
 *
 * With libFuzzer:  clang -g -O1 -fsanitize=fuzzer,address,undefined netlink-batch-fuzz.c \
 *                    ../../main/platform/linux/sockdiag/netlink-batch.c
 * Without it, fuzz-mutate-main.c supplies main() (any C compiler with ASan/UBSan).
 * test/unit/platform/linux/sockdiag-netlink-fuzz.test.ts runs it, seeded from the recording
 * test/fixtures/linux/sockdiag-netlink-dump.hex.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../main/platform/linux/sockdiag/netlink-batch.h"

/* A broken promise of the parser is a crash, so the fuzzer reports it like a memory error. */
#define CHECK(cond) \
  do {              \
    if (!(cond)) abort(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 8) return 0;
  struct nl_batch_expect expect = {.batch = 7};
  memcpy(&expect.seq, data, 4);
  memcpy(&expect.portid, data + 4, 4);
  size_t len = size - 8;
  /* The buffer alone, in a block of exactly its size: a read past it is a heap overflow. */
  uint8_t *buf = malloc(len ? len : 1);
  CHECK(buf);
  memcpy(buf, data + 8, len);
  /* Kept between runs: growing a fresh vector (4096 records) each run would dominate the time. */
  static struct sock_vec out;
  out.n = 0;
  /* Records appended before this call must be left alone. */
  struct sock_rec *before = sock_vec_push(&out);
  before->inode = 42;
  struct nl_batch_report report;
  enum nl_batch_status status = nl_batch_parse(buf, len, &expect, &out, &report);
  CHECK(status == NL_BATCH_MORE || status == NL_BATCH_DONE || status == NL_BATCH_ERROR);
  CHECK(out.n == 1 + (size_t)report.appended);
  CHECK(out.v[0].inode == 42);
  CHECK(memchr(report.error, 0, sizeof report.error) != NULL);
  CHECK((status == NL_BATCH_ERROR) == (report.error[0] != 0));
  /* Every record needs at least a header and an inet_diag_msg: 88 bytes each. */
  CHECK((size_t)report.appended * 88 <= len);
  for (size_t i = 1; i < out.n; i++) {
    CHECK(out.v[i].family == AF_INET || out.v[i].family == AF_INET6);
    CHECK(out.v[i].batch == 7);
  }
  free(buf);
  return 0;
}
