/*
 * Feeds netlink buffers to nl_batch_parse (main/platform/linux/sockdiag/netlink-batch.c) and
 * prints what it made of them, for test/unit/platform/linux/sockdiag-netlink-batch.test.ts.
 *
 * stdin: frames of [u32 seq][u32 portid][u32 length][length bytes], little-endian; each frame
 * is one recv()'d buffer, parsed with that expected sequence number and port id.
 * stdout, per frame: one line per record appended,
 *   R family state lport rport inode uid timer expires_ms has_info last_data_recv_ms rto_us batch
 * then
 *   B status appended foreign unexpected interrupted error...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../main/platform/linux/sockdiag/netlink-batch.h"

static int read_u32(uint32_t *v) {
  unsigned char b[4];
  if (fread(b, 1, 4, stdin) != 4) return 0;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return 1;
}

int main(void) {
  static const char *status_names[] = {"more", "done", "error"};
  uint32_t seq, portid, len;
  for (uint32_t frame = 0; read_u32(&seq) && read_u32(&portid) && read_u32(&len); frame++) {
    /* Exactly len bytes on the heap, so that AddressSanitizer sees any read past them. */
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf || fread(buf, 1, len, stdin) != len) {
      fprintf(stderr, "short frame\n");
      return 2;
    }
    struct sock_vec out = {0};
    struct nl_batch_report report;
    struct nl_batch_expect expect = {.seq = seq, .portid = portid, .batch = frame};
    enum nl_batch_status status = nl_batch_parse(buf, len, &expect, &out, &report);
    for (size_t i = 0; i < out.n; i++) {
      const struct sock_rec *r = &out.v[i];
      printf("R %d %u %u %u %llu %u %u %u %u %u %u %u\n", r->family == AF_INET ? 4 : 6, r->state, r->lport, r->rport,
             (unsigned long long)r->inode, r->uid, r->timer, r->expires_ms, r->has_info, r->last_data_recv, r->rto_us,
             r->batch);
    }
    printf("B %s %u %u %u %d %s\n", status_names[status], report.appended, report.foreign, report.unexpected,
           report.interrupted, status == NL_BATCH_ERROR ? report.error : "-");
    free(out.v);
    free(buf);
  }
  return 0;
}
