/*
 * Feeds netlink buffers to nl_events_parse (main/platform/linux/sockdiag/netlink-events.c) and
 * prints what it made of them, for test/unit/platform/linux/connection-ends.test.ts.
 *
 * stdin: frames of [u32 length][length bytes], little-endian; each frame is one recv()'d buffer.
 * stdout, per frame: one line per record appended,
 *   R family state lport rport protocol has_info info_len probes last_ack_recv_ms rqueue wqueue
 * then
 *   B status appended foreign unexpected malformed error...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../main/platform/linux/sockdiag/netlink-events.h"

static int read_u32(uint32_t *v) {
  unsigned char b[4];
  if (fread(b, 1, 4, stdin) != 4) return 0;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return 1;
}

int main(void) {
  uint32_t len;
  while (read_u32(&len)) {
    /* Exactly len bytes on the heap, so that AddressSanitizer sees any read past them. */
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf || fread(buf, 1, len, stdin) != len) {
      fprintf(stderr, "short frame\n");
      return 2;
    }
    struct sock_vec out = {0};
    struct nl_events_report report;
    int status = nl_events_parse(buf, len, &out, &report);
    for (size_t i = 0; i < out.n; i++) {
      const struct sock_rec *r = &out.v[i];
      printf("R %d %u %u %u %u %u %u %u %u %u %u\n", r->family == AF_INET ? 4 : 6, r->state, r->lport, r->rport,
             r->protocol, r->has_info, r->info_len, r->probes, r->last_ack_recv, r->rqueue, r->wqueue);
    }
    printf("B %s %u %u %u %u %s\n", status == 0 ? "ok" : "broken", report.appended, report.foreign, report.unexpected,
           report.malformed, report.error[0] ? report.error : "-");
    free(out.v);
    free(buf);
  }
  return 0;
}
