// wc: count lines, words and bytes in each named file (or standard input).
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[2048];

static int
isblank(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Counts one input and prints "lines words bytes name".  Returns 0 or -1 on a read error.
static int
count(int fd, const char *name)
{
  uint64 lines = 0, words = 0, bytes = 0;
  int inword = 0, n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    bytes += n;
    for (int i = 0; i < n; i++) {
      if (buf[i] == '\n')
        lines++;
      if (isblank(buf[i])) {
        inword = 0;
      } else if (!inword) {
        inword = 1;
        words++;
      }
    }
  }
  if (n < 0) {
    fprintf(2, "wc: read %s: %s\n", name, strerror(errno));
    return -1;
  }
  printf("%lu %lu %lu %s\n", lines, words, bytes, name);
  return 0;
}

int
main(int argc, char *argv[])
{
  if (argc < 2)
    exit(count(0, "") < 0);
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "wc: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    if (count(fd, argv[i]) < 0)
      status = 1;
    close(fd);
  }
  exit(status);
}
