// cat: copy each named file (or standard input when there is none) to standard output.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[2048];

// Copy everything from fd to fd 1; name is only for messages.  Returns 0 or -1.
static int
copyout(int fd, const char *name)
{
  int n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    for (int off = 0; off < n; ) {
      int w = write(1, buf + off, n - off);
      if (w <= 0) {
        perror("cat: write");
        return -1;
      }
      off += w;
    }
  }
  if (n < 0) {
    fprintf(2, "cat: read %s: %s\n", name, strerror(errno));
    return -1;
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  if (argc < 2)
    exit(copyout(0, "standard input") < 0);

  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    if (copyout(fd, argv[i]) < 0)
      status = 1;
    close(fd);
  }
  exit(status);
}
