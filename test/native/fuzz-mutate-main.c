/*
 * A deterministic stand-in for libFuzzer's main(), for machines whose clang has no libFuzzer
 * runtime: runs LLVMFuzzerTestOneInput on each seed, then on mutants of the seeds made by a
 * fixed-seed generator (bit flips, boundary values written over length and type fields,
 * truncation, splices, insertions), so a failure can be replayed run for run.
 *
 *   cc -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
 *      fuzz-mutate-main.c netlink-batch-fuzz.c ../../main/platform/linux/sockdiag/netlink-batch.c
 *   ./a.out -runs=200000 -max_total_time=20 seed...
 *
 * Prints "done N runs"; a sanitizer report or a failed check aborts it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static size_t below(size_t n) {
  return n ? (size_t)(next() % n) : 0;
}

struct bytes {
  uint8_t *p;
  size_t n;
};

static struct bytes read_file(const char *path) {
  struct bytes b = {0};
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  size_t cap = 4096;
  b.p = malloc(cap);
  size_t got;
  while (b.p && (got = fread(b.p + b.n, 1, cap - b.n, f)) > 0) {
    b.n += got;
    if (b.n == cap) b.p = realloc(b.p, cap *= 2);
  }
  fclose(f);
  if (!b.p) exit(4);
  return b;
}

/* Values that sit on the edges of the checks: zero, header sizes, ±1 around them, huge. */
static uint32_t boundary_u32(size_t len) {
  static const uint32_t fixed[] = {0, 1, 3, 4, 15, 16, 17, 19, 20, 35, 36, 87, 88, 89, 91, 92, 0x7fffffff, 0x80000000, 0xffffffff};
  size_t k = below(sizeof fixed / sizeof fixed[0] + 3);
  if (k < sizeof fixed / sizeof fixed[0]) return fixed[k];
  if (k == sizeof fixed / sizeof fixed[0]) return (uint32_t)len;
  if (k == sizeof fixed / sizeof fixed[0] + 1) return (uint32_t)len + 1 + (uint32_t)below(8);
  return (uint32_t)below(512);
}

static void mutate(uint8_t *b, size_t *n, size_t cap, const struct bytes *seeds, int nseeds) {
  int rounds = 1 + (int)below(4);
  for (int r = 0; r < rounds; r++) {
    switch (below(8)) {
    case 0: /* flip a bit */
      if (*n) b[below(*n)] ^= (uint8_t)(1u << below(8));
      break;
    case 1: /* a byte to an edge value */
      if (*n) b[below(*n)] = (uint8_t[]){0, 1, 0x7f, 0x80, 0xff, 0x10, 0x14}[below(7)];
      break;
    case 2: /* a 32-bit field (nlmsg_len, nlmsg_seq, nlmsg_pid, nlmsgerr.error ...) to an edge value */
      if (*n >= 4) {
        size_t at = below(*n / 4) * 4;
        uint32_t v = boundary_u32(*n - at);
        memcpy(b + at, &v, 4);
      }
      break;
    case 3: /* a 16-bit field (nlmsg_type, nlmsg_flags, rta_len, rta_type) to an edge value */
      if (*n >= 2) {
        size_t at = below(*n / 2) * 2;
        uint16_t v = (uint16_t)(uint16_t[]){0, 1, 2, 3, 4, 8, 20, 0x10, 0x12, 0xffff, 248, 252}[below(12)];
        if (below(3) == 0) v = (uint16_t)boundary_u32(*n - at);
        memcpy(b + at, &v, 2);
      }
      break;
    case 4: /* cut the buffer short */
      *n = below(*n + 1);
      break;
    case 5: { /* splice in a piece of a seed */
      const struct bytes *s = &seeds[below((size_t)nseeds)];
      if (!s->n) break;
      size_t from = below(s->n), len = 1 + below(s->n - from);
      size_t at = below(*n + 1);
      if (at + len > cap) len = cap - at;
      memcpy(b + at, s->p + from, len);
      if (at + len > *n) *n = at + len;
      break;
    }
    case 6: { /* insert or delete a few bytes: every later offset moves */
      size_t at = below(*n + 1), k = 1 + below(8);
      if (below(2) && *n + k <= cap) {
        memmove(b + at + k, b + at, *n - at);
        for (size_t i = 0; i < k; i++) b[at + i] = (uint8_t)next();
        *n += k;
      } else if (at + k <= *n) {
        memmove(b + at, b + at + k, *n - at - k);
        *n -= k;
      }
      break;
    }
    default: /* the expected sequence and port: keep, or make them match nothing */
      if (*n >= 8 && below(4) == 0) b[below(8)] ^= 0x01;
      break;
    }
  }
}

int main(int argc, char **argv) {
  long runs = 100000, max_seconds = 0;
  struct bytes seeds[256];
  int nseeds = 0;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "-runs=", 6) == 0)
      runs = atol(argv[i] + 6);
    else if (strncmp(argv[i], "-max_total_time=", 16) == 0)
      max_seconds = atol(argv[i] + 16);
    else if (nseeds < 256)
      seeds[nseeds++] = read_file(argv[i]);
  }
  if (!nseeds) {
    fprintf(stderr, "usage: %s [-runs=N] [-max_total_time=S] seed...\n", argv[0]);
    return 2;
  }
  size_t cap = 0;
  for (int i = 0; i < nseeds; i++) cap = seeds[i].n > cap ? seeds[i].n : cap;
  cap = cap * 2 + 64;
  uint8_t *work = malloc(cap);
  if (!work) return 4;
  time_t start = time(NULL);
  long done = 0;
  for (int i = 0; i < nseeds; i++, done++) LLVMFuzzerTestOneInput(seeds[i].p, seeds[i].n);
  for (; done < runs; done++) {
    if (max_seconds && (done & 1023) == 0 && time(NULL) - start >= max_seconds) break;
    const struct bytes *s = &seeds[below((size_t)nseeds)];
    size_t n = s->n;
    memcpy(work, s->p, n);
    mutate(work, &n, cap, seeds, nseeds);
    LLVMFuzzerTestOneInput(work, n);
  }
  printf("done %ld runs\n", done);
  free(work);
  for (int i = 0; i < nseeds; i++) free(seeds[i].p);
  return 0;
}
