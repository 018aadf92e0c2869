/* Frames and little-endian fields: reading from the daemon, writing back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hx.h"

uint32_t hx_u32(struct hx_reader* r) {
  if (r->bad || r->left < 4) {
    r->bad = 1;
    return 0;
  }
  uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
               (uint32_t)r->p[3] << 24;
  r->p += 4;
  r->left -= 4;
  return v;
}

uint64_t hx_u64(struct hx_reader* r) {
  uint64_t lo = hx_u32(r);
  uint64_t hi = hx_u32(r);
  return lo | hi << 32;
}

struct hx_str hx_string(struct hx_reader* r) {
  struct hx_str s = {NULL, 0};
  uint32_t n = hx_u32(r);
  if (r->bad || r->left < n) {
    r->bad = 1;
    return s;
  }
  s.p = r->p;
  s.len = n;
  r->p += n;
  r->left -= n;
  return s;
}

void hx_put(struct hx_buf* b, const void* data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    unsigned char* p = realloc(b->p, cap);
    if (!p) {
      fputs("harness-exec: out of memory\n", stderr);
      _exit(3);
    }
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
}

void hx_put_u32(struct hx_buf* b, uint32_t v) {
  unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  hx_put(b, c, 4);
}

void hx_put_u64(struct hx_buf* b, uint64_t v) {
  hx_put_u32(b, (uint32_t)v);
  hx_put_u32(b, (uint32_t)(v >> 32));
}

void hx_put_string(struct hx_buf* b, const void* data, size_t n) {
  hx_put_u32(b, (uint32_t)n);
  hx_put(b, data, n);
}

/* 1 = n bytes read, 0 = end of input before the first byte, -1 = end of input midway. */
static int read_exact(int fd, unsigned char* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return got == 0 && r == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

int hx_read_frame(int fd, uint32_t* tag, unsigned char** body, uint32_t* len) {
  unsigned char h[HX_FRAME_HEADER];
  int r = read_exact(fd, h, sizeof h);
  if (r <= 0) {
    if (r < 0) fputs("harness-exec: truncated frame header\n", stderr);
    return r;
  }
  struct hx_reader rd = {h, sizeof h, 0};
  *tag = hx_u32(&rd);
  *len = hx_u32(&rd);
  if (*len > HX_MAX_REQUEST_BODY) {
    fprintf(stderr, "harness-exec: frame of %u bytes is over the limit\n", *len);
    return -1;
  }
  *body = malloc(*len ? *len : 1);
  if (!*body) {
    fputs("harness-exec: out of memory\n", stderr);
    return -1;
  }
  if (read_exact(fd, *body, *len) != 1 && *len) {
    fputs("harness-exec: truncated frame\n", stderr);
    free(*body);
    return -1;
  }
  return 1;
}

int hx_write_all(int fd, const unsigned char* p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}
