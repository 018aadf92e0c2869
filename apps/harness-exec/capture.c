/* Head + tail of a stream in bounded memory, whatever the command prints. The head keeps the
 * first head_cap bytes; the ring keeps the last tail_cap bytes of everything after the head.
 * So when the stream fits in head_cap + tail_cap the two together are all of it, in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hx.h"

static void* must_alloc(size_t n) {
  void* p = malloc(n ? n : 1);
  if (!p) {
    fputs("harness-exec: out of memory\n", stderr);
    _exit(3);
  }
  return p;
}

void hx_capture_init(struct hx_capture* c, size_t head_cap, size_t tail_cap) {
  memset(c, 0, sizeof *c);
  c->head = must_alloc(head_cap);
  c->head_cap = head_cap;
  c->ring = must_alloc(tail_cap);
  c->ring_cap = tail_cap;
}

void hx_capture_add(struct hx_capture* c, const unsigned char* d, size_t n) {
  c->total += n;
  size_t h = c->head_cap - c->head_len;
  if (h > n) h = n;
  memcpy(c->head + c->head_len, d, h);
  c->head_len += h;
  d += h;
  n -= h;
  if (n == 0 || c->ring_cap == 0) return;
  if (n >= c->ring_cap) {
    memcpy(c->ring, d + n - c->ring_cap, c->ring_cap);
    c->ring_start = 0;
    c->ring_len = c->ring_cap;
    return;
  }
  size_t pos = (c->ring_start + c->ring_len) % c->ring_cap;
  size_t first = c->ring_cap - pos < n ? c->ring_cap - pos : n;
  memcpy(c->ring + pos, d, first);
  memcpy(c->ring, d + first, n - first);
  c->ring_len += n;
  if (c->ring_len > c->ring_cap) {
    c->ring_start = (c->ring_start + c->ring_len - c->ring_cap) % c->ring_cap;
    c->ring_len = c->ring_cap;
  }
}

void hx_capture_emit_sizes(const struct hx_capture* c, struct hx_buf* b) {
  hx_put_u64(b, c->total);
}

void hx_capture_emit(const struct hx_capture* c, struct hx_buf* b) {
  hx_put_string(b, c->head, c->head_len);
  size_t first =
      c->ring_cap - c->ring_start < c->ring_len ? c->ring_cap - c->ring_start : c->ring_len;
  hx_put_u32(b, (uint32_t)c->ring_len);
  if (first) hx_put(b, c->ring + c->ring_start, first);
  if (c->ring_len > first) hx_put(b, c->ring, c->ring_len - first);
}

void hx_capture_free(struct hx_capture* c) {
  free(c->head);
  free(c->ring);
  memset(c, 0, sizeof *c);
}
