// Formatted output.  One formatter writes into a sink; the sink either collects into a caller's
// buffer (snprintf) or batches bytes for write(2) so that one printf is usually one system call
// (and lines from concurrent processes rarely interleave mid-line).
//
// Conversions: %d %i %u %x %X %p %s %c %%.  Size prefixes l, ll, z (all 64-bit here); a bare
// %l (no conversion after it) is taken as %ld.  Flags: '-' (left-justify) and '0' (zero-pad),
// then an optional width (digits or '*').
#include <stdarg.h>

#include "kernel/types.h"
#include "user/user.h"

struct sink {
  int fd;          // >= 0: flush to this descriptor when the buffer fills; < 0: string mode
  char *buf;
  int cap;         // bytes buf can take (string mode: room for the NUL excluded)
  int len;         // bytes in buf
  int total;       // bytes produced so far (string mode: including those that did not fit)
};

static void
flush(struct sink *k)
{
  if (k->fd >= 0 && k->len > 0) {
    int off = 0;
    while (off < k->len) {
      int r = write(k->fd, k->buf + off, k->len - off);
      if (r <= 0)
        break;
      off += r;
    }
    k->len = 0;
  }
}

static void
put(struct sink *k, char c)
{
  k->total++;
  if (k->len == k->cap) {
    if (k->fd < 0)
      return;          // string mode: drop what does not fit
    flush(k);
  }
  k->buf[k->len++] = c;
}

static void
pad(struct sink *k, int n, char c)
{
  while (n-- > 0)
    put(k, c);
}

// Put text of length n, justified in a field of `width`.
static void
field(struct sink *k, const char *text, int n, int width, int left, char padc)
{
  if (!left) {
    // With zero padding a leading '-' goes before the zeros.
    if (padc == '0' && n > 0 && text[0] == '-') {
      put(k, '-');
      text++;
      n--;
      width--;
    }
    pad(k, width - n, padc);
  }
  for (int i = 0; i < n; i++)
    put(k, text[i]);
  if (left)
    pad(k, width - n, ' ');
}

static int
numtext(char *out, uint64 v, int base, int neg, int upper)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  int n = 0, len = 0;
  do {
    tmp[n++] = digits[v % base];
    v /= base;
  } while (v);
  if (neg)
    out[len++] = '-';
  while (n > 0)
    out[len++] = tmp[--n];
  return len;
}

static void
format(struct sink *k, const char *fmt, va_list ap)
{
  char num[32];
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(k, *p);
      continue;
    }
    p++;
    int left = 0, width = 0, longness = 0;
    char padc = ' ';
    for (;; p++) {
      if (*p == '-')
        left = 1;
      else if (*p == '0')
        padc = '0';
      else
        break;
    }
    if (*p == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        left = 1;
        width = -width;
      }
      p++;
    }
    while (*p >= '0' && *p <= '9')
      width = width * 10 + (*p++ - '0');
    while (*p == 'l' || *p == 'z') {
      longness++;
      p++;
    }
    if (left)
      padc = ' ';

    int n;
    char conv = *p;
    if (longness && !strchr("diuxX", conv)) {
      conv = 'd';       // bare %l: a long in decimal; the next character is ordinary text
      p--;
    }
    switch (conv) {
    case 'd':
    case 'i': {
      int64 v = longness ? va_arg(ap, int64) : va_arg(ap, int);
      n = v < 0 ? numtext(num, -(uint64)v, 10, 1, 0) : numtext(num, v, 10, 0, 0);
      field(k, num, n, width, left, padc);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      uint64 v = longness ? va_arg(ap, uint64) : va_arg(ap, uint);
      n = numtext(num, v, conv == 'u' ? 10 : 16, 0, conv == 'X');
      field(k, num, n, width, left, padc);
      break;
    }
    case 'p': {
      uint64 v = (uint64)va_arg(ap, void*);
      num[0] = '0';
      num[1] = 'x';
      n = 2;
      // Always all 16 digits, as xv6 prints pointers.
      for (int shift = 60; shift >= 0; shift -= 4)
        num[n++] = "0123456789abcdef"[(v >> shift) & 15];
      field(k, num, n, width, left, ' ');
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char*);
      if (s == 0)
        s = "(null)";
      field(k, s, strlen(s), width, left, ' ');
      break;
    }
    case 'c': {
      char c = va_arg(ap, int);
      field(k, &c, 1, width, left, ' ');
      break;
    }
    case '%':
      put(k, '%');
      break;
    case 0:
      p--;     // lone '%' at the end: the loop's p++ then sees the NUL
      break;
    default:
      // Unknown conversion: show it as written.
      put(k, '%');
      put(k, *p);
      break;
    }
  }
}

static int
vfdprintf(int fd, const char *fmt, va_list ap)
{
  char buf[128];
  struct sink k = {fd, buf, sizeof(buf), 0, 0};
  format(&k, fmt, ap);
  flush(&k);
  return k.total;
}

int
fprintf(int fd, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vfdprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int
printf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vfdprintf(1, fmt, ap);
  va_end(ap);
  return n;
}

int
snprintf(char *buf, int size, const char *fmt, ...)
{
  va_list ap;
  struct sink k = {-1, buf, size > 0 ? size - 1 : 0, 0, 0};
  va_start(ap, fmt);
  format(&k, fmt, ap);
  va_end(ap);
  if (size > 0)
    buf[k.len] = 0;
  return k.total;
}
