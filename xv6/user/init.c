// init: the first program (started by initcode).  It connects fds 0, 1 and 2 to the console,
// then keeps a shell running: whenever the shell exits, a new one is started.  As the parent
// of every orphan, it also reaps whatever else exits.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define CONSOLE_MAJOR 1   // the console device (CONSOLE in kernel/file.h)

static char *sh_argv[] = {"sh", 0};

int
main(void)
{
  int fd = open("console", O_RDWR);
  if (fd < 0) {
    // The image builder (xv6/build.py) makes /console; an image made without it gets the node
    // on first boot.  On a read-only file system mknod fails (EROFS) and so does this open.
    mknod("console", CONSOLE_MAJOR, 0);
    fd = open("console", O_RDWR);
  }
  if (fd != 0) {
    // Nothing we can print to; stop rather than run without a console.
    exit(1);
  }
  dup(0);   // fd 1
  dup(0);   // fd 2

  for (;;) {
    printf("init: starting sh\n");
    int start = uptime();
    int pid = fork();
    if (pid < 0) {
      printf("init: fork failed: %s\n", strerror(errno));
      sleep(10);
      continue;
    }
    if (pid == 0) {
      exec("/sh", sh_argv);
      printf("init: exec sh failed: %s\n", strerror(errno));
      exit(1);
    }

    // Reap until the shell itself is gone; other children are adopted orphans.
    for (;;) {
      int status;
      int got = wait(&status);
      if (got == pid)
        break;
      if (got < 0) {
        printf("init: wait failed: %s\n", strerror(errno));
        break;
      }
    }
    // A shell that dies at once would otherwise make this loop spin.
    if (uptime() - start < 2)
      sleep(10);
  }
}
