// The user C library's core: program entry, strings and memory, a few file helpers, errno.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

int errno;      // set by the system-call stubs (usys.S) when a call fails

// Every program starts here (user.ld names it as the entry point).  exec leaves argc in a0 and
// argv in a1, which is exactly where a C function finds its first two arguments.
int main(int argc, char **argv);

void
_start(int argc, char **argv)
{
  exit(main(argc, argv));
}

// ---- strings

uint
strlen(const char *s)
{
  const char *e = s;
  while (*e)
    e++;
  return e - s;
}

char*
strcpy(char *dst, const char *src)
{
  char *d = dst;
  while ((*d++ = *src++) != 0)
    ;
  return dst;
}

// Copies at most n bytes; pads with NULs like the C function (so dst may end unterminated).
char*
strncpy(char *dst, const char *src, int n)
{
  int i = 0;
  for (; i < n && src[i]; i++)
    dst[i] = src[i];
  for (; i < n; i++)
    dst[i] = 0;
  return dst;
}

char*
strcat(char *dst, const char *src)
{
  strcpy(dst + strlen(dst), src);
  return dst;
}

int
strcmp(const char *a, const char *b)
{
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (uchar)*a - (uchar)*b;
}

int
strncmp(const char *a, const char *b, uint n)
{
  for (; n > 0; n--, a++, b++) {
    if (*a != *b || *a == 0)
      return (uchar)*a - (uchar)*b;
  }
  return 0;
}

char*
strchr(const char *s, char c)
{
  for (; *s; s++)
    if (*s == c)
      return (char*)s;
  return 0;
}

char*
strrchr(const char *s, char c)
{
  const char *last = 0;
  for (; *s; s++)
    if (*s == c)
      last = s;
  return (char*)last;
}

// Decimal digits after optional blanks and one optional sign.
int
atoi(const char *s)
{
  int neg = 0, v = 0;
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}

// ---- memory

void*
memset(void *dst, int c, uint n)
{
  uchar *d = dst;
  uchar b = c;
  // Byte stores up to an 8-byte boundary, then whole words, then the tail.
  while (n > 0 && ((uint64)d & 7)) {
    *d++ = b;
    n--;
  }
  if (n >= 8) {
    uint64 w = b * 0x0101010101010101UL;
    for (; n >= 8; n -= 8, d += 8)
      *(volatile uint64*)d = w;
  }
  while (n-- > 0)
    *d++ = b;
  return dst;
}

void*
memmove(void *dst, const void *src, int n)
{
  uchar *d = dst;
  const uchar *s = src;
  if (n <= 0 || d == s)
    return dst;
  if (d < s || d >= s + n) {
    // Forward copy is safe; use words when both pointers share alignment.
    if ((((uint64)d ^ (uint64)s) & 7) == 0) {
      while (n > 0 && ((uint64)d & 7)) {
        *d++ = *s++;
        n--;
      }
      for (; n >= 8; n -= 8, d += 8, s += 8)
        *(volatile uint64*)d = *(const uint64*)s;
    }
    while (n-- > 0)
      *d++ = *s++;
  } else {
    // The destination overlaps the source's tail: copy from the end backwards.
    d += n;
    s += n;
    while (n-- > 0)
      *--d = *--s;
  }
  return dst;
}

void*
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;
  for (; n > 0; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

// ---- files

// One line from fd 0 into buf (newline kept, NUL-terminated, at most max-1 bytes).  An empty
// result means end of input.
char*
gets(char *buf, int max)
{
  int n = 0;
  char c;
  while (n + 1 < max) {
    if (read(0, &c, 1) != 1)
      break;
    buf[n++] = c;
    if (c == '\n' || c == '\r')
      break;
  }
  buf[n] = 0;
  return buf;
}

int
stat(const char *path, struct stat *st)
{
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int r = fstat(fd, st);
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

// ---- errors

static const struct {
  int num;
  const char *text;
} errtab[] = {
  {EPERM, "operation not permitted"},
  {ENOENT, "no such file or directory"},
  {ESRCH, "no such process"},
  {EINTR, "interrupted"},
  {EIO, "i/o error"},
  {ENXIO, "no such device or address"},
  {E2BIG, "argument list too long"},
  {ENOEXEC, "exec format error"},
  {EBADF, "bad file descriptor"},
  {ECHILD, "no child processes"},
  {EAGAIN, "resource temporarily unavailable"},
  {ENOMEM, "out of memory"},
  {EACCES, "permission denied"},
  {EFAULT, "bad address"},
  {EBUSY, "device or resource busy"},
  {EEXIST, "file exists"},
  {EXDEV, "cross-device link"},
  {ENODEV, "no such device"},
  {ENOTDIR, "not a directory"},
  {EISDIR, "is a directory"},
  {EINVAL, "invalid argument"},
  {ENFILE, "too many open files in system"},
  {EMFILE, "too many open files"},
  {ENOTTY, "not a terminal"},
  {ETXTBSY, "text file busy"},
  {EFBIG, "file too large"},
  {ENOSPC, "no space left on device"},
  {ESPIPE, "illegal seek"},
  {EROFS, "read-only file system"},
  {EMLINK, "too many links"},
  {EPIPE, "broken pipe"},
  {ERANGE, "result out of range"},
  {EDEADLK, "resource deadlock avoided"},
  {ENAMETOOLONG, "file name too long"},
  {ENOSYS, "function not implemented"},
  {ENOTEMPTY, "directory not empty"},
  {EOVERFLOW, "value too large"},
  {EOPNOTSUPP, "operation not supported"},
};

const char*
strerror(int e)
{
  static char unknown[24];
  for (int i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
    if (errtab[i].num == e)
      return errtab[i].text;
  snprintf(unknown, sizeof(unknown), "error %d", e);
  return unknown;
}

void
perror(const char *s)
{
  const char *msg = strerror(errno);
  if (s && *s)
    fprintf(2, "%s: %s\n", s, msg);
  else
    fprintf(2, "%s\n", msg);
}

// ---- threads

// Start fn(arg) in a new thread on the given stack; when fn returns, its value is the thread's
// exit status (texit).  The thread's id, or -1 with errno.
int
thread_create(int (*fn)(void *), void *arg, void *stack)
{
  return clone(fn, arg, stack, texit);
}
