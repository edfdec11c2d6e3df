// The few C string and memory routines the kernel uses.  The compiler may also emit calls to
// memset/memcpy/memmove for struct assignments and initialisers, so those must exist.

#include "types.h"

void *memcpy(void *dst, const void *src, uint64 n);

#define WORD sizeof(uint64)

static int
word_aligned(const void *p)
{
  return ((uint64)p & (WORD - 1)) == 0;
}

void*
memset(void *dst, int c, uint n)
{
  uchar *d = dst;
  uint i = 0;
  if(word_aligned(d)){
    uint64 pattern = (uchar)c * 0x0101010101010101UL;
    for(; i + WORD <= n; i += WORD)
      *(uint64 *)(d + i) = pattern;
  }
  for(; i < n; i++)
    d[i] = (uchar)c;
  return dst;
}

int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *x = a, *y = b;
  for(uint i = 0; i < n; i++){
    if(x[i] != y[i])
      return x[i] - y[i];
  }
  return 0;
}

// Copy n bytes upwards (from the first byte): right unless dst overlaps src from above.
static void
copy_forward(uchar *d, const uchar *s, uint64 n)
{
  uint64 i = 0;
  if(word_aligned(d) && word_aligned(s)){
    for(; i + WORD <= n; i += WORD)
      *(uint64 *)(d + i) = *(const uint64 *)(s + i);
  }
  for(; i < n; i++)
    d[i] = s[i];
}

// Copy n bytes downwards (from the last byte): for a dst that starts inside src.
static void
copy_backward(uchar *d, const uchar *s, uint64 n)
{
  while(n > 0){
    n--;
    d[n] = s[n];
  }
}

// Copies correctly when the ranges overlap.
void*
memmove(void *dst, const void *src, uint n)
{
  uchar *d = dst;
  const uchar *s = src;
  if(s < d && d < s + n)
    copy_backward(d, s, n);
  else if(d != s)
    copy_forward(d, s, n);
  return dst;
}

// For the compiler; kernel code calls memmove.
void*
memcpy(void *dst, const void *src, uint64 n)
{
  copy_forward(dst, src, n);
  return dst;
}

int
strlen(const char *s)
{
  int n = 0;
  while(s[n])
    n++;
  return n;
}

int
strncmp(const char *a, const char *b, uint n)
{
  for(; n > 0; n--, a++, b++){
    if(*a != *b)
      return (uchar)*a - (uchar)*b;
    if(*a == 0)
      return 0;
  }
  return 0;
}

// Like the C library's: copies at most n bytes and pads with NULs, but does not terminate dst
// when src is n bytes or longer.
char*
strncpy(char *dst, const char *src, int n)
{
  int i = 0;
  for(; i < n && src[i]; i++)
    dst[i] = src[i];
  for(; i < n; i++)
    dst[i] = 0;
  return dst;
}

// Copies at most n-1 bytes and always NUL-terminates (for n > 0).
char*
safestrcpy(char *dst, const char *src, int n)
{
  if(n <= 0)
    return dst;
  int i = 0;
  for(; i < n - 1 && src[i]; i++)
    dst[i] = src[i];
  dst[i] = 0;
  return dst;
}
