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
// copy-on-write), unrolled to 32 doublewords per iteration.
void
zero_page(void *pa)
{
  uint64 *d = pa;
  for(uint64 *end = d + 4096 / WORD; d < end; d += 32){
    d[0] = 0; d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 0; d[5] = 0; d[6] = 0; d[7] = 0;
    d[8] = 0; d[9] = 0; d[10] = 0; d[11] = 0; d[12] = 0; d[13] = 0; d[14] = 0; d[15] = 0;
    d[16] = 0; d[17] = 0; d[18] = 0; d[19] = 0; d[20] = 0; d[21] = 0; d[22] = 0; d[23] = 0;
    d[24] = 0; d[25] = 0; d[26] = 0; d[27] = 0; d[28] = 0; d[29] = 0; d[30] = 0; d[31] = 0;
  }
}

void
copy_page(void *dst, const void *src)
{
  uint64 *restrict d = dst;
  const uint64 *restrict s = src;
  for(uint64 *end = d + 4096 / WORD; d < end; d += 32, s += 32){
    d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3];
    d[4] = s[4]; d[5] = s[5]; d[6] = s[6]; d[7] = s[7];
    d[8] = s[8]; d[9] = s[9]; d[10] = s[10]; d[11] = s[11];
    d[12] = s[12]; d[13] = s[13]; d[14] = s[14]; d[15] = s[15];
    d[16] = s[16]; d[17] = s[17]; d[18] = s[18]; d[19] = s[19];
    d[20] = s[20]; d[21] = s[21]; d[22] = s[22]; d[23] = s[23];
    d[24] = s[24]; d[25] = s[25]; d[26] = s[26]; d[27] = s[27];
    d[28] = s[28]; d[29] = s[29]; d[30] = s[30]; d[31] = s[31];
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
