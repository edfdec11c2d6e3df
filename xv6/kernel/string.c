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

// Clear / copy one whole, page-aligned page: the page-fault paths' inner loops (zero fill,
// copy-on-write), unrolled to sixteen doublewords per iteration.
void
zero_page(void *pa)
{
  uint64 *d = pa;
  for(uint64 *end = d + 4096 / WORD; d < end; d += 16){
    d[0] = 0; d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 0; d[5] = 0; d[6] = 0; d[7] = 0;
    d[8] = 0; d[9] = 0; d[10] = 0; d[11] = 0; d[12] = 0; d[13] = 0; d[14] = 0; d[15] = 0;
  }
}

void
copy_page(void *dst, const void *src)
{
  uint64 *d = dst;
  const uint64 *s = src;
  for(uint64 *end = d + 4096 / WORD; d < end; d += 16, s += 16){
    uint64 a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3], a4 = s[4], a5 = s[5], a6 = s[6];
    uint64 a7 = s[7], a8 = s[8], a9 = s[9], a10 = s[10], a11 = s[11], a12 = s[12];
    uint64 a13 = s[13], a14 = s[14], a15 = s[15];
    d[0] = a0; d[1] = a1; d[2] = a2; d[3] = a3; d[4] = a4; d[5] = a5; d[6] = a6; d[7] = a7;
    d[8] = a8; d[9] = a9; d[10] = a10; d[11] = a11; d[12] = a12; d[13] = a13; d[14] = a14;
    d[15] = a15;
  }
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
